// The scanner's vulnerability database: loaded from VULNDB_DIR at start, refreshed from
// VULNDB_SOURCE (or the file in VULNDB_DIR, air-gapped) on an interval, swapped atomically
// (DbHolder). Matching is kept apart from inventory (Clair's split): a scan matches its final
// package list against the current database, and a new database re-matches the stored reports
// without pulling any image again; only reports whose findings changed are rewritten and
// announced (ScanCompleted), so policy re-evaluates just those images.
//
// Replicas: every replica that takes in a new version re-matches, and that is safe by design
// rather than by a claim: the re-match skips reports already matched against this version or a
// newer one, two replicas racing on one report write the same findings, and the events they
// publish carry ids derived from (report, database version) and (database version), so JetStream
// stores each once (Nats-Msg-Id) within the duplicate window; later, the skip rule holds.
// A KV claim would save the duplicate reads but leave an update un-applied when the claiming
// replica dies half-way.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { derivedEventId, publishEvent, type BusConnection } from '@assay/bus';
import { Streams, Topics } from '@assay/proto';
import { isLoopbackHost, type RegistryClient } from '@assay/registry-client';
import { findingsOf, NO_DB_WARNING, withFindings } from '@assay/scan-engine';
import type { ScanReport } from '@assay/domain';
import type { Store } from '@assay/store';
import type { Logger } from '@assay/telemetry';
import {
  compareDbVersions,
  DbHolder,
  dbPath,
  exportsIn,
  fetchDatabaseFromUrl,
  refreshDatabase,
  rematch,
  updateFromOsvExports,
  rematchReports,
  verifyDatabaseFile,
  type RematchableReport,
  type VulnDb,
} from '@assay/vulndb';
import type { CheckResult, RematchSummary, VulnDbManagerOptions } from './vulndb-options.ts';
import { vulnDbUpdatedEvent, vulnDbUpdatedId } from './events.ts';

/** Reports read per page while re-matching: one body in memory at a time, heads by the page. */
const REMATCH_PAGE = 100;

/** A stored report as the matcher reads it: stored packages are inventory packages. */
type Matchable = ScanReport & RematchableReport;
const matchable = (r: ScanReport) => r as Matchable;

const isSucceeded = (r: ScanReport) => (r as { status?: unknown }).status === 'succeeded';

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** VULNDB_DIR, else `<dir of SQLITE_PATH>/vulndb`; undefined for an in-memory store (a temporary directory is used). */
export function vulnDbDirFrom(c: { VULNDB_DIR?: string | undefined; SQLITE_PATH: string }): string | undefined {
  if (c.VULNDB_DIR) return c.VULNDB_DIR;
  if (c.SQLITE_PATH === ':memory:') return undefined;
  return join(dirname(c.SQLITE_PATH), 'vulndb');
}

export type { CheckResult, RematchSummary, VulnDbManagerOptions, VulnDbMetrics } from './vulndb-options.ts';

export class VulnDbManager {
  readonly holder: DbHolder;
  readonly #o: VulnDbManagerOptions;
  #dir: string | undefined;
  #ownDir = false;
  /** Serialises checks and re-matches: one at a time per replica. */
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Version whose announcement and re-match completed; a different current version is pending. */
  #settled: string | undefined;
  /** Version whose VulnDbUpdated was published (its id is the re-match's causation). */
  #announced: { version: string; id: string } | undefined;
  /** Resolves when the start-up check (and re-match) finished. */
  initial: Promise<CheckResult> = Promise.resolve({ updated: false, version: undefined });

  constructor(opts: VulnDbManagerOptions) {
    this.#o = opts;
    this.#dir = opts.dir;
    this.holder = opts.holder ?? new DbHolder();
    const s = opts.source;
    const url = s?.kind === 'url' ? s.url : s?.kind === 'osv' ? s.baseUrl : undefined;
    if (url?.startsWith('http:') && !opts.insecure && !isLoopbackHost(new URL(url).hostname.replace(/^\[|\]$/g, ''))) {
      throw new Error(`VULNDB_SOURCE ${url} is plain HTTP: use https://, or set VULNDB_INSECURE=true`);
    }
  }

  get version(): string | undefined {
    return this.holder.version;
  }

  get dir(): string | undefined {
    return this.#dir;
  }

