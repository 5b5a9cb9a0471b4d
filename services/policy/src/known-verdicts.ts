// The verdict entries this replica last read or wrote, by digest, each with its revision: a
// compare-and-set can start from one instead of reading the entry again. Re-evaluating every
// image after a policy change otherwise asks the server for each entry first, and that read is a
// third of the requests. A remembered entry is only ever a starting point: the write names its
// revision, so it succeeds only if nobody wrote since, and the entry is then exactly what was
// remembered. Another writer (a replica, a pending or index verdict) makes it fail, and the
// write reads the entry afresh as it always did.
//
// Bounded by the bytes of the encoded entries kept (oldest dropped first), not by image count:
// verdicts carry evidence and their sizes vary.

/** Default budget: tens of thousands of typical verdicts. */
export const KNOWN_VERDICTS_BYTES = 32 * 1024 * 1024;

export interface KnownEntry {
  revision: number;
  /** The encoded verdict, as in the bucket. */
  data: Uint8Array;
}

export class KnownVerdicts {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, KnownEntry>();
  #bytes = 0;
  // A live iterator kept between evictions, as in @assay/kit's LRU: a fresh `keys().next()` walks
  // over every deleted slot at the front of the map's table before the first live entry. Only
  // evictions advance it, and they delete what they pass, so everything before it is gone.
  #oldest: Iterator<string> = this.#entries.keys();

  constructor(maxBytes = KNOWN_VERDICTS_BYTES) {
    this.#maxBytes = maxBytes;
  }

  get(digest: string): KnownEntry | undefined {
    return this.#entries.get(digest);
  }

  /** Remembers `digest`'s entry as the newest (moved to the end of the eviction order). */
  set(digest: string, revision: number, data: Uint8Array): void {
    this.forget(digest);
    if (data.length > this.#maxBytes) return;
    this.#entries.set(digest, { revision, data });
    this.#bytes += data.length;
    while (this.#bytes > this.#maxBytes) this.#evictOldest();
  }

  #evictOldest(): void {
    let next = this.#oldest.next();
    if (next.done) {
      this.#oldest = this.#entries.keys();
      next = this.#oldest.next();
      if (next.done) return;
    }
    this.forget(next.value);
  }

  forget(digest: string): void {
    const e = this.#entries.get(digest);
    if (!e) return;
    this.#entries.delete(digest);
    this.#bytes -= e.data.length;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }
}
