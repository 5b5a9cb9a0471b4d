// A counting semaphore: at most `limit` registry requests in flight per registry.
export class Limiter {
  readonly limit: number;
  #used = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#used >= this.limit) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#used++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#used--;
    }
  }
}
