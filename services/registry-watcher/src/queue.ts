// A bounded in-memory work queue with a fixed number of workers. Notifications are answered as
// soon as their work is queued; the work (registry requests, publishing) runs here, retried with
// exponential backoff. A full queue refuses new work, so the HTTP layer can answer 503 and let
// the registry retry later. Identical items already waiting are not queued twice.

export interface WorkQueueOptions<T> {
  capacity: number;
  workers: number;
  /** Identity of an item: one waiting copy per key. */
  key(item: T): string;
  handle(item: T): Promise<void>;
  /** Attempts before an item is given up (`onGiveUp`). */
  attempts: number;
  /** First retry delay, doubled each attempt (capped at 30 s). */
  retryBaseMs: number;
  onRetry?(item: T, err: unknown, attempt: number, delayMs: number): void;
  onGiveUp?(item: T, err: unknown): void;
}

export type EnqueueResult = 'queued' | 'duplicate' | 'full' | 'stopped';

const MAX_DELAY_MS = 30_000;

export class WorkQueue<T> {
  readonly #opts: WorkQueueOptions<T>;
  readonly #waiting: T[] = [];
  readonly #waitingKeys = new Set<string>();
  /** Items between attempts (sleeping before a retry): they still count against the capacity. */
  #retrying = 0;
  #active = 0;
  #stopped = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  #idleWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions<T>) {
    this.#opts = opts;
  }

  /** Items waiting, retrying or being handled. */
  get size(): number {
    return this.#waiting.length + this.#retrying + this.#active;
  }

  get capacity(): number {
    return this.#opts.capacity;
  }

  /** Queues every item or none (a notification's events are accepted together, or refused together). */
  enqueueAll(items: readonly T[]): EnqueueResult {
    if (this.#stopped) return 'stopped';
    const fresh = items.filter((it, i) => {
      const k = this.#opts.key(it);
      return !this.#waitingKeys.has(k) && items.findIndex((o) => this.#opts.key(o) === k) === i;
    });
    if (fresh.length === 0) return items.length === 0 ? 'queued' : 'duplicate';
    if (this.size + fresh.length > this.#opts.capacity) return 'full';
    for (const it of fresh) {
      this.#waiting.push(it);
      this.#waitingKeys.add(this.#opts.key(it));
    }
    this.#pump();
    return 'queued';
  }

  enqueue(item: T): EnqueueResult {
    return this.enqueueAll([item]);
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#opts.workers && this.#waiting.length > 0) {
      const item = this.#waiting.shift()!;
      this.#waitingKeys.delete(this.#opts.key(item));
      this.#active++;
      void this.#run(item, 1);
    }
    this.#checkIdle();
  }

  async #run(item: T, attempt: number): Promise<void> {
    try {
      await this.#opts.handle(item);
    } catch (err) {
      if (!this.#stopped && attempt < this.#opts.attempts) {
        const delay = Math.min(this.#opts.retryBaseMs * 2 ** (attempt - 1), MAX_DELAY_MS);
        this.#opts.onRetry?.(item, err, attempt, delay);
        this.#retrying++;
        const t = setTimeout(() => {
          this.#timers.delete(t);
          this.#retrying--;
          if (this.#stopped) return this.#checkIdle();
          this.#active++;
          void this.#run(item, attempt + 1);
        }, delay);
        this.#timers.add(t);
      } else {
        this.#opts.onGiveUp?.(item, err);
      }
    } finally {
      this.#active--;
      this.#pump();
    }
  }

  #checkIdle(): void {
    if (this.size === 0 || (this.#stopped && this.#active === 0)) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when nothing is waiting, retrying or being handled. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Takes no more work, drops what waits and what sleeps before a retry, and waits for the items in hand. */
  async stop(): Promise<{ dropped: number }> {
    this.#stopped = true;
    const dropped = this.#waiting.length + this.#retrying;
    this.#waiting.length = 0;
    this.#waitingKeys.clear();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#retrying = 0;
    if (this.#active > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
    return { dropped };
  }
}
