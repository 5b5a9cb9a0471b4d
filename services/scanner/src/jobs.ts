// Scan jobs: ImageDiscovered and ScanRequested from their durable consumers, at most
// SCAN_CONCURRENCY scans at once. Idempotent by digest: a job for a digest already being scanned
// joins that scan; a digest already reported by the same analyzer versions is not scanned again
// unless forced. Every scan ends in a stored report, the inventory's scan status, and a
// ScanCompleted (SUCCEEDED or FAILED). Transient errors (registry unreachable, 5xx, store down)
// are thrown, so the bus redelivers with backoff — until the last allowed delivery, which records
// the scan as FAILED instead of leaving it to the dead letters.
import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { consumeDurable, derivedEventId, newEventMeta, publishCore, publishEvent, type BusConnection, type ConsumerHandle } from '@assay/bus';
import {
  AuditEventSchema,
  Consumers,
  DiscoverySource,
  ImageDiscoveredSchema,
  type ImageRef,
  ImageRefSchema,
  PlatformSchema,
  ScanCompletedSchema,
  ScanProgressSchema,
  ScanProgressTopic,
  ScanRequestedSchema,
  ScanStatus,
  ScanSummarySchema,
  SeverityCountsSchema,
  Streams,
  Topics,
} from '@assay/proto';
import { DigestMismatchError, RegistryError } from '@assay/registry-client';
import { analyzerVersionsKey, NotFoundError, StoreUnavailableError, type ScanReport, type Store } from '@assay/store';
import type { Logger } from '@assay/telemetry';
import { ClamdUnavailableError, type ClamdClient } from '@assay/clamav';
import type { AnalyzerRegistry, CheckDefinition, RegisteredBaseImage } from '@assay/inventory';
import { LayerFormatError, LayerLimitError, type LayerLimits } from './limits.ts';
import {
  analyzerVersionsOf,
  buildReport,
  IndexManifestError,
  newScanState,
  scanImage,
  UnscannableImageError,
  type ScanCounters,
  type ScanTarget,
} from './scan.ts';
import { ImageConfigError } from './image-config.ts';
import type { RegistryClients } from '@assay/registry-client';

export const PRODUCER = 'scanner';

export interface ScanOutcome {
  digest: string;
  status: 'succeeded' | 'failed';
  reportId: string;
  error?: string;
  /** false when an existing report answered (no scan ran). */
  scanned: boolean;
  report: ScanReport;
}

export interface ScanJobsMetrics {
  scanStarted?(): void;
  scanFinished?(status: 'succeeded' | 'failed', seconds: number): void;
  scanSkipped?(): void;
  layer?(how: 'cached' | 'walked'): void;
}

export interface ScanJobsOptions {
  analyzers: AnalyzerRegistry;
  store: Store;
  clients: RegistryClients;
  limits: LayerLimits;
  concurrency: number;
  useCache: boolean;
  maxDeliveries: number;
  backoffMs: readonly number[];
  logger: Logger;
  bus?: BusConnection;
  metrics?: ScanJobsMetrics;
  /** Vulnerability matching of finished scans; without it reports carry no vulnerabilities. */
  vulndb?: ScanMatcher;
  /** clamd (CLAMD_ADDRESS); undefined = malware scanning disabled. */
  malware?: { client: ClamdClient; maxStreamBytes: number } | undefined;
  checks?: readonly CheckDefinition[] | undefined;
  baseImages?: readonly RegisteredBaseImage[] | undefined;
}

/** Report-level versions of what is not an analyzer: a report made without them is not reused. */
const MALWARE_KEY = 'scanner-malware';
const CHECKS_KEY = 'scanner-checks';

/** What scan jobs need of the vulnerability database (VulnDbManager). */
export interface ScanMatcher {
  readonly version: string | undefined;
  /** The report with the current database's findings (or the no-database warning). */
  match(report: ScanReport): Promise<ScanReport>;
  /** An existing report brought up to the current database (stored again when it changed). */
  refresh(report: ScanReport): Promise<ScanReport>;
}

export interface ScanRequestOptions {
  force?: boolean;
  /** Event that caused the scan (ScanCompleted's causation id). */
  causationId?: string;
  /** The delivery is the last allowed: record a transient failure as FAILED instead of throwing. */
  lastAttempt?: boolean;
}

