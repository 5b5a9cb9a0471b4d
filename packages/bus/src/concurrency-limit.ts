// Counts handler slots, so the pull loop asks the server for exactly as many messages as it can
// start now: nothing waits in a client-side buffer while its ack wait runs out.
export class ConcurrencyLimit {
  readonly limit: number;
  #used = 0;
  #waiters: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get free(): number {
    return this.limit - this.#used;
  }

  get used(): number {
    return this.#used;
  }

  take(): void {
    if (this.#used >= this.limit) throw new Error('no free slot');
    this.#used++;
  }

  release(): void {
    this.#used--;
    this.wake();
  }

  /** Resolves when a slot is free (at once if one is), or when `wake()` is called. */
  waitFree(): Promise<void> {
    if (this.free > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Releases everyone waiting, e.g. so a stopping loop can notice it should end. */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
