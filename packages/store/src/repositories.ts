// The store's repositories, listed once: an adapter says how it makes each kind, and gets
// them back with its error translation around every method, so callers branch on one set of
// error classes (StoreUnavailableError naming the host or file, ConflictError…) whatever the
// database.
import type { ExceptionRepository } from './exceptions.ts';
import type { InventoryRepository } from './inventory.ts';
import type { LayerCacheRepository } from './layer-cache.ts';
import type { ScanReportRepository } from './reports.ts';
import type { Store } from './store.ts';
import { exceptionVersionKind, imagePolicyKind, runtimePolicyKind, type VersionedKind, type VersionedRepository } from './versioned.ts';

export type Repositories = Pick<
  Store,
  'policies' | 'runtimePolicies' | 'exceptionVersions' | 'exceptions' | 'reports' | 'layerCache' | 'inventory'
>;

/** What an adapter implements: one repository of each kind. */
export interface RepositoryMakers {
  versioned<T>(kind: VersionedKind<T>): VersionedRepository<T>;
  exceptions(): ExceptionRepository;
  reports(): ScanReportRepository;
  layerCache(): LayerCacheRepository;
  inventory(): InventoryRepository;
}

/** Every repository of the store, each method's rejection replaced by what `translate` makes of it. */
export function repositories(make: RepositoryMakers, translate: (err: unknown) => unknown): Repositories {
  const guard = <T extends object>(repo: T): T => translatingErrors(repo, translate);
  return {
    policies: guard(make.versioned(imagePolicyKind)),
    runtimePolicies: guard(make.versioned(runtimePolicyKind)),
    exceptionVersions: guard(make.versioned(exceptionVersionKind)),
    exceptions: guard(make.exceptions()),
    reports: guard(make.reports()),
    layerCache: guard(make.layerCache()),
    inventory: guard(make.inventory()),
  };
}

function translatingErrors<T extends object>(repo: T, translate: (err: unknown) => unknown): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(repo)) {
    out[name] =
      typeof fn === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (fn as (...a: unknown[]) => Promise<unknown>).apply(repo, args);
            } catch (err) {
              throw translate(err);
            }
          }
        : fn;
  }
  return out as T;
}
