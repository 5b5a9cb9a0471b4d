// How long the local stack waits before starting an exited service again: exponential backoff
// (1 s, 2 s, 4 s … up to 30 s), so a service that crashes at once does not spin the CPU the
// others need, while one that crashed after running well comes back within a second.

export interface BackoffOptions {
  /** First delay, in ms. Default 1000. */
  baseMs?: number;
  /** Longest delay, in ms. Default 30 000. */
  maxMs?: number;
  /** A process that stayed up this long (ms) was healthy: the next delay starts again at `baseMs`. Default 60 000. */
  resetAfterMs?: number;
}

export class RestartBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  #failures = 0;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 1000;
    this.maxMs = opts.maxMs ?? 30_000;
    this.resetAfterMs = opts.resetAfterMs ?? 60_000;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs) || !(this.resetAfterMs >= 0)) {
      throw new Error(
        `restart backoff needs 0 < baseMs <= maxMs and resetAfterMs >= 0 (got ${this.baseMs}, ${this.maxMs}, ${this.resetAfterMs})`,
      );
    }
  }

  /** Exits in a row without a healthy run in between (after the latest `next`). */
  get consecutive(): number {
    return this.#failures;
  }

  /** The delay before the next start, given how long the process that just exited had been up. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.resetAfterMs) this.#failures = 0;
    // 2 ** n grows past maxMs long before it could overflow: cap the exponent as well.
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    return delay;
  }
}