class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The service is stopping: the job goes back to the bus for another replica (never FAILED). */
export class ScanAbortedError extends Error {
  constructor() {
    super('scan aborted: the scanner is stopping');
    this.name = 'ScanAbortedError';
  }
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether trying again later may succeed. */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ScanAbortedError || (e instanceof Error && e.name === 'AbortError')) return true;
    if (e instanceof DigestMismatchError || e instanceof LayerLimitError || e instanceof LayerFormatError) return false;
    if (e instanceof UnscannableImageError || e instanceof ImageConfigError) return false;
    if (e instanceof StoreUnavailableError) return true;
    // clamd restarting (signature reload, rollout): retried with backoff, FAILED on the last delivery.
    if (e instanceof ClamdUnavailableError) return true;
    if (e instanceof RegistryError) {
      if (e.timedOut || e.status === undefined) return true;
      return e.status >= 500 || e.status === 429 || e.status === 408;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('UND_ERR'))) return true;
  }
  return false;
}

function targetOf(image: ImageRef | undefined): ScanTarget {
  if (!image || !image.digest || !image.registry || !image.repository) throw new Error('the event names no image (registry, repository, digest)');
  return {
    registry: image.registry,
    repository: image.repository,
    digest: image.digest,
    ...(image.tag ? { tag: image.tag } : {}),
    ...(image.mediaType ? { mediaType: image.mediaType } : {}),
    ...(image.platform?.os && image.platform.architecture
      ? { platform: { os: image.platform.os, architecture: image.platform.architecture, ...(image.platform.variant ? { variant: image.platform.variant } : {}) } }
      : {}),
  };
}

export class ScanJobs {
  readonly counters: ScanCounters = { blobFetches: 0, layersWalked: 0, layersCached: 0 };
  /** Scans actually run (not joined, not answered from an existing report). */
  scansRun = 0;
  readonly #o: ScanJobsOptions;
  readonly #inFlight = new Map<string, Promise<ScanOutcome>>();
  readonly #sem: Semaphore;
  readonly #consumers: ConsumerHandle[] = [];
  readonly #abort = new AbortController();

  constructor(opts: ScanJobsOptions) {
    this.#o = opts;
    this.#sem = new Semaphore(opts.concurrency);
  }

