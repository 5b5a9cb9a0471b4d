// The deployment's store, recorded on the bus. Every service with a store (policy, scanner)
// compares its store's identity with the one recorded under `store` in the deployment bucket;
// the first to arrive records its own (create-only, so racing replicas agree on one). A service
// whose store is another one must not judge from it: in Kubernetes that is the service that
// opened SQLite on an emptyDir of its own, or a pod that came back to a wiped volume.
// Policy also records, per document bucket, which store last reconciled it (`written-by.<bucket>`),
// so that a store that merely looks empty never deletes what another store wrote.
import { pause } from '@assay/kit';
import type { JetStreamClient, KV } from 'nats';
import { Buckets, DeploymentKeys } from '@assay/proto';
import type { ConnectionState } from './connect.ts';
import { mirrorBucket, type KvMirror } from './kv-mirror.ts';
import { type BusLogger, silentLogger } from './logger.ts';

/** A store as identified by @assay/store (`store.identity()`): the fields the record keeps. */
export interface StoreRecord {
  readonly id: string;
  readonly kind: string;
  readonly location: string;
  readonly createdAt: string;
}

/** A store as recorded on the bus: which service instance recorded it, and when. */
export interface RecordedStore extends StoreRecord {
  readonly recordedBy: string;
  readonly recordedAt: string;
}

export type StoreClaim =
  /** Nothing was recorded: this store is now the deployment's. */
  | { readonly outcome: 'recorded'; readonly recorded: RecordedStore }
  /** This store is the deployment's. */
  | { readonly outcome: 'matches'; readonly recorded: RecordedStore }
  /** Another store was recorded and `adopt` replaced it deliberately. */
  | { readonly outcome: 'adopted'; readonly recorded: RecordedStore; readonly previous: RecordedStore }
  /** Another store is the deployment's: this one must not be used. */
  | { readonly outcome: 'mismatch'; readonly recorded: RecordedStore };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The deployment bucket, bound (the services that use it provision it). */
export function deploymentBucket(js: JetStreamClient): Promise<KV> {
  return js.views.kv(Buckets.deployment.name, { bindOnly: true });
}

/** `sqlite:/data/assay.db (id 1b4e…)`. */
export function describeStoreRecord(s: StoreRecord): string {
  return `${s.kind}:${s.location} (id ${s.id})`;
}

function record(store: StoreRecord, by: string, now: Date): RecordedStore {
  return {
    id: store.id,
    kind: store.kind,
    location: store.location,
    createdAt: store.createdAt,
    recordedBy: by,
    recordedAt: now.toISOString(),
  };
}

async function read(kv: KV, key: string): Promise<RecordedStore | undefined> {
  const e = await kv.get(key);
  if (!e || e.operation !== 'PUT') return undefined;
  return parseStoreRecord(e.value, key);
}

/** A store record as stored (JSON); throws naming the key when it is not one. */
export function parseStoreRecord(value: Uint8Array, key: string): RecordedStore {
  let v: Partial<RecordedStore> | undefined;
  try {
    v = JSON.parse(decoder.decode(value)) as Partial<RecordedStore>;
  } catch {
    // reported below
  }
  if (!v || typeof v.id !== 'string' || typeof v.kind !== 'string' || typeof v.location !== 'string') {
    throw new Error(`deployment bucket key ${key} does not hold a store record (JSON {id, kind, location, …}); delete it to record again`);
  }
  return {
    id: v.id,
    kind: v.kind,
    location: v.location,
    createdAt: String(v.createdAt ?? ''),
    recordedBy: String(v.recordedBy ?? 'unknown'),
    recordedAt: String(v.recordedAt ?? ''),
  };
}

export interface ClaimOptions {
  /** Who records: `policy@<instance>`. */
  by: string;
  /** Replace another recorded store with this one (a deliberate move to a new store). */
  adopt?: boolean;
  now?: () => Date;
}

/** Records `store` as the deployment's store unless another is recorded; says which it is. */
export async function claimDeploymentStore(kv: KV, store: StoreRecord, opts: ClaimOptions): Promise<StoreClaim> {
  const now = opts.now ?? (() => new Date());
  const key = DeploymentKeys.store;
  for (let attempt = 0; ; attempt++) {
    const current = await read(kv, key);
    if (current?.id === store.id) return { outcome: 'matches', recorded: current };
    if (current && opts.adopt) {
      const mine = record(store, opts.by, now());
      await kv.put(key, encoder.encode(JSON.stringify(mine)));
      return { outcome: 'adopted', recorded: mine, previous: current };
    }
    if (current) return { outcome: 'mismatch', recorded: current };
    const mine = record(store, opts.by, now());
    try {
      await kv.create(key, encoder.encode(JSON.stringify(mine)));
      return { outcome: 'recorded', recorded: mine };
    } catch (err) {
      // Another service recorded its store in between: go round and compare with it.
      if (attempt >= 3) throw err;
    }
  }
}

