// The one bounded cache: a small LRU map with a time-to-live per entry (admission's registry and
// namespace lookups, its scan-request dedupe), and a bounded memo of a pure function.
export class TtlLru<V> {
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The live entry (refreshing its recency), or undefined. `has` tells an absent key from a cached undefined. */
  get(key: string, now = Date.now()): { value: V } | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return { value: e.value };
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: now + ttlMs });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * `fn` remembered for the last `max` distinct arguments (a thrown error too): admission sees the
 * same few hundred image references over and over, and parsing them is a measurable share of a
 * decision. `fn` must be pure and its result not mutated by callers. Eviction is oldest-first
 * (not LRU): a hit costs no map reordering, which is the point on a hot path.
 */
export function boundedMemo<R>(max: number, fn: (key: string) => R): (key: string) => R {
  const cache = new Map<string, { value: R } | { error: unknown }>();
  return (key) => {
    let hit = cache.get(key);
    if (!hit) {
      try {
        hit = { value: fn(key) };
      } catch (error) {
        hit = { error };
      }
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(key, hit);
    }
    if ('error' in hit) throw hit.error;
    return hit.value;
  };
}