  get analyzerVersions(): Record<string, number> {
    const v = analyzerVersionsOf(this.#o.analyzers);
    if (this.#o.malware) v[MALWARE_KEY] = 1;
    // Other check definitions are another analysis: the key names their hash.
    if ((this.#o.checks?.length ?? 0) > 0) v[`${CHECKS_KEY}:${createHash('sha256').update(JSON.stringify(this.#o.checks)).digest('hex').slice(0, 16)}`] = 1;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
  }

  inFlight(): string[] {
    return [...this.#inFlight.keys()];
  }

  /** Starts both consumers. */
  async start(): Promise<void> {
    const bus = this.#o.bus;
    if (!bus) throw new Error('ScanJobs.start needs a bus connection');
    const common = {
      js: bus.js,
      connection: bus,
      concurrency: this.#o.concurrency,
      maxDeliveries: this.#o.maxDeliveries,
      backoffMs: this.#o.backoffMs,
      logger: this.#o.logger.child({ component: 'consumer' }),
      deadLetter: { producer: PRODUCER },
    };
    this.#consumers.push(
      await consumeDurable({
        ...common,
        consumer: Consumers.scannerDiscovered,
        schema: ImageDiscoveredSchema,
        handler: async (msg, d) => {
          const last = d.deliveryCount >= this.#o.maxDeliveries;
          const causationId = msg.meta?.id;
          const children = msg.manifests.filter((m) => m.digest);
          if (children.length > 0) {
            // An index: its platform manifests are the images (each carries the index's location).
            if (msg.image?.digest && msg.image.registry && msg.image.repository) await this.#announceIndex(
              targetOf(msg.image),
              children.map((m) => ({ digest: m.digest, mediaType: m.mediaType, ...(m.platform ? { platform: m.platform } : {}) })),
              causationId,
            );
            await Promise.all(
              children.map((m) =>
                this.scan(targetOf(create(ImageRefSchema, { ...m, registry: m.registry || msg.image?.registry || '', repository: m.repository || msg.image?.repository || '' })), {
                  lastAttempt: last,
                  ...(causationId ? { causationId } : {}),
                }),
              ),
            );
            return;
          }
          await this.scan(targetOf(msg.image), { lastAttempt: last, ...(causationId ? { causationId } : {}) });
        },
      }),
    );
    this.#consumers.push(
      await consumeDurable({
        ...common,
        consumer: Consumers.scannerRequests,
        schema: ScanRequestedSchema,
        handler: async (msg, d) => {
          const causationId = msg.meta?.id;
          await this.scan(targetOf(msg.image), {
            force: msg.force,
            lastAttempt: d.deliveryCount >= this.#o.maxDeliveries,
            ...(causationId ? { causationId } : {}),
          });
        },
      }),
    );
    for (const c of this.#consumers) bus.track(c);
  }

  async stop(): Promise<void> {
    this.#abort.abort(new ScanAbortedError());
    await Promise.allSettled(this.#consumers.map((c) => c.stop()));
  }

  /** Scans one image (or joins the scan of its digest in flight). An index scans its platforms. */
  scan(target: ScanTarget, opts: ScanRequestOptions = {}): Promise<ScanOutcome> {
    const running = this.#inFlight.get(target.digest);
    if (running) return running;
    const p = this.#run(target, opts).finally(() => this.#inFlight.delete(target.digest));
    this.#inFlight.set(target.digest, p);
    return p;
  }

  async #existing(target: ScanTarget): Promise<ScanReport | undefined> {
    const meta = await this.#o.store.reports.meta(target.digest);
    if (!meta || meta.analyzerVersionsKey !== analyzerVersionsKey(this.analyzerVersions)) return undefined;
    const report = await this.#o.store.reports.get(target.digest);
    if (!report || (report as { status?: unknown }).status !== 'succeeded') return undefined;
    if (this.#o.malware) {
      // A verdict from another signature database (or one clamd cannot version) is not reused;
      // clamd unreachable means a scan, which then fails as it should.
      const v = await this.#o.malware.client.version().catch(() => undefined);
      if (!v || v.databaseVersion === undefined || v.raw !== report['malwareDb']) return undefined;
    }
    return report;
  }

  async #run(target: ScanTarget, opts: ScanRequestOptions): Promise<ScanOutcome> {
    const { store, logger } = this.#o;
    const log = logger.child({ digest: target.digest, repository: target.repository, registry: target.registry });
    if (!opts.force) {
      let existing = await this.#existing(target);
      if (existing && this.#o.vulndb) existing = await this.#o.vulndb.refresh(existing);
      if (existing) {
        this.#o.metrics?.scanSkipped?.();
        log.info({ reportId: existing.reportId }, 'already scanned with these analyzer versions; not scanning again');
        const outcome: ScanOutcome = { digest: target.digest, status: 'succeeded', reportId: existing.reportId, scanned: false, report: existing };
        await this.#completed(target, outcome, opts.causationId);
        return outcome;
      }
    }
    const release = await this.#sem.acquire();
    const started = Date.now();
    const versions = this.analyzerVersions;
    const state = newScanState();
    try {
      this.scansRun++;
      this.#o.metrics?.scanStarted?.();
      await this.#status(target, 'scanning', {});
      log.info({ force: opts.force ?? false }, 'scan started');
      try {
        await scanImage(
          {
            analyzers: this.#o.analyzers,
            clientFor: (r) => this.#o.clients.clientFor(r),
            layerCache: this.#o.useCache ? store.layerCache : undefined,
            limits: this.#o.limits,
            counters: this.counters,
            onProgress: (p) => this.#progress(p),
            warn: (msg, err) => log.warn({ err }, msg),
            malware: this.#o.malware,
            checks: this.#o.checks,
            baseImages: this.#o.baseImages,
          },
          target,
          state,
          this.#abort.signal,
        );
      } catch (err) {
        if (err instanceof IndexManifestError) {
          release();
          // The registry's media type, as in reports: a ScanRequested names none.
          await this.#announceIndex(state.manifestMediaType ? { ...target, mediaType: state.manifestMediaType } : target, err.manifests, opts.causationId);
          const outcomes = await Promise.all(
            err.manifests.map((m) =>
              this.scan({ registry: target.registry, repository: target.repository, digest: m.digest, mediaType: m.mediaType, ...(m.platform ? { platform: m.platform } : {}) }, opts),
            ),
          );
          const failed = outcomes.find((o) => o.status === 'failed');
          return failed ?? outcomes[0] ?? this.#fail(target, versions, state, new UnscannableImageError(`index ${target.digest} has no runnable manifests`), opts, log, started);
        }
        if (this.#abort.signal.aborted) throw new ScanAbortedError();
        if (isTransient(err) && !opts.lastAttempt) {
          log.warn({ err }, 'scan failed on a transient error; the job will be retried');
          throw err;
        }
        return await this.#fail(target, versions, state, err, opts, log, started);
      }
      const report = await this.#store(buildReport(target, versions, state));
      await this.#status(target, 'succeeded', { reportId: report.reportId });
      const outcome: ScanOutcome = { digest: target.digest, status: 'succeeded', reportId: report.reportId, scanned: true, report };
      await this.#completed(target, outcome, opts.causationId);
      const seconds = (Date.now() - started) / 1000;
      this.#o.metrics?.scanFinished?.('succeeded', seconds);
      for (const l of state.layers) this.#o.metrics?.layer?.(l.cached ? 'cached' : 'walked');
      log.info({ reportId: report.reportId, packages: report.packages.length, layers: state.layers.length, seconds }, 'scan succeeded');
      return outcome;
    } finally {
      release();
    }
  }

  /**
   * Matches and stores a succeeded scan's report. A database swapped in meanwhile may have been
   * re-matched over the stored reports before this one was stored: match again, so no report is
   * left behind on the older database.
   */
  async #store(built: ScanReport): Promise<ScanReport> {
    const m = this.#o.vulndb;
    let report = m ? await m.match(built) : built;
    await this.#o.store.reports.put(report);
    for (let i = 0; m && i < 3 && m.version !== undefined && report.vulnDbVersion !== m.version; i++) {
      report = await m.match(report);
      await this.#o.store.reports.put(report);
    }
    return report;
  }

  /** Announces a report re-matched against a new database: the same report id, its new summary. */
  async publishRematched(report: ScanReport, opts: { causationId: string; eventId: string }): Promise<void> {
    const img = report.image;
    const target: ScanTarget = {
      registry: img.registry,
      repository: img.repository,
      digest: img.digest,
      ...(img.tag ? { tag: img.tag } : {}),
      ...(img.mediaType ? { mediaType: img.mediaType } : {}),
      ...(img.platform ? { platform: img.platform } : {}),
    };
    await this.#completed(target, { digest: img.digest, status: 'succeeded', reportId: report.reportId, scanned: false, report }, opts.causationId, opts.eventId);
  }

  async #fail(
    target: ScanTarget,
    versions: Record<string, number>,
    state: ReturnType<typeof newScanState>,
    err: unknown,
    opts: ScanRequestOptions,
    log: Logger,
    started: number,
  ): Promise<ScanOutcome> {
    const name = err instanceof Error && err.name !== 'Error' ? `${err.name}: ` : '';
    const raw = errorMessage(err);
    const error = (raw.startsWith(name) ? raw : `${name}${raw}`).slice(0, 3900);
    log.warn({ err }, 'scan failed');
    const report = buildReport(target, versions, state, error);
    await this.#o.store.reports.put(report);
    await this.#status(target, 'failed', { reportId: report.reportId, error });
    const outcome: ScanOutcome = { digest: target.digest, status: 'failed', reportId: report.reportId, error, scanned: true, report };
    await this.#completed(target, outcome, opts.causationId);
    this.#o.metrics?.scanFinished?.('failed', (Date.now() - started) / 1000);
    return outcome;
  }

  async #status(target: ScanTarget, status: 'scanning' | 'succeeded' | 'failed', details: { reportId?: string; error?: string }): Promise<void> {
    const inv = this.#o.store.inventory;
    const at = new Date();
    try {
      await inv.setScanStatus(target.digest, status, at, details);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await inv.upsertSeen(
        {
          registry: target.registry,
          repository: target.repository,
          digest: target.digest,
          ...(target.tag ? { tag: target.tag } : {}),
          ...(target.mediaType ? { mediaType: target.mediaType } : {}),
          ...(target.platform ? { platform: target.platform } : {}),
        } as never,
        at,
      );
      await inv.setScanStatus(target.digest, status, at, details);
    }
  }

  #progress(p: { digest: string; stage: string; layersDone: number; layersTotal: number; bytesDone: number }): void {
    const bus = this.#o.bus;
    if (!bus || !bus.isConnected()) return;
    try {
      publishCore(
        bus.nc,
        ScanProgressTopic.forDigest(p.digest),
        create(ScanProgressSchema, {
          meta: newEventMeta(PRODUCER),
          digest: p.digest,
          stage: p.stage,
          layersDone: p.layersDone,
          layersTotal: p.layersTotal,
          bytesDone: BigInt(p.bytesDone),
        }),
      );
    } catch {
      // Progress is best effort.
    }
  }

