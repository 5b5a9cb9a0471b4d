// Tag → digest when the tags mirror has no answer: one registry HEAD per reference, bounded by
// a deadline, answers (and misses) remembered for a while, concurrent asks for the same tag
// sharing one request. The only network call admission makes while answering.
import { formatReference, type ImageReference } from '@assay/image-ref';
import { RegistryClients, type RegistrySpec } from '@assay/registry-client';
import { TtlLru } from '@assay/kit';

export interface TagResolverOptions {
  registries: readonly RegistrySpec[];
  /** Deadline of one lookup, in ms. */
  timeoutMs: number;
  ttlMs: number;
  maxEntries: number;
  /** Misses and failures are remembered this long (shorter: a tag may be pushed any moment). */
  negativeTtlMs?: number;
  onLookup?: (result: 'hit' | 'miss' | 'error' | 'timeout', ms: number) => void;
  logger?: { warn(obj: object, msg: string): void };
}

export class TagResolver {
  readonly #opts: TagResolverOptions;
  readonly #clients: RegistryClients;
  readonly #cache: TtlLru<string | undefined>;
  readonly #inFlight = new Map<string, Promise<string | undefined>>();

  constructor(opts: TagResolverOptions) {
    this.#opts = opts;
    // The deadline is the bound: no retry could finish within it.
    this.#clients = new RegistryClients(opts.registries, { timeoutMs: opts.timeoutMs, retries: 0 });
    this.#cache = new TtlLru(opts.maxEntries);
  }

  /** What an earlier lookup learnt about a canonical tag reference: `{value}` (a digest or undefined = not found), or undefined if never asked. */
  cached(canonical: string): { value: string | undefined } | undefined {
    return this.#cache.get(canonical);
  }

  /** Looks the tag up in its registry (once per TTL); undefined when unknown or the lookup failed. */
  resolve(ref: ImageReference): Promise<string | undefined> {
    const key = formatReference({ ...ref, digest: undefined } as ImageReference);
    const hit = this.#cache.get(key);
    if (hit) return Promise.resolve(hit.value);
    let p = this.#inFlight.get(key);
    if (!p) {
      p = this.#lookup(key, ref).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, p);
    }
    return p;
  }

  async #lookup(key: string, ref: ImageReference): Promise<string | undefined> {
    const started = performance.now();
    const negativeTtl = Math.min(this.#opts.negativeTtlMs ?? 5000, this.#opts.ttlMs);
    try {
      const desc = await this.#clients.clientFor(ref.registry).headManifest(ref.repository, ref.tag ?? 'latest', {
        signal: AbortSignal.timeout(this.#opts.timeoutMs),
      });
      this.#cache.set(key, desc?.digest, desc ? this.#opts.ttlMs : negativeTtl);
      this.#opts.onLookup?.(desc ? 'hit' : 'miss', performance.now() - started);
      return desc?.digest;
    } catch (err) {
      const timedOut =
        (err as Error).name === 'TimeoutError' ||
        (err as Error).name === 'AbortError' ||
        /abort|timeout|no response/i.test(String((err as Error).message));
      this.#cache.set(key, undefined, negativeTtl);
      this.#opts.onLookup?.(timedOut ? 'timeout' : 'error', performance.now() - started);
      this.#opts.logger?.warn(
        { reference: key, error: (err as Error).message },
        'registry lookup of a tag failed; treating it as unresolved',
      );
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.#clients.close();
  }
}
