// The `store-identity` readiness check of a service with a store (policy, scanner): it becomes
// ready only once its store is the deployment's store as recorded on the bus, so a pod that
// opened SQLite on a volume of its own says so on /readyz (and in an alert metric) instead of
// quietly judging from a store nobody else writes.
import { awaitDeploymentStore, deploymentBucket, watchDeploymentStore, type StoreClaim, type StoreRecord } from '@assay/bus';
import type { ServiceContext } from './definition.ts';

export const STORE_IDENTITY_CHECK = 'store-identity';

type Kv = Awaited<ReturnType<typeof deploymentBucket>>;

export interface DeploymentStoreGate {
  /** This service's store, as identified by the store. */
  readonly store: StoreRecord;
  /** The deployment bucket (bound). */
  readonly deployment: Kv;
  /** How the check ended; undefined for a private in-memory store, which is never compared. */
  readonly claim: StoreClaim | undefined;
  /** Raises `assay_store_identity_mismatch` for a mismatch the caller finds (policy: a bucket written from another store). */
  markBucketMismatch(): void;
}

export interface RequireDeploymentStoreOptions {
  /** STORE_ADOPT: make this store the deployment's even though another is recorded. */
  adopt: boolean;
  /** How often a mismatch is checked again; default 10 s. */
  recheckMs?: number;
}

/**
 * Adds the `store-identity` check, then waits (failing it with the reason) until this service's
 * store is the deployment's. Call it in the start hook before any work that reads or writes
 * the store. Rejects if the service stops first.
 */
export async function requireDeploymentStore(
  ctx: ServiceContext<any>,
  store: { identity(): Promise<StoreRecord> },
  opts: RequireDeploymentStoreOptions,
): Promise<DeploymentStoreGate> {
  const flag = ctx.readiness.flag(STORE_IDENTITY_CHECK, "comparing this service's store with the deployment's store");
  let storeMismatch = false;
  let bucketMismatch = false;
  ctx.metrics.gauge({
    name: 'assay_store_identity_mismatch',
    help: "1 when this service's store is not the deployment's store, or a document bucket was last written from another store; else 0",
    collect() {
      this.set(storeMismatch || bucketMismatch ? 1 : 0);
    },
  });
  const markBucketMismatch = () => void (bucketMismatch = true);
  const identity = await store.identity();
  const deployment = await deploymentBucket(ctx.bus.js);
  const logger = ctx.logger.child({ component: 'store-identity' });
  if (identity.kind === 'sqlite' && identity.location === ':memory:') {
    // Private to this process by construction (tests, throwaway runs): nothing can share it.
    logger.warn({ store: identity }, 'in-memory store: private to this process, not compared with the deployment store');
    flag.set(true);
    return { store: identity, deployment, claim: undefined, markBucketMismatch };
  }
  const claim = await awaitDeploymentStore({
    kv: deployment,
    store: identity,
    service: ctx.name,
    by: `${ctx.name}@${ctx.instance}`,
    adopt: opts.adopt,
    signal: ctx.signal,
    logger,
    ...(opts.recheckMs !== undefined ? { recheckMs: opts.recheckMs } : {}),
    onMismatch(message) {
      flag.set(false, message);
      storeMismatch = true;
    },
    onUnknown(message) {
      flag.set(false, message);
    },
  });
  flag.set(true);
  storeMismatch = false;
  logger.info({ store: identity, outcome: claim.outcome, recordedBy: claim.recorded.recordedBy }, "this service's store is the deployment's store");
  // From now on the record is followed: a later move of the deployment to another store shows here too.
  const watch = await watchDeploymentStore({
    js: ctx.bus.js,
    connection: ctx.bus,
    store: identity,
    service: ctx.name,
    by: `${ctx.name}@${ctx.instance}`,
    logger,
    onState(state) {
      storeMismatch = !state.ok;
      if (state.ok) flag.set(true);
      else flag.set(false, state.message);
    },
  });
  ctx.onStop(() => watch.stop());
  return { store: identity, deployment, claim, markBucketMismatch };
}
