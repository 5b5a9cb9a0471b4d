// Scan jobs: at most SCAN_CONCURRENCY scans at once (a Semaphore), idempotent by digest: a job
// for a digest already being scanned joins that scan; a digest already reported with the same
// report versions (cache-keys.ts of @assay/scan-engine) is not scanned again unless forced.
// Every scan ends in a stored report, the inventory's scan status, and a ScanCompleted
// (SUCCEEDED or FAILED). What a failure means is failures.ts; where jobs come from, and how an
// index fans out, consumers.ts.
import type { BusConnection, ConsumerHandle } from '@assay/bus';
import type { ClamdClient } from '@assay/clamav';
import type { AnalyzerRegistry, CheckDefinition, RegisteredBaseImage } from '@assay/inventory';
import { Semaphore } from '@assay/kit';
import type { RegistryClient, RegistryClients } from '@assay/registry-client';
import {
  buildReport,
  newScanState,
  reportVersions,
  scanImage,
  UnscannableImageError,
  type LayerLimits,
  type ScanCounters,
  type ScannerDeps,
  type ScanState,
  type ScanTarget,
} from '@assay/scan-engine';
import type { ScanReport } from '@assay/domain';
import type { Store } from '@assay/store';
import type { Logger } from '@assay/telemetry';
import { fanOutIndex, startScanConsumers } from './consumers.ts';
import { failureText, isTransient, ScanAbortedError } from './failures.ts';
import type { ScanOutcome, ScanRequestOptions } from './outcome.ts';
import { ScanPublisher } from './publisher.ts';
import type { PullSecretCredentials } from './pull-secrets.ts';
import { imageOf, reusableReport, setScanStatus, storeMatched, type ScanMatcher } from './report-store.ts';
import type { ScanTrust } from './trust.ts';

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
  /** Signature and attestation verification (TRUST_VERIFY); undefined = not verified (reports carry no trust section). */
  trust?: ScanTrust | undefined;
  /** Running images' pull secrets (SCANNER_KUBE_PULL_SECRETS); undefined = configured credentials only. */
  pullSecrets?: PullSecretCredentials | undefined;
}

export class ScanJobs {
  readonly counters: ScanCounters = { blobFetches: 0, layersWalked: 0, layersCached: 0 };
  /** Scans actually run (not joined, not answered from an existing report). */
  scansRun = 0;
  readonly #o: ScanJobsOptions;
  readonly #inFlight = new Map<string, Promise<ScanOutcome>>();
  readonly #slots: Semaphore;
  readonly #consumers: ConsumerHandle[] = [];
  readonly #abort = new AbortController();
  readonly #publisher: ScanPublisher;

  constructor(opts: ScanJobsOptions) {
    this.#o = opts;
    this.#slots = new Semaphore(opts.concurrency);
    this.#publisher = new ScanPublisher(opts.bus);
  }