  /** Opens the file in VULNDB_DIR when there is one (a bad file is logged, and the scanner goes on without). */
  async load(): Promise<VulnDb | undefined> {
    if (!this.#dir) {
      this.#dir = await mkdtemp(join(tmpdir(), 'assay-scanner-vulndb-'));
      this.#ownDir = true;
    }
    const file = dbPath(this.#dir);
    if (existsSync(file)) {
      try {
        const db = this.holder.load(this.#dir);
        this.#o.logger.info({ version: db.version, builtAt: db.metadata.builtAt, file }, 'vulnerability database loaded');
      } catch (err) {
        this.#o.logger.error({ err, file }, 'vulnerability database unreadable; scanning without one until a valid one arrives');
      }
    }
    this.#o.metrics?.loaded?.(this.holder.current);
    if (!this.holder.current)
      this.#o.logger.warn({ dir: this.#dir, source: this.#o.source?.text }, `${NO_DB_WARNING}: scans report inventory only`);
    return this.holder.current;
  }

  /**
   * Starts the update loop: a check at once (fetch when newer, else re-match whatever the
   * loaded database has not matched yet), then every interval. Does not wait for the registry.
   */
  start(): void {
    this.initial = this.checkForUpdate({ announceLocal: false });
    void this.initial.catch(() => undefined).then(() => this.#schedule());
  }

  #schedule(): void {
    if (this.#stopped || this.#o.intervalMs <= 0) return;
    this.#timer = setTimeout(() => {
      void this.checkForUpdate()
        .catch(() => undefined)
        .then(() => this.#schedule());
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** One check now (queued behind a running one): fetch or pick up a newer database; announce and re-match it. */
  checkForUpdate(opts: { announceLocal?: boolean } = {}): Promise<CheckResult> {
    const run = this.#chain.then(() => this.#check(opts.announceLocal ?? true));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #check(announceLocal: boolean): Promise<CheckResult> {
    if (this.#stopped) return { updated: false, version: this.version };
    const log = this.#o.logger;
    const before = this.version;
    let updated = false;
    try {
      updated = await this.#fetch();
      if (updated) {
        const db = this.holder.current!;
        log.info(
          { version: db.version, previous: before, builtAt: db.metadata.builtAt, source: this.#o.source?.text ?? 'local' },
          'vulnerability database updated',
        );
        this.#o.metrics?.loaded?.(db);
      }
      this.#o.metrics?.check?.(updated ? 'updated' : 'current');
    } catch (err) {
      this.#o.metrics?.check?.('failed');
      log.warn({ err, source: this.#o.source?.text }, 'vulnerability database check failed; keeping the current one');
    }
    const version = this.version;
    if (version === undefined || version === this.#settled || this.#stopped) return { updated, version };
    // A version not yet settled: new now, or its announcement or re-match failed last time.
    try {
      // Announced once per version (a retry after a failed re-match reuses the event id).
      let causationId = this.#announced?.version === version ? this.#announced.id : '';
      if (!causationId && (updated || announceLocal)) causationId = await this.#announce();
      const rematch = await this.rematchAll(causationId);
      if (rematch.failed === 0) this.#settled = version;
      return { updated, version, rematch };
    } catch (err) {
      log.warn({ err, version }, 'announcing or re-matching the vulnerability database failed; retried at the next check');
      return { updated, version, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Whether a newer database was swapped in. */
  async #fetch(): Promise<boolean> {
    const dir = this.#dir;
    if (!dir) throw new Error('VulnDbManager.load() first');
    const s = this.#o.source;
    const current = this.version;
    if (s?.kind === 'oci') {
      // VULNDB_INSECURE forces plain HTTP (fetchDatabase's own client); otherwise the client
      // SCANNER_REGISTRIES configures for that host (credentials, CA).
      const client = !this.#o.insecure && this.#o.clientFor ? this.#o.clientFor(s.registry) : undefined;
      const r = await refreshDatabase(this.holder, {
        registry: s.registry,
        repository: s.repository,
        tag: s.tag,
        dir,
        ...(this.#o.insecure ? { insecure: true } : {}),
        ...(client ? { client } : {}),
      });
      return r.updated;
    }
    if (s?.kind === 'url') {
      const r = await fetchDatabaseFromUrl(s.url, dir, current ? { currentVersion: current } : {});
      if (r.updated) this.holder.load(dir);
      return r.updated;
    }
    if (s?.kind === 'osv') return this.#fromOsvExports(dir, s);
    // Air-gapped: a newer file installed by hand (installDatabaseFile renames it into place).
    const file = dbPath(dir);
    if (!existsSync(file)) return false;
    const meta = verifyDatabaseFile(file, { integrity: false });
    if (current !== undefined && compareDbVersions(meta.version, current) <= 0) return false;
    this.holder.load(dir);
    return true;
  }

  /**
   * osv.dev's exports built into the database, at the first check with no database of these
   * ecosystems (the first run) and again once the one held is an interval old; swapped in atomically.
   */
  async #fromOsvExports(dir: string, s: { baseUrl: string; ecosystems: string[] }): Promise<boolean> {
    const file = dbPath(dir);
    const meta = existsSync(file) ? verifyDatabaseFile(file, { integrity: false }) : undefined;
    const covers = meta !== undefined && s.ecosystems.every((e) => exportsIn(meta).includes(e));
    const age = meta ? Date.now() - Date.parse(meta.builtAt) : Infinity;
    if (covers && age < Math.max(this.#o.intervalMs, 60_000)) {
      if (this.version === meta.version) return false;
      this.holder.load(dir);
      return true;
    }
    await updateFromOsvExports({ dir, ecosystems: s.ecosystems, baseUrl: s.baseUrl });
    this.holder.load(dir);
    return true;
  }

  /** Publishes VulnDbUpdated; its id comes from the version, so replicas' copies are stored once. */
  async #announce(): Promise<string> {
    const db = this.holder.current;
    const bus = this.#o.bus;
    if (!db) return '';
    const id = vulnDbUpdatedId(db.version);
    if (!bus) return id;
    const source = this.#o.source?.text ?? `file:${db.file}`;
    const event = vulnDbUpdatedEvent({ version: db.version, builtAt: db.metadata.builtAt }, id, await sha256File(db.file), source);
    const ack = await publishEvent(bus.js, Topics.vulnDbUpdated, event, { expectStream: Streams.policy.name });
    this.#announced = { version: db.version, id };
    this.#o.logger.info({ version: db.version, eventId: id, duplicate: ack.duplicate }, 'VulnDbUpdated published');
    return id;
  }

  /**
   * Re-matches every stored report not yet matched against the current database (or a newer
   * one, which another replica may already hold), page by page; stores and announces those whose
   * findings changed.
   */
  async rematchAll(causationId = ''): Promise<RematchSummary> {
    let lease;
    try {
      lease = this.holder.acquire();
    } catch {
      return { reports: 0, changed: 0, skipped: 0, failed: 0 };
    }
    const { store, logger } = this.#o;
    const db = lease.db;
    let skipped = 0;
    let failed = 0;
    const stopped = () => this.#stopped;
    async function* stale(): AsyncGenerator<Matchable> {
      let after: string | undefined;
      do {
        const page = await store.reports.list({ limit: REMATCH_PAGE, ...(after !== undefined ? { after } : {}) });
        for (const meta of page.items) {
          if (stopped()) return;
          if (meta.vulnDbVersion !== undefined && compareDbVersions(meta.vulnDbVersion, db.version) >= 0) {
            skipped++;
            continue;
          }
          const report = await store.reports.get(meta.digest);
          if (!report || !isSucceeded(report)) {
            skipped++;
            continue;
          }
          yield matchable(report);
        }
        after = page.next;
      } while (after !== undefined);
    }
    const started = Date.now();
    try {
      const r = await rematchReports({
        listReports: stale(),
        db,
        skipCurrent: true,
        onChanged: async (report, findings, diff) => {
          try {
            // A scan may have replaced the report since it was read: leave the newer one alone.
            const head = await store.reports.meta(report.image.digest);
            if (
              !head ||
              head.reportId !== report.reportId ||
              (head.vulnDbVersion !== undefined && compareDbVersions(head.vulnDbVersion, db.version) >= 0)
            )
              return;
            const updated = withFindings(report, findings, db.version, db);
            await store.reports.put(updated);
            this.#o.metrics?.matches?.(updated.vulnerabilities.length, 'rematch');
            await this.#o.publishCompleted?.(updated, {
              causationId,
              eventId: derivedEventId(`rematch\0${updated.reportId}\0${db.version}`),
            });
            logger.info(
              {
                digest: report.image.digest,
                reportId: report.reportId,
                version: db.version,
                added: diff.added.length,
                removed: diff.removed.length,
                updated: diff.updated.length,
              },
              'findings changed with the new vulnerability database',
            );
          } catch (err) {
            failed++;
            logger.warn({ err, digest: report.image.digest }, 're-matching a report failed');
          }
        },
      });
      const summary = { reports: r.reports + skipped, changed: r.changed - failed, skipped: r.skipped + skipped, failed };
      const m = this.#o.metrics;
      m?.rematched?.('changed', summary.changed);
      m?.rematched?.('unchanged', r.reports - r.skipped - r.changed);
      m?.rematched?.('skipped', summary.skipped);
      m?.rematched?.('failed', failed);
      logger.info({ version: db.version, ...summary, seconds: (Date.now() - started) / 1000 }, 'stored reports re-matched');
      return summary;
    } finally {
      lease.release();
    }
  }

  /** A scan's report matched against the current database (or marked as unmatched without one). */
  async match(report: ScanReport): Promise<ScanReport> {
    if (!this.holder.current) return withFindings(report, undefined, undefined);
    return this.holder.use((db) => {
      const findings = findingsOf(db, report);
      this.#o.metrics?.matches?.(findings.length, 'scan');
      return withFindings(report, findings, db.version, db);
    });
  }

  /**
   * An existing report about to answer a scan job, brought up to the current database: stored
   * again when its findings changed (this replica may hold a version the sweep has not reached).
   */
  async refresh(report: ScanReport): Promise<ScanReport> {
    const current = this.version;
    if (!current || !isSucceeded(report)) return report;
    if (report.vulnDbVersion !== undefined && compareDbVersions(report.vulnDbVersion, current) >= 0) return report;
    return this.holder.use(async (db) => {
      const findings = findingsOf(db, report);
      if (report.vulnDbVersion !== undefined && !rematch(report.vulnerabilities, findings).changed) return report;
      const updated = withFindings(report, findings, db.version, db);
      await this.#o.store.reports.put(updated);
      return updated;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#chain.catch(() => undefined);
    this.holder.close();
    if (this.#ownDir && this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
