// Events admission publishes off the critical path (audit decisions, scan requests): queued in
// a bounded in-memory buffer and published in the background, kept while NATS is unreachable
// and flushed when it is back. Nothing is dropped silently: a full buffer refuses the event,
// counts it and says so in the log.

export interface OutboxOptions<T> {
  capacity: number;
  /** Publishes one item; rejects to keep it for later. */
  publish(item: T): Promise<void>;
  isConnected(): boolean;
  /** Publishes in flight at once. */
  concurrency?: number;
  /** How many events an item carries (a batch: its events); capacity and size count these. Default 1. */
  weight?(item: T): number;
  onDropped?(item: T): void;
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
const DROP_LOG_INTERVAL_MS = 10_000;

export class Outbox<T> {
  readonly #opts: OutboxOptions<T>;
  // A queue with a moving head: shifting a long array (a backlog after an outage) would copy it each time.
  #queue: T[] = [];
  #head = 0;
  #inFlight = 0;
  /** Events (weights) queued and in flight. */
  #weight = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_MIN_MS;
  #droppedSinceLog = 0;
  #lastDropLog = 0;
  #stopped = false;
  #idle: Array<() => void> = [];
  /** Events (weights) published and refused so far. */
  published = 0;
  dropped = 0;

  constructor(opts: OutboxOptions<T>) {
    this.#opts = opts;
  }

  /** Events waiting or in flight (an item counts its weight). */
  get size(): number {
    return this.#weight;
  }

  #weightOf(item: T): number {
    return this.#opts.weight?.(item) ?? 1;
  }

  /** Queues an item; false (counted, logged) when the buffer is full. */
  push(item: T): boolean {
    const w = this.#weightOf(item);
    if (this.#weight + w > this.#opts.capacity) {
      this.dropped += w;
      this.#droppedSinceLog += w;
      this.#opts.onDropped?.(item);
      const now = Date.now();
      if (now - this.#lastDropLog >= DROP_LOG_INTERVAL_MS) {
        this.#opts.logger.error(
          { dropped: this.#droppedSinceLog, capacity: this.#opts.capacity },
          'outbox full (NATS unreachable for long?): events refused and lost',
        );
        this.#lastDropLog = now;
        this.#droppedSinceLog = 0;
      }
      return false;
    }
    this.#queue.push(item);
    this.#weight += w;
    this.#pump();
    return true;
  }

  /** Publishes what is queued now (after a reconnect). */
  flush(): void {
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    this.#retryMs = RETRY_MIN_MS;
    this.#pump();
  }

  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /**
   * Starts publishes up to the concurrency: a window refilled as acknowledgements come back, so no
   * long burst of encoding blocks the event loop (webhook answers would wait behind it).
   */
  #pump(): void {
    const concurrency = this.#opts.concurrency ?? 64;
    while (this.#inFlight < concurrency && this.#head < this.#queue.length && !this.#stopped && this.#retryTimer === undefined) {
      if (!this.#opts.isConnected()) {
        this.#scheduleRetry();
        return;
      }
      const item = this.#queue[this.#head]!;
      this.#queue[this.#head] = undefined as T;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#inFlight++;
      this.#opts.publish(item).then(
        () => {
          this.#inFlight--;
          const w = this.#weightOf(item);
          this.#weight -= w;
          this.published += w;
          this.#retryMs = RETRY_MIN_MS;
          this.#settled();
        },
        (err: unknown) => {
          this.#inFlight--;
          // Back to the front: order is kept as far as it can be, and nothing is lost.
          if (this.#head > 0) this.#queue[--this.#head] = item;
          else this.#queue.unshift(item);
          if (this.#retryTimer === undefined)
            this.#opts.logger.warn({ err, queued: this.size }, 'publishing from the outbox failed; will retry');
          this.#scheduleRetry();
          this.#settled();
        },
      );
    }
  }

  #settled(): void {
    // Refill in small bursts once half the window is free: writes still coalesce on the socket,
    // and no burst is long enough to hold up webhook answers.
    if (this.#inFlight <= (this.#opts.concurrency ?? 64) / 2) this.#pump();
    if (this.size === 0) for (const r of this.#idle.splice(0)) r();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#stopped) return;
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, wait);
    this.#retryTimer.unref();
  }

  /** Tries to publish what is left within `timeoutMs`, then stops; returns how many were left unpublished. */
  async stop(timeoutMs: number): Promise<number> {
    if (this.size > 0 && this.#opts.isConnected()) {
      this.flush();
      await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const left = this.size;
    if (left > 0) this.#opts.logger.error({ left }, 'stopping with events not yet published');
    return left;
  }
}
