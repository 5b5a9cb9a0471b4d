// One timer for everything that changes with time alone: the next exception or allow-list
// expiry (key EXPIRIES) and per-image moments (a grace period ending, an image growing too old).
// Armed at the earliest due time and re-armed as entries change: it fires at expiry, it never polls.
export const EXPIRIES = 'expiries';

/** setTimeout's limit (about 24.8 days); a later time is reached in hops. */
const MAX_DELAY = 2 ** 31 - 1;

export class Scheduler {
  readonly #due = new Map<string, number>();
  readonly #onDue: (keys: string[], at: Date) => Promise<void>;
  readonly #clock: () => Date;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #armedAt = Infinity;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(onDue: (keys: string[], at: Date) => Promise<void>, clock: () => Date, onError: (err: unknown) => void) {
    this.#onDue = onDue;
    this.#clock = clock;
    this.#onError = onError;
  }

  /** Sets (or clears, with undefined) when `key` is due. */
  set(key: string, at: Date | undefined): void {
    if (at === undefined) {
      this.#due.delete(key);
      return; // a timer left armed for it finds nothing due and re-arms
    }
    const t = at.getTime();
    this.#due.set(key, t);
    if (t < this.#armedAt) this.#arm(t);
  }

  dueAt(key: string): Date | undefined {
    const t = this.#due.get(key);
    return t === undefined ? undefined : new Date(t);
  }

  #arm(t: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#armedAt = t;
    const delay = Math.min(Math.max(t - this.#clock().getTime(), 0), MAX_DELAY);
    this.#timer = setTimeout(() => this.#fire(), delay);
    this.#timer.unref?.();
  }

  #fire(): void {
    this.#armedAt = Infinity;
    this.#timer = undefined;
    const now = this.#clock().getTime();
    const keys: string[] = [];
    let next = Infinity;
    for (const [k, t] of this.#due) {
      if (t <= now) keys.push(k);
      else next = Math.min(next, t);
    }
    for (const k of keys) this.#due.delete(k);
    if (next < Infinity) this.#arm(next);
    if (keys.length === 0) return;
    // Serialised: one expiry batch at a time.
    this.#running = this.#running.then(() => this.#onDue(keys, new Date(now))).catch(this.#onError);
  }

  /** Waits for a batch in progress (tests). */
  idle(): Promise<void> {
    return this.#running;
  }

  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    return this.#running;
  }
}
