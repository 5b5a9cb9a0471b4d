// A counting semaphore: at most `limit` holders at once, waiters served in arrival order.
// One implementation for every bounded thing (scan jobs, registry requests per registry, a
// pull loop's handler slots), so fairness and release-once hold everywhere.

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

export class Semaphore {
  readonly limit: number;
  #used = 0;
  readonly #waiting: Array<() => void> = [];
  #watchers: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  get free(): number {
    return this.limit - this.#used;
  }

  /** A slot now, or undefined when none is free (never waits). */
  tryAcquire(): Release | undefined {
    if (this.#used >= this.limit) return undefined;
    this.#used++;
    return this.#releaser();
  }

  /** A slot, waiting in arrival order for one to be released. */
  async acquire(): Promise<Release> {
    if (this.#used < this.limit) {
      this.#used++;
    } else {
      // The releaser hands its slot straight to us: #used stays counted.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    return this.#releaser();
  }

  /** Runs `fn` holding a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Resolves when a slot is free (at once if one is), or when `wake()` is called: for a loop that
   * must not take the slot yet (it asks a server for work first) but must not spin either.
   */
  waitFree(): Promise<void> {
    if (this.free > 0) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push(resolve));
  }

  /** Releases everyone in `waitFree()`, e.g. so a stopping loop notices it should end. */
  wake(): void {
    const watchers = this.#watchers;
    this.#watchers = [];
    for (const w of watchers) w();
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else {
        this.#used--;
        this.wake();
      }
    };
  }
}
