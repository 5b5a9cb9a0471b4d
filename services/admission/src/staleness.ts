// How current admission's view of the buckets is. Decisions read the in-memory mirrors; while
// NATS is unreachable, or a mirror re-syncs after a reconnect, they keep answering from the last
// state they hold, and this says for how long that state has not been current: the gauge
// assay_admission_mirror_stale_seconds, a log line when it starts and ends, and each decision's
// audit event. Staleness never makes admission unready (that would empty the webhook's Service
// exactly when deciding from memory is what keeps the cluster working).

/** What staleness looks at in a bucket mirror (a KvMirror). */
export interface MirrorState {
  readonly bucket: string;
  /** Loaded completely at least once. */
  isSynced(): boolean;
  /** Watch up and loaded now. */
  isLive(): boolean;
}

export interface StalenessOptions {
  mirrors: readonly MirrorState[];
  isConnected(): boolean;
  /** How often the state is looked at between events, in ms (default 1000). */
  pollMs?: number;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export class Staleness {
  readonly #o: StalenessOptions;
  readonly #now: () => number;
  /** When the mirrors stopped being current; undefined while they are. */
  #since: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: StalenessOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Looks at the state every `pollMs` (so the start of an outage is logged, and timed within that). */
  start(): void {
    this.#timer ??= setInterval(() => this.seconds(), this.#o.pollMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The connection was lost now: staleness counts from this moment, not from the next look. */
  lost(): void {
    if (this.#since === undefined && this.#o.mirrors.every((m) => m.isSynced())) this.#begin(this.#now(), 'NATS connection lost');
  }

  /** Whether the mirrors are current: connected, every watch up and loaded. */
  isCurrent(): boolean {
    return this.#o.isConnected() && this.#o.mirrors.every((m) => m.isLive());
  }

  /** Seconds since the mirrors were last current (the gauge); 0 while they are. */
  seconds(): number {
    return this.staleFor() ?? 0;
  }

  /**
   * Seconds since the mirrors were last current; undefined while they are. Before every mirror
   * has loaded once there is no state to be stale (admission is not ready then): undefined too.
   */
  staleFor(): number | undefined {
    const now = this.#now();
    if (this.isCurrent()) {
      if (this.#since !== undefined) {
        this.#o.logger?.info({ staleSeconds: (now - this.#since) / 1000 }, 'bucket mirrors current again');
        this.#since = undefined;
      }
      return undefined;
    }
    if (!this.#o.mirrors.every((m) => m.isSynced())) return undefined;
    if (this.#since === undefined) {
      const behind = this.#o.mirrors.filter((m) => !m.isLive()).map((m) => m.bucket);
      this.#begin(now, this.#o.isConnected() ? `re-syncing ${behind.join(', ')}` : 'NATS connection lost');
    }
    return (now - this.#since!) / 1000;
  }

  #begin(at: number, why: string): void {
    this.#since = at;
    this.#o.logger?.warn({ why }, 'bucket mirrors not current: deciding from the last known state');
  }
}
