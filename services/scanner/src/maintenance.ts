// Store upkeep the scanner owns, so its disk use stays bounded: layer analyses no scan has used
// for SCAN_LAYER_CACHE_MAX_AGE are evicted (a later scan of such a layer walks it again), and
// report chunks a failed write left behind are removed. At start, then every
// SCAN_MAINTENANCE_INTERVAL; replicas doing it at once is harmless (deletes are idempotent).
import type { Store } from '@assay/store';
import type { Logger } from '@assay/telemetry';

export interface MaintenanceOptions {
  store: Store;
  logger: Logger;
  intervalMs: number;
  /** Layer analyses unused for longer than this are evicted. */
  layerCacheMaxAgeMs: number;
  /** Orphaned report chunks older than this are removed (younger ones may be a write in progress). */
  orphanAgeMs?: number;
  clock?: () => Date;
}

export interface MaintenanceResult {
  evicted: number;
  orphans: number;
}

export class StoreMaintenance {
  readonly #o: MaintenanceOptions & { clock: () => Date; orphanAgeMs: number };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<MaintenanceResult> | undefined;

  constructor(opts: MaintenanceOptions) {
    this.#o = { clock: () => new Date(), orphanAgeMs: 3600_000, ...opts };
  }

  /** One round (a round already running is joined). */
  runOnce(): Promise<MaintenanceResult> {
    this.#running ??= this.#round().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #round(): Promise<MaintenanceResult> {
    const now = this.#o.clock().getTime();
    const evicted = await this.#o.store.layerCache.evict(new Date(now - this.#o.layerCacheMaxAgeMs));
    const orphans = await this.#o.store.reports.cleanupOrphans(new Date(now - this.#o.orphanAgeMs));
    if (evicted > 0 || orphans > 0) this.#o.logger.info({ evicted, orphans }, 'store maintenance');
    return { evicted, orphans };
  }

  start(): void {
    const tick = () => {
      this.runOnce().catch((err: unknown) => this.#o.logger.warn({ err }, 'store maintenance failed; retried at the next interval'));
    };
    tick();
    this.#timer = setInterval(tick, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
