// Runtime policies and the exceptions in force copied into KV buckets as JSON, so admission
// replicas decide from an in-memory mirror (namespace policies, break-glass exceptions) and
// never read the store on the hot path. An exception's key is deleted at its expiry. The store stays the source of truth: each sync reads the current
// document and puts it (or deletes the key), so replays and races converge on the latest.
//
// Reconciliation at start deletes keys the store does not hold only when this store is the one
// that wrote the bucket (recorded in the deployment bucket): a store that merely looks empty (a
// pod on a fresh volume, a wrong SQLITE_PATH) must never switch enforcement off by deleting the
// bucket copies admission decides from.
import { bucketWriter, describeStoreRecord, recordBucketWriter, type RecordedStore, type StoreRecord } from '@assay/bus';
import { Buckets, encodeBucketKey } from '@assay/proto';
import { allPages, type Store } from '@assay/store';
import type { KV } from 'nats';
import { inForce } from '@assay/runtime-policy';

const encoder = new TextEncoder();

/** Where reconciliation records (and checks) which store wrote each document bucket. */
export interface BucketWriterRecords {
  /** The deployment bucket. */
  kv: KV;
  /** This service's store. */
  store: StoreRecord;
  /** Who records: `policy@<instance>`. */
  by: string;
  /** STORE_ADOPT: this store replaces whichever wrote the buckets, deletions included. */
  adopt?: boolean;
}

/** What reconciliation did to one bucket. */
export interface BucketReconcile {
  readonly bucket: string;
  /** `full`: every document put, every other key deleted. `additive`: only missing keys put, nothing deleted or overwritten. */
  readonly mode: 'full' | 'additive';
  /** Why it was only additive: the bucket was written from another store, or looks so. */
  readonly reason?: string;
  /** Keys left in place although this store does not hold them (additive only). */
  readonly kept: readonly string[];
}

export class DocumentBuckets {
  readonly #store: Store;
  readonly #runtime: KV;
  readonly #exceptions: KV;
  readonly #writers: BucketWriterRecords;
  readonly #clock: () => Date;

  constructor(store: Store, runtime: KV, exceptions: KV, writers: BucketWriterRecords, clock: () => Date = () => new Date()) {
    this.#store = store;
    this.#runtime = runtime;
    this.#exceptions = exceptions;
    this.#writers = writers;
    this.#clock = clock;
  }

  // A key is deleted only when this store says the document is gone (a tombstone version) or no
  // longer in force, never because the store knows nothing of it: a change event handled after the
  // store was wiped or replaced (the store-identity check notices within a recheck) must not take
  // enforcement away, as start-up reconciliation never does either.
  async syncRuntimePolicy(id: string): Promise<void> {
    const r = await this.#store.runtimePolicies.current(id);
    const key = encodeBucketKey(id);
    if (r?.document) await this.#runtime.put(key, encoder.encode(JSON.stringify({ id: r.id, version: r.version, policy: r.document })));
    else if ((await this.#store.runtimePolicies.history(id)).length > 0) await this.#runtime.delete(key);
  }

  async syncException(id: string): Promise<void> {
    const e = await this.#store.exceptions.get(id);
    const key = encodeBucketKey(id);
    if (e && inForce(e, this.#clock())) await this.#exceptions.put(key, encoder.encode(JSON.stringify(e)));
    else if (e || (await this.#store.exceptionVersions.history(id)).length > 0) await this.#exceptions.delete(key);
  }

  /**
   * At start: puts every document and deletes keys the store no longer has — when this store
   * wrote the bucket. Otherwise only puts what the bucket lacks, and reports why.
   */
  async reconcile(): Promise<BucketReconcile[]> {
    const runtimeIds: string[] = [];
    for await (const r of allPages((p) => this.#store.runtimePolicies.list(p))) runtimeIds.push(r.id);
    const exceptionIds: string[] = [];
    for await (const e of allPages((p) => this.#store.exceptions.listActive(this.#clock(), p))) exceptionIds.push(e.id);
    return [
      await this.#reconcileOne(Buckets.runtimePolicies.name, this.#runtime, runtimeIds, (id) => this.syncRuntimePolicy(id)),
      await this.#reconcileOne(Buckets.exceptions.name, this.#exceptions, exceptionIds, (id) => this.syncException(id)),
    ];
  }

  async #reconcileOne(bucket: string, kv: KV, ids: readonly string[], sync: (id: string) => Promise<void>): Promise<BucketReconcile> {
    const present = new Set<string>();
    for await (const k of await kv.keys()) present.add(k);
    const keep = new Set(ids.map(encodeBucketKey));
    const reason = await this.#unsafeReason(bucket, keep.size, present.size);
    if (reason === undefined) {
      for (const id of ids) await sync(id);
      for (const k of present) if (!keep.has(k)) await kv.delete(k);
      const w = this.#writers;
      await recordBucketWriter(w.kv, bucket, w.store, w.by, this.#clock());
      return { bucket, mode: 'full', kept: [] };
    }
    // Only what the bucket lacks: never overwrite or delete what another store wrote.
    for (const id of ids) if (!present.has(encodeBucketKey(id))) await sync(id);
    return { bucket, mode: 'additive', reason, kept: [...present].filter((k) => !keep.has(k)).sort() };
  }

  /** Why deleting keys of `bucket` is not safe; undefined when it is. */
  async #unsafeReason(bucket: string, held: number, present: number): Promise<string | undefined> {
    const w = this.#writers;
    if (w.adopt) return undefined;
    const writer: RecordedStore | undefined = await bucketWriter(w.kv, bucket);
    if (writer?.id === w.store.id) return undefined;
    const mine = describeStoreRecord(w.store);
    if (writer) {
      return (
        `bucket ${bucket} was last reconciled from store ${describeStoreRecord(writer)} (by ${writer.recordedBy} at ${writer.recordedAt}), ` +
        `not from this service's store ${mine}`
      );
    }
    if (held === 0 && present > 0) {
      return `bucket ${bucket} holds ${present} keys but this service's store ${mine} holds none, and no store is recorded as the bucket's writer`;
    }
    return undefined;
  }
}

/** The error logged when reconciliation kept keys: what happened, and what to do. */
export function reconcileRefusal(r: BucketReconcile): string {
  return (
    `not deleting from ${r.bucket} the ${r.kept.length} keys this store does not hold: ${r.reason}. ` +
    'Admission keeps deciding from the bucket copies. Point policy at the store that wrote them (every service shares one store), ' +
    'or, to make this store the source of truth and delete them, restart policy once with STORE_ADOPT=true'
  );
}