  /**
   * An index asked for by digest (not from the watcher, which announces its own): its platforms
   * go on `assay.image.index` so policy can give the index digest an aggregate verdict. The id is
   * the one the watcher derives, so the same index announced twice is stored once.
   */
  async #announceIndex(target: ScanTarget, manifests: IndexManifestError['manifests'], causationId: string | undefined): Promise<void> {
    const bus = this.#o.bus;
    if (!bus) return;
    const location = { registry: target.registry, repository: target.repository };
    const meta = newEventMeta(PRODUCER, causationId);
    meta.id = derivedEventId(`${Topics.indexDiscovered.subject}\0${target.digest}`);
    const event = create(ImageDiscoveredSchema, {
      meta,
      image: create(ImageRefSchema, { ...location, tag: target.tag ?? '', digest: target.digest, mediaType: target.mediaType ?? '' }),
      source: DiscoverySource.MANUAL,
      manifests: manifests.map((m) =>
        create(ImageRefSchema, {
          ...location,
          digest: m.digest,
          mediaType: m.mediaType,
          ...(m.platform ? { platform: create(PlatformSchema, { ...m.platform, variant: m.platform.variant ?? '' }) } : {}),
        }),
      ),
    });
    await publishEvent(bus.js, Topics.indexDiscovered, event, { msgId: meta.id, expectStream: Streams.images.name });
  }

  async #completed(target: ScanTarget, o: ScanOutcome, causationId: string | undefined, eventId?: string): Promise<void> {
    const bus = this.#o.bus;
    if (!bus) return;
    const s = o.report.summary;
    const meta = newEventMeta(PRODUCER, causationId);
    // A derived id (re-match) makes every replica's copy of the same event one stored message.
    if (eventId) meta.id = eventId;
    const event = create(ScanCompletedSchema, {
      meta,
      image: create(ImageRefSchema, {
        registry: target.registry,
        repository: target.repository,
        tag: target.tag ?? '',
        digest: target.digest,
        mediaType: o.report.image.mediaType ?? target.mediaType ?? '',
        ...(target.platform ? { platform: create(PlatformSchema, { ...target.platform, variant: target.platform.variant ?? '' }) } : {}),
      }),
      status: o.status === 'succeeded' ? ScanStatus.SUCCEEDED : ScanStatus.FAILED,
      reportId: o.reportId,
      ...(s
        ? {
            summary: create(ScanSummarySchema, {
              packages: s.packages,
              vulnerabilities: create(SeverityCountsSchema, s.vulnerabilities),
              sensitiveFindings: s.sensitiveFindings,
              malwareFindings: s.malwareFindings,
              licenceFindings: s.licenceFindings,
              os: s.os ?? '',
              baseImage: s.baseImage ?? '',
            }),
          }
        : {}),
      error: o.error ?? '',
      vulnDbVersion: o.report.vulnDbVersion ?? '',
      analyzerVersions: Object.fromEntries(Object.entries(o.report.analyzerVersions).map(([k, v]) => [k, String(v)])),
    });
    await publishEvent(bus.js, Topics.scanCompleted, event, { expectStream: Streams.scans.name });
    // Audited when a scan ran or a new database changed its findings, not when a stored report
    // answered again. Counts only: no finding's content leaves the report.
    if (o.scanned || eventId) {
      const total = s ? Object.values(s.vulnerabilities).reduce((n, c) => n + c, 0) : 0;
      const audit = create(AuditEventSchema, {
        meta: { ...newEventMeta(PRODUCER, meta.id), id: derivedEventId(`${Topics.auditScan.subject}\0${meta.id}`) },
        event: {
          case: 'scan',
          value: {
            ...(event.image ? { image: event.image } : {}),
            status: o.status,
            reportId: o.reportId,
            error: o.error ?? '',
            vulnerabilities: total,
            sensitiveFindings: s?.sensitiveFindings ?? 0,
            malwareFindings: s?.malwareFindings ?? 0,
          },
        },
      });
      await publishEvent(bus.js, Topics.auditScan, audit, { expectStream: Streams.audit.name });
    }
  }
}