/** The message a service whose store is not the deployment's reports (readiness, logs). */
export function storeMismatchMessage(service: string, mine: StoreRecord, recorded: RecordedStore): string {
  return (
    `this service's store ${describeStoreRecord(mine)} is not the deployment's store ${describeStoreRecord(recorded)}, ` +
    `recorded by ${recorded.recordedBy} at ${recorded.recordedAt}: every service must share one store — set MONGO_URL ` +
    `(in Kubernetes, from the assay-mongo Secret), or point SQLITE_PATH at the same file as the other services. ` +
    `To move the whole deployment to this store on purpose, start ${service} once with STORE_ADOPT=true`
  );
}

/** Which store last reconciled document bucket `bucket`; undefined when none is recorded. */
export function bucketWriter(kv: KV, bucket: string): Promise<RecordedStore | undefined> {
  return read(kv, DeploymentKeys.writtenBy(bucket));
}

/** Records that `store` has reconciled document bucket `bucket`. */
export async function recordBucketWriter(kv: KV, bucket: string, store: StoreRecord, by: string, now = new Date()): Promise<RecordedStore> {
  const r = record(store, by, now);
  await kv.put(DeploymentKeys.writtenBy(bucket), encoder.encode(JSON.stringify(r)));
  return r;
}

export interface AwaitDeploymentStoreOptions extends ClaimOptions {
  kv: KV;
  store: StoreRecord;
  /** Service name, for the message (`policy`). */
  service: string;
  /** Called on every mismatch with the message to report (readiness detail, metric). */
  onMismatch(message: string): void;
  /** Called when the record cannot be read or written (NATS away, a malformed record); retried. */
  onUnknown?(message: string): void;
  signal: AbortSignal;
  /** How often a mismatch is checked again (an operator may fix the record meanwhile). Default 10 s. */
  recheckMs?: number;
  logger?: BusLogger;
}

/**
 * Waits until this service's store is the deployment's store (recording it when none is), so a
 * service never judges from another store. Rejects when `signal` aborts first.
 */
export async function awaitDeploymentStore(o: AwaitDeploymentStoreOptions): Promise<StoreClaim> {
  const logger = o.logger ?? silentLogger;
  let lastMessage = '';
  for (;;) {
    if (o.signal.aborted) throw new Error(`stopped before ${o.service}'s store was accepted as the deployment's store`);
    let claim: StoreClaim | undefined;
    try {
      claim = await claimDeploymentStore(o.kv, o.store, o);
    } catch (err) {
      const message = `cannot compare this service's store with the deployment's store: ${err instanceof Error ? err.message : String(err)}`;
      if (message !== lastMessage) logger.warn({ err }, message);
      lastMessage = message;
      o.onUnknown?.(message);
      await pause(Math.min(o.recheckMs ?? 10_000, 2000), o.signal);
      continue;
    }
    if (claim.outcome === 'adopted') {
      logger.warn(
        { store: o.store, previous: claim.previous },
        `STORE_ADOPT: the deployment's store is now ${describeStoreRecord(o.store)} (was ${describeStoreRecord(claim.previous)})`,
      );
    }
    if (claim.outcome !== 'mismatch') return claim;
    const message = storeMismatchMessage(o.service, o.store, claim.recorded);
    if (message !== lastMessage) logger.error({ store: o.store, deploymentStore: claim.recorded }, message);
    lastMessage = message;
    o.onMismatch(message);
    await pause(o.recheckMs ?? 10_000, o.signal);
  }
}

export interface WatchDeploymentStoreOptions {
  js: JetStreamClient;
  /** The bus connection: the watch re-syncs after a reconnect. */
  connection?: ConnectionState;
  store: StoreRecord;
  service: string;
  by: string;
  /** Called whenever the answer to "is this store the deployment's?" may have changed. */
  onState(state: { ok: true } | { ok: false; message: string }): void;
  logger?: BusLogger;
}

/**
 * After start: follows the `store` record, so a service whose store stops being the deployment's
 * (someone moved the deployment with STORE_ADOPT) says so at once; a record that disappears
 * (a wiped NATS store) is written again. Stop the returned mirror at shutdown.
 */
export async function watchDeploymentStore(o: WatchDeploymentStoreOptions): Promise<KvMirror<RecordedStore>> {
  const logger = o.logger ?? silentLogger;
  const kv = await deploymentBucket(o.js);
  const judge = (recorded: RecordedStore) => {
    if (recorded.id === o.store.id) return o.onState({ ok: true });
    const message = storeMismatchMessage(o.service, o.store, recorded);
    logger.error({ store: o.store, deploymentStore: recorded }, message);
    o.onState({ ok: false, message });
  };
  return mirrorBucket<RecordedStore>({
    js: o.js,
    bucket: Buckets.deployment.name,
    key: DeploymentKeys.store,
    decode: parseStoreRecord,
    ...(o.connection ? { connection: o.connection } : {}),
    logger,
    onChange(change) {
      if (change.op === 'put') return judge(change.value);
      // Gone (the bucket was wiped or the key deleted): record this store again, or learn who did.
      claimDeploymentStore(kv, o.store, { by: o.by }).then(
        (claim) => judge(claim.recorded),
        (err: unknown) => logger.warn({ err }, 'cannot record the deployment store again; retried at the next change'),
      );
    },
  });
}