  /** The versions this scanner's reports record (and that decide whether one is reused). */
  get analyzerVersions(): Record<string, number> {
    return reportVersions(this.#o.analyzers, { malware: this.#o.malware !== undefined, checks: this.#o.checks });
  }

  inFlight(): string[] {
    return [...this.#inFlight.keys()];
  }

  /** Starts both consumers. */
  async start(): Promise<void> {
    const bus = this.#o.bus;
    if (!bus) throw new Error('ScanJobs.start needs a bus connection');
    const { concurrency, maxDeliveries, backoffMs, logger } = this.#o;
    this.#consumers.push(
      ...(await startScanConsumers({ bus, scans: this, publisher: this.#publisher, concurrency, maxDeliveries, backoffMs, logger })),
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
    if (running) {
      // A trust refresh is about an artifact pushed after the request was made: the scan in
      // flight may have verified before it existed, so the refresh runs once that scan is done.
      if (!opts.refreshTrust) return running;
      const again = () => this.scan(target, opts);
      return running.then(again, again);
    }
    const p = this.#run(target, opts).finally(() => this.#inFlight.delete(target.digest));
    this.#inFlight.set(target.digest, p);
    return p;
  }

  /** Announces a report re-matched against a new database: the same report id, its new summary. */
  async publishRematched(report: ScanReport, opts: { causationId: string; eventId: string }): Promise<void> {
    const outcome: ScanOutcome = { digest: report.image.digest, status: 'succeeded', reportId: report.reportId, scanned: false, report };
    await this.#publisher.completed(imageOf(report.image), outcome, opts.causationId, opts.eventId);
  }

  async #run(target: ScanTarget, opts: ScanRequestOptions): Promise<ScanOutcome> {
    const log = this.#o.logger.child({ digest: target.digest, repository: target.repository, registry: target.registry });
    if (!opts.force) {
      const reusable = await this.#reusable(target);
      const reverified = reusable && (await this.#withTrust(reusable, target, opts));
      const existing = reverified || reusable;
      if (existing) {
        this.#o.metrics?.scanSkipped?.();
        log.info(
          { reportId: existing.reportId, trustVerified: reverified !== undefined },
          'already scanned with these analyzer versions; not scanning again',
        );
        const outcome: ScanOutcome = {
          digest: target.digest,
          status: 'succeeded',
          reportId: existing.reportId,
          scanned: false,
          report: existing,
          ...(reverified ? { trustOnly: true } : {}),
        };
        await this.#publisher.completed(target, outcome, opts.causationId);
        return outcome;
      }
    }
    const release = await this.#slots.acquire();
    const run: Run = { target, opts, log, started: Date.now(), versions: this.analyzerVersions, state: newScanState() };
    try {
      this.scansRun++;
      this.#o.metrics?.scanStarted?.();
      await setScanStatus(this.#o.store, target, 'scanning', {});
      log.info({ force: opts.force ?? false }, 'scan started');
      let result;
      // A client of this scan's own when a pull secret of the workload has credentials for it.
      const own = await this.#pullSecretClient(run);
      try {
        result = await scanImage(this.#deps(log, own && { host: target.registry, client: own }), target, run.state, this.#abort.signal);
      } catch (err) {
        if (this.#abort.signal.aborted) throw new ScanAbortedError();
        if (isTransient(err) && !opts.lastAttempt) {
          log.warn({ err }, 'scan failed on a transient error; the job will be retried');
          throw err;
        }
        return await this.#fail(run, err);
      } finally {
        await own?.close();
      }
      if (result.kind === 'index') {
        // The platforms wait for slots of their own.
        release();
        // The registry's media type, as in reports: a ScanRequested names none.
        const index = { ...target, mediaType: result.mediaType };
        const outcome = await fanOutIndex(this, this.#publisher, index, result.manifests, opts);
        return outcome ?? (await this.#fail(run, new UnscannableImageError(`index ${target.digest} has no runnable manifests`)));
      }
      return await this.#succeed(run);
    } finally {
      release();
    }
  }

  /** An existing report that answers the job, brought up to the current database. */
  async #reusable(target: ScanTarget): Promise<ScanReport | undefined> {
    const existing = await reusableReport(this.#o.store, target.digest, this.analyzerVersions, this.#o.malware?.client);
    return existing && this.#o.vulndb ? this.#o.vulndb.refresh(existing) : existing;
  }

  /**
   * A stored report whose trust must be verified again (a signature was pushed, or the trusted
   * roots changed), verified and stored; undefined when its trust stands.
   */
  async #withTrust(report: ScanReport, target: ScanTarget, opts: ScanRequestOptions): Promise<ScanReport | undefined> {
    const trust = this.#o.trust;
    if (!trust || !(opts.refreshTrust || trust.stale(report))) return undefined;
    const trigger = opts.refreshTrust ? 'refresh' : 'roots';
    const verified = await trust.apply(report, target, trigger, this.#abort.signal);
    await this.#o.store.reports.put(verified);
    const t = verified.trust!;
    this.#o.logger.info(
      { digest: target.digest, trigger, signatures: t.signatures.length, attestations: t.attestations.length, warnings: t.warnings.length },
      'signatures and attestations verified again',
    );
    return verified;
  }

  /**
   * The scan's own client for its registry, with credentials from a pull secret of the workload
   * running it; undefined (the shared client, configured credentials) when not enabled, not asked
   * for, or no secret has an entry for the registry — then the report says which and why.
   */
  async #pullSecretClient(run: Run): Promise<RegistryClient | undefined> {
    const refs = run.opts.pullSecrets;
    if (!this.#o.pullSecrets || !refs || refs.length === 0) return undefined;
    const r = await this.#o.pullSecrets.resolve(run.target.registry, refs);
    run.state.warnings.push(...r.warnings);
    if (!r.credentials) return undefined;
    run.log.info({ pullSecret: r.from }, "pulling with the workload's image pull secret");
    return this.#o.clients.clientWith(run.target.registry, r.credentials);
  }

  #deps(log: Logger, own?: { host: string; client: RegistryClient }): ScannerDeps {
    const o = this.#o;
    return {
      analyzers: o.analyzers,
      clientFor: (r) => (own && r.toLowerCase() === own.host.toLowerCase() ? own.client : o.clients.clientFor(r)),
      layerCache: o.useCache ? o.store.layerCache : undefined,
      limits: o.limits,
      counters: this.counters,
      onProgress: (p) => this.#publisher.progress(p),
      warn: (msg, err) => log.warn({ err }, msg),
      malware: o.malware,
      checks: o.checks,
      baseImages: o.baseImages,
    };
  }

  async #succeed(run: Run): Promise<ScanOutcome> {
    const { target, state, log } = run;
    const built = buildReport(target, run.versions, state);
    const trusted = this.#o.trust ? await this.#o.trust.apply(built, target, 'scan', this.#abort.signal) : built;
    const report = await storeMatched(this.#o.store, this.#o.vulndb, trusted);
    await setScanStatus(this.#o.store, target, 'succeeded', { reportId: report.reportId });
    const outcome: ScanOutcome = { digest: target.digest, status: 'succeeded', reportId: report.reportId, scanned: true, report };
    await this.#publisher.completed(target, outcome, run.opts.causationId);
    const seconds = (Date.now() - run.started) / 1000;
    this.#o.metrics?.scanFinished?.('succeeded', seconds);
    for (const l of state.layers) this.#o.metrics?.layer?.(l.cached ? 'cached' : 'walked');
    log.info(
      {
        reportId: report.reportId,
        packages: report.packages.length,
        layers: state.layers.length,
        seconds,
        ...(report.trust ? { signatures: report.trust.signatures.length, attestations: report.trust.attestations.length } : {}),
      },
      'scan succeeded',
    );
    return outcome;
  }

  async #fail(run: Run, err: unknown): Promise<ScanOutcome> {
    const { target } = run;
    const error = failureText(err);
    run.log.warn({ err }, 'scan failed');
    const report = buildReport(target, run.versions, run.state, error);
    await this.#o.store.reports.put(report);
    await setScanStatus(this.#o.store, target, 'failed', { reportId: report.reportId, error });
    const outcome: ScanOutcome = { digest: target.digest, status: 'failed', reportId: report.reportId, error, scanned: true, report };
    await this.#publisher.completed(target, outcome, run.opts.causationId);
    this.#o.metrics?.scanFinished?.('failed', (Date.now() - run.started) / 1000);
    return outcome;
  }
}

/** One scan in progress: what its report and events are made of. */
interface Run {
  target: ScanTarget;
  opts: ScanRequestOptions;
  log: Logger;
  started: number;
  versions: Record<string, number>;
  state: ScanState;
}
