// The one bounded cache: a small LRU map with a time-to-live per entry (admission's registry and
// namespace lookups, its scan-request dedupe), and a bounded memo of a pure function.
/**
 * The oldest key of a map that only ever loses its oldest keys through this function (and any
 * other key anywhere): a live iterator, kept between calls. `map.keys().next()` afresh would walk
 * over every deleted slot at the front of V8's hash table before the first live one, and those
 * pile up with each eviction until the table is rebuilt: thousands per call when a full cache sees
 * only new keys (a review naming 5,000 unknown tags spent most of its time there).
 */
class OldestKey<K> {
  readonly #map: Map<K, unknown>;
  #it: Iterator<K>;

  constructor(map: Map<K, unknown>) {
    this.#map = map;
    this.#it = map.keys();
  }

  /** Deletes the oldest entry (insertion order, re-set entries counting as new). */
  evict(): void {
    let oldest = this.#it.next();
    if (oldest.done) {
      // Exhausted once (the map was empty when it was asked): iterators do not come back.
      this.#it = this.#map.keys();
      oldest = this.#it.next();
      if (oldest.done) return;
    }
    this.#map.delete(oldest.value);
  }
}

export class TtlLru<V> {
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; expires: number }>();
  readonly #oldest = new OldestKey(this.#entries);

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
    while (this.#entries.size > this.#max) this.#oldest.evict();
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
  const oldest = new OldestKey(cache);
  return (key) => {
    let hit = cache.get(key);
    if (!hit) {
      try {
        hit = { value: fn(key) };
      } catch (error) {
        hit = { error };
      }
      if (cache.size >= max) oldest.evict();
      cache.set(key, hit);
    }
    if ('error' in hit) throw hit.error;
    return hit.value;
  };
}
