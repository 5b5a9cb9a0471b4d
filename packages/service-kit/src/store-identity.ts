// The `store-identity` readiness check of a service with a store (policy, scanner): it becomes
// ready only once its store is the deployment's store as recorded on the bus, so a pod that
// opened SQLite on a volume of its own says so on /readyz (and in an alert metric) instead of
// quietly judging from a store nobody else writes. Once running, it keeps comparing: the bus
// record (followed by a watch) and the store's own identity (re-read every recheck), because a
// database can be replaced under a running pod (a wiped volume, a re-initiated replica set) and
// the client reconnects to it without a word.
import { awaitDeploymentStore, deploymentBucket, describeStoreRecord, watchDeploymentStore, type StoreRecord } from '@assay/bus';
import { pause } from '@assay/kit';
import { DeploymentKeys } from '@assay/proto';
import type { ServiceContext } from './definition.ts';

export const STORE_IDENTITY_CHECK = 'store-identity';

type Kv = Awaited<ReturnType<typeof deploymentBucket>>;

export interface DeploymentStoreGate {
  /** This service's store, as identified by the store. */
  readonly store: StoreRecord;
  /** The deployment bucket (bound). */
  readonly deployment: Kv;
  /** Raises `assay_store_identity_mismatch` for a mismatch the caller finds (policy: a bucket written from another store). */
  markBucketMismatch(): void;
}

export interface RequireDeploymentStoreOptions {
  /** STORE_ADOPT: make this store the deployment's even though another is recorded. */
  adopt: boolean;
  /** How often a mismatch, and after start the store's own identity, is checked again; default 10 s. */
  recheckMs?: number;
}

/** What the check needs of a store: its identity, read from the database at each call. */
export interface IdentifiedStore {
  identity(): Promise<StoreRecord>;
}

/**
 * Adds the `store-identity` check, then waits (failing it with the reason) until this service's
 * store is the deployment's. Call it in the start hook before any work that reads or writes
 * the store. Rejects if the service stops first.
 */
export async function requireDeploymentStore(
  ctx: ServiceContext<any>,
  store: IdentifiedStore,
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
    return { store: identity, deployment, markBucketMismatch };
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
  logger.info(
    { store: identity, outcome: claim.outcome, recordedBy: claim.recorded.recordedBy },
    "this service's store is the deployment's store",
  );
  // From now on two things can go wrong, each with its own answer; the check fails while either does.
  let recordProblem: string | undefined;
  let storeProblem: string | undefined;
  const update = () => {
    storeMismatch = recordProblem !== undefined || storeProblem !== undefined;
    if (storeMismatch) flag.set(false, (storeProblem ?? recordProblem)!);
    else flag.set(true);
  };
  update();
  // The record is followed: a later move of the deployment to another store shows here too.
  const follow = (mine: StoreRecord) =>
    watchDeploymentStore({
      js: ctx.bus.js,
      connection: ctx.bus,
      store: mine,
      service: ctx.name,
      by: `${ctx.name}@${ctx.instance}`,
      logger,
      onState(state) {
        recordProblem = state.ok ? undefined : state.message;
        update();
      },
    });
  let current = identity;
  let watch = await follow(current);
  ctx.onStop(() => watch.stop());
  // The store itself is read again: a replaced database answers with another identity. When the
  // deployment has moved to that database on purpose (STORE_ADOPT on policy), this service
  // follows it without a restart: it compares the record with its store's new identity from then on.
  void followStoreIdentity(store, () => current, ctx.name, opts.recheckMs ?? 10_000, ctx.signal, logger, {
    recorded: () => watch.get(DeploymentKeys.store),
    async moved(now) {
      logger.info({ from: current, to: now }, "the deployment moved to this service's new store; following it");
      current = now;
      const old = watch;
      watch = await follow(now);
      await old.stop();
    },
    report(problem) {
      storeProblem = problem;
      update();
    },
  });
  return { store: identity, deployment, markBucketMismatch };
}

/**
 * Re-reads the store's identity every `recheckMs` until `signal` aborts. Another id than the
 * current one is either the deployment's move to that store (the record names it: `moved`) or a
 * problem (the database was replaced under the service); an identity that cannot be read is a
 * problem too. `report` gets each problem and its end (undefined). An unreachable store is not
 * one: the `store` check says so, and the identity is compared again once it answers.
 */
async function followStoreIdentity(
  store: IdentifiedStore,
  current: () => StoreRecord,
  service: string,
  recheckMs: number,
  signal: AbortSignal,
  logger: ServiceContext<any>['logger'],
  on: {
    recorded(): StoreRecord | undefined;
    moved(now: StoreRecord): Promise<void>;
    report(problem: string | undefined): void;
  },
): Promise<void> {
  let last: string | undefined;
  for (;;) {
    await pause(recheckMs, signal);
    if (signal.aborted) return;
    let problem: string | undefined;
    const mine = current();
    try {
      const now = await store.identity();
      if (now.id !== mine.id) {
        if (on.recorded()?.id === now.id) await on.moved(now);
        else problem = storeReplacedMessage(service, mine, now);
      }
    } catch (err) {
      if ((err as { code?: unknown }).code === 'UNAVAILABLE') continue;
      problem = `cannot read the identity of this service's store ${describeStoreRecord(mine)}: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (signal.aborted) return;
    if (problem !== undefined && problem !== last) logger.error({ store: mine }, problem);
    if (problem === undefined && last !== undefined)
      logger.info({ store: current() }, "this service's store is the deployment's store again");
    last = problem;
    on.report(problem);
  }
}

/** The store answered with another identity than at start: it is not the database the deployment recorded. */
function storeReplacedMessage(service: string, started: StoreRecord, now: StoreRecord): string {
  return (
    `this service's store was replaced while it ran: ${describeStoreRecord(started)} (the deployment's store) now answers as ` +
    `${describeStoreRecord(now)}, a database without the deployment's data (a wiped volume, a re-initiated replica set). ` +
    `Restore the deployment's database, or, to move the whole deployment to the new one on purpose, restart policy once with ` +
    `STORE_ADOPT=true: ${service} then follows by itself within a recheck`
  );
}
