// Tag → digest when the tags mirror has no answer: one registry HEAD per reference, a bounded
// number of them in flight for the whole process (lookup-queue.ts), each review waiting for its
// own only until its budget ends. Answers (and misses, and failures) are remembered for a while,
// so a lookup that finishes after its review was answered serves the next review. The only
// network call admission makes while answering.
import type { ImageReference } from '@assay/image-ref';
import { canonicalTag } from '@assay/review-engine';
import { RegistryClients, type RegistrySpec } from '@assay/registry-client';
import { TtlLru } from '@assay/kit';
import { LookupQueue } from './lookup-queue.ts';

export interface TagResolverOptions {
  registries: readonly RegistrySpec[];
  /** Deadline of one registry HEAD, in ms (a review's whole budget is the caller's). */
  timeoutMs: number;
  /** Registry HEADs in flight at once, for the whole process. */
  concurrency?: number;
  ttlMs: number;
  maxEntries: number;
  /** Misses and failures are remembered this long (shorter: a tag may be pushed any moment). */
  negativeTtlMs?: number;
  onLookup?: (result: 'hit' | 'miss' | 'error' | 'timeout', ms: number) => void;
  /** Tags a review is decided without, their lookups not answered within its budget (or never started). */
  onLate?: (tags: number) => void;
  logger?: { warn(obj: object, msg: string): void };
}

/** What a lookup learnt: the digest, that the registry has no such tag, or that it could not tell. */
export type TagLookup = { digest: string } | { notFound: true } | { failed: 'timeout' | 'error' };

/**
 * Why a tag has no digest after the lookups of a review: `late` (its lookup had not answered when
 * the budget ended, or never started), `timeout` (the registry did not answer the HEAD in time),
 * `error` (the registry refused or failed). A tag the registry answered "not found" is none of these.
 */
export type Unresolved = 'late' | 'timeout' | 'error';

export const DEFAULT_LOOKUP_CONCURRENCY = 32;
/**
 * Registry clients (connection pools) kept: pods name any registry they like, and each new host
 * would otherwise keep a pool for the life of the process.
 */
const MAX_REGISTRY_CLIENTS = 64;
/** At most one warning per this long about failed lookups (a dead registry fails thousands at once). */
const WARN_EVERY_MS = 10_000;

export class TagResolver {
  readonly #opts: TagResolverOptions;
  readonly #clients: RegistryClients;
  readonly #cache: TtlLru<TagLookup>;
  readonly #queue: LookupQueue<ImageReference>;
  #lastWarn = 0;
  #unwarned = 0;

  constructor(opts: TagResolverOptions) {
    this.#opts = opts;
    // The deadline is the bound: no retry could finish within it.
    this.#clients = new RegistryClients(opts.registries, { timeoutMs: opts.timeoutMs, retries: 0, maxClients: MAX_REGISTRY_CLIENTS });
    this.#cache = new TtlLru(opts.maxEntries);
    this.#queue = new LookupQueue(opts.concurrency ?? DEFAULT_LOOKUP_CONCURRENCY, (key, ref) => this.#lookup(key, ref));
  }

  /** What an earlier lookup learnt about a canonical tag reference: `{value}` (a digest or undefined = not known), or undefined if never asked. */
  cached(canonical: string): { value: string | undefined } | undefined {
    const hit = this.#cache.get(canonical);
    return hit && { value: 'digest' in hit.value ? hit.value.digest : undefined };
  }

  /** Lookups running and waiting now, and the registry clients held (for tests and metrics). */
  get load(): { running: number; queued: number; registryClients: number } {
    return { running: this.#queue.running, queued: this.#queue.queued, registryClients: this.#clients.size };
  }

  /**
   * Looks the tags (references without a digest, keyed by `canonicalTag` as the decision reads
   * them) up in their registries (each once per TTL; shared with concurrent reviews
   * asking for the same), waiting until every answer is in or `until` (epoch ms), whichever comes
   * first. Returns the canonical tags that are still without an answer, and why; their lookups
   * still running carry on and are remembered for the next review.
   */
  async resolveAll(refs: readonly ImageReference[], until: number): Promise<Map<string, Unresolved>> {
    const unresolved = new Map<string, Unresolved>();
    const wanted = new Map<string, ImageReference>();
    for (const ref of refs) {
      const key = canonicalTag(ref);
      if (wanted.has(key) || unresolved.has(key)) continue;
      const hit = this.#cache.get(key);
      if (!hit) wanted.set(key, ref);
      else if ('failed' in hit.value) unresolved.set(key, hit.value.failed);
    }
    if (wanted.size === 0) return unresolved;
    const lookups = this.#queue.enqueue(wanted, until);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([lookups.settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, until - Date.now())))]);
    } finally {
      clearTimeout(timer);
      lookups.release();
    }
    let late = 0;
    for (const key of wanted.keys()) {
      const hit = this.#cache.get(key);
      if (!hit) {
        unresolved.set(key, 'late');
        late++;
      } else if ('failed' in hit.value) unresolved.set(key, hit.value.failed);
    }
    if (late > 0) this.#opts.onLate?.(late);
    return unresolved;
  }

  async #lookup(key: string, ref: ImageReference): Promise<void> {
    const started = performance.now();
    const negativeTtl = Math.min(this.#opts.negativeTtlMs ?? 5000, this.#opts.ttlMs);
    try {
      // Bounded by the client's own per-request deadline (timeoutMs), whose timer is cleared
      // with the answer: no AbortSignal.timeout left armed per lookup.
      const desc = await this.#clients.clientFor(ref.registry).headManifest(ref.repository, ref.tag ?? 'latest');
      if (desc) this.#cache.set(key, { digest: desc.digest }, this.#opts.ttlMs);
      else this.#cache.set(key, { notFound: true }, negativeTtl);
      this.#opts.onLookup?.(desc ? 'hit' : 'miss', performance.now() - started);
    } catch (err) {
      const timedOut =
        (err as { timedOut?: boolean }).timedOut === true ||
        (err as Error).name === 'TimeoutError' ||
        (err as Error).name === 'AbortError' ||
        /abort|timeout|no response/i.test(String((err as Error).message));
      // Remembered briefly, so a registry that hangs does not hold a slot for every review.
      this.#cache.set(key, { failed: timedOut ? 'timeout' : 'error' }, negativeTtl);
      this.#opts.onLookup?.(timedOut ? 'timeout' : 'error', performance.now() - started);
      this.#warn(key, err as Error);
    }
  }

  /** One warning per WARN_EVERY_MS, counting the failures it stands for. */
  #warn(reference: string, err: Error): void {
    const now = Date.now();
    if (now - this.#lastWarn < WARN_EVERY_MS) {
      this.#unwarned++;
      return;
    }
    const alsoFailed = this.#unwarned;
    this.#lastWarn = now;
    this.#unwarned = 0;
    this.#opts.logger?.warn(
      { reference, error: err.message, ...(alsoFailed > 0 ? { alsoFailed } : {}) },
      'registry lookup of a tag failed; treating it as unresolved',
    );
  }

  async close(): Promise<void> {
    await this.#clients.close();
  }
}
