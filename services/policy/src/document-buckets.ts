// Runtime policies and the exceptions in force copied into KV buckets as JSON, so admission
// replicas decide from an in-memory mirror (namespace policies, break-glass exceptions) and
// never read the store on the hot path. An exception's key is deleted at its expiry. The store stays the source of truth: each sync reads the current
// document and puts it (or deletes the key), so replays and races converge on the latest.
import { encodeBucketKey } from '@assay/proto';
import { allPages, type Store } from '@assay/store';
import type { KV } from 'nats';
import { inForce } from '@assay/runtime-policy';

const encoder = new TextEncoder();

export class DocumentBuckets {
  readonly #store: Store;
  readonly #runtime: KV;
  readonly #exceptions: KV;
  readonly #clock: () => Date;

  constructor(store: Store, runtime: KV, exceptions: KV, clock: () => Date = () => new Date()) {
    this.#store = store;
    this.#runtime = runtime;
    this.#exceptions = exceptions;
    this.#clock = clock;
  }

  async syncRuntimePolicy(id: string): Promise<void> {
    const r = await this.#store.runtimePolicies.current(id);
    const key = encodeBucketKey(id);
    if (r?.document) await this.#runtime.put(key, encoder.encode(JSON.stringify({ id: r.id, version: r.version, policy: r.document })));
    else await this.#runtime.delete(key);
  }

  async syncException(id: string): Promise<void> {
    const e = await this.#store.exceptions.get(id);
    const key = encodeBucketKey(id);
    if (e && inForce(e, this.#clock())) await this.#exceptions.put(key, encoder.encode(JSON.stringify(e)));
    else await this.#exceptions.delete(key);
  }

  /** Puts every document and deletes keys the store no longer has (at start). */
  async reconcile(): Promise<void> {
    const runtimeKeys = new Set<string>();
    for await (const r of allPages((p) => this.#store.runtimePolicies.list(p))) {
      runtimeKeys.add(encodeBucketKey(r.id));
      await this.syncRuntimePolicy(r.id);
    }
    const exceptionKeys = new Set<string>();
    for await (const e of allPages((p) => this.#store.exceptions.listActive(this.#clock(), p))) {
      exceptionKeys.add(encodeBucketKey(e.id));
      await this.syncException(e.id);
    }
    for (const [kv, keep] of [
      [this.#runtime, runtimeKeys],
      [this.#exceptions, exceptionKeys],
    ] as const) {
      for await (const k of await kv.keys()) if (!keep.has(k)) await kv.delete(k);
    }
  }
}
