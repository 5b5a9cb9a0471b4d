// The store facade: every repository behind one object, on MongoDB or embedded SQLite.
import type { ImageAssurancePolicy, PolicyException, RuntimePolicy } from '@assay/domain';
import type { ExceptionRepository } from './exceptions.ts';
import type { InventoryRepository } from './inventory.ts';
import type { LayerCacheRepository } from './layer-cache.ts';
import type { ScanReportRepository } from './reports.ts';
import type { StoreIdentity } from './identity.ts';
import type { VersionedRepository } from './versioned.ts';

export interface Store {
  readonly kind: 'mongodb' | 'sqlite';
  readonly policies: VersionedRepository<ImageAssurancePolicy>;
  readonly runtimePolicies: VersionedRepository<RuntimePolicy>;
  readonly exceptions: ExceptionRepository;
  /** Every version of every exception (written beside `exceptions`, which holds the current ones). */
  readonly exceptionVersions: VersionedRepository<PolicyException>;
  readonly reports: ScanReportRepository;
  readonly layerCache: LayerCacheRepository;
  readonly inventory: InventoryRepository;
  /**
   * Which database this is: an id created once per database (the first caller creates it,
   * racing callers agree on one), and where it is. Two stores are the same exactly when their
   * ids are equal. Read from the database at every call (never cached), so a database replaced
   * under a running process (a wiped volume) answers with its new id.
   */
  identity(): Promise<StoreIdentity>;
  /** Resolves when the database answers; StoreUnavailableError otherwise (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Clock for createdAt / storedAt / lastUsed stamps (tests pin it). */
  clock?: () => Date;
  /** Size of a report chunk, 1 KiB..15 MiB (default 8 MiB). */
  reportChunkBytes?: number;
  /** Name the connection carries (MongoDB appName). */
  appName?: string;
}
