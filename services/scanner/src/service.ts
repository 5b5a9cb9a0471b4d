// scanner: pulls each discovered image by digest, streams each layer once through the
// analyzers (per-layer cache), stores a scan report and announces ScanCompleted. The definition;
// the library is in the modules beside it (jobs.ts assembles them).
import { createClamdClient } from '@assay/clamav';
import type { AnalyzerRegistry } from '@assay/inventory';
import { Buckets, Consumers, Streams, type Topology } from '@assay/proto';
import { defaultAnalyzerRegistry, MALWARE_DISABLED_WARNING } from '@assay/scan-engine';
import { addStoreReadiness, requireDeploymentStore, type ServiceContext, type ServiceDefinition } from '@assay/service-kit';
import { openStore, type Store } from '@assay/store';
import { limitsFrom, scannerConfig, type ScannerShape } from './config.ts';
import { ScanJobs } from './jobs.ts';
import { KubeClient, kubeConnection } from '@assay/kube';
import { RegistryClients } from '@assay/registry-client';
import { PullSecretCredentials } from './pull-secrets.ts';
import { StoreMaintenance } from './maintenance.ts';
import { scannerRoutes } from './routes.ts';
import { ScanTrust } from './trust.ts';
import { VulnDbManager, vulnDbDirFrom } from './vulndb.ts';

export { scannerConfig };

export const SERVICE_NAME = 'scanner';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8082;

/** Streams, consumers and buckets scanner provisions at start. */
export const scannerTopology: Topology = {
  // ASSAY_POLICY: the scanner publishes VulnDbUpdated there; ASSAY_AUDIT: an audit event per scan.
  streams: [Streams.images, Streams.scans, Streams.policy, Streams.audit, Streams.deadLetter],
  consumers: [Consumers.scannerDiscovered, Consumers.scannerRequests],
  // Deployment: the scanner records (or checks) which store the deployment uses.
  buckets: [Buckets.deployment],
};

/** The running scanner (handle.api). */
export interface Scanner {
  readonly jobs: ScanJobs;
  readonly store: Store;
  readonly analyzers: AnalyzerRegistry;
  /** The vulnerability database: `checkForUpdate()`, `version`, `initial` (the start-up check). */
  readonly vulndb: VulnDbManager;
  /** Layer-cache eviction and orphan cleanup (`runOnce()`). */
  readonly maintenance: StoreMaintenance;
}

export interface ScannerServiceOptions {
  /** Analyzers to run; every analyzer @assay/inventory offers by default. */
  analyzers?: () => AnalyzerRegistry;
}

export async function startScanner(ctx: ServiceContext<ScannerShape>, opts: ScannerServiceOptions = {}): Promise<Scanner> {
  const c = ctx.config;
  const analyzers = (opts.analyzers ?? defaultAnalyzerRegistry)();
  const store = await openStore(c, { appName: `scanner@${ctx.instance}` });
  ctx.onStop(() => store.close());
  addStoreReadiness(ctx, store);
  // A report written to a store policy does not read is a scan nobody judges: wait until this
  // store is the deployment's before consuming anything.
  await requireDeploymentStore(ctx, store, { adopt: c.STORE_ADOPT });
  const clients = new RegistryClients(c.SCANNER_REGISTRIES, {
    timeoutMs: c.SCAN_REGISTRY_TIMEOUT,
    logger: ctx.logger.child({ component: 'registry' }),
  });
  ctx.onStop(() => clients.close());

  const m = ctx.metrics;
  const scans = m.counter({ name: 'assay_scanner_scans_total', help: 'Scans finished, by status', labelNames: ['status'] });
  const skipped = m.counter({
    name: 'assay_scanner_scans_skipped_total',
    help: 'Scan jobs answered by an existing report (same analyzer versions)',
  });
  const duration = m.histogram({
    name: 'assay_scanner_scan_duration_seconds',
    help: 'Duration of a scan, by status',
    labelNames: ['status'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  });
  const layers = m.counter({ name: 'assay_scanner_layers_total', help: 'Layers of finished scans, cached or walked', labelNames: ['how'] });
  const running = m.gauge({ name: 'assay_scanner_scans_in_flight', help: 'Scans in flight' });
  const trustVerifications = m.counter({
    name: 'assay_scanner_trust_verifications_total',
    help: "Verifications of an image's signatures and attestations, by trigger (scan; refresh: one was pushed; roots: the stored report was verified with other trusted roots, or never) and whether any was usable",
    labelNames: ['trigger', 'found'],
  });
  const dbInfo = m.gauge({
    name: 'assay_scanner_vulndb_info',
    help: 'The vulnerability database in use (1 for its version; none while there is none)',
    labelNames: ['version'],
  });
  const dbBuilt = m.gauge({
    name: 'assay_scanner_vulndb_built_timestamp_seconds',
    help: 'Build time of the vulnerability database in use',
  });
  const dbChecks = m.counter({
    name: 'assay_scanner_vulndb_checks_total',
    help: 'Checks for a newer vulnerability database, by result',
    labelNames: ['result'],
  });
  const dbMatches = m.counter({
    name: 'assay_scanner_vulndb_matches_total',
    help: 'Vulnerability findings produced, by scans or by re-matching stored reports',
    labelNames: ['via'],
  });
  const dbRematched = m.counter({
    name: 'assay_scanner_vulndb_rematched_reports_total',
    help: 'Stored reports visited by re-matching after a database update, by result',
    labelNames: ['result'],
  });

  const vulndb: VulnDbManager = new VulnDbManager({
    dir: vulnDbDirFrom(c),
    source: c.VULNDB_SOURCE,
    insecure: c.VULNDB_INSECURE,
    intervalMs: c.VULNDB_CHECK_INTERVAL,
    store,
    bus: ctx.bus,
    logger: ctx.logger.child({ component: 'vulndb' }),
    clientFor: (r) => clients.clientFor(r),
    // Late-bound: jobs is created below, and re-matching starts only after it exists.
    publishCompleted: (report, o) => jobs.publishRematched(report, o),
    metrics: {
      loaded: (db) => {
        dbInfo.reset();
        if (!db) return;
        dbInfo.set({ version: db.version }, 1);
        const t = Date.parse(db.metadata.builtAt);
        if (!Number.isNaN(t)) dbBuilt.set(t / 1000);
      },
      check: (result) => dbChecks.inc({ result }),
      matches: (n, via) => dbMatches.inc({ via }, n),
      rematched: (result, n) => dbRematched.inc({ result }, n),
    },
  });
  // Loaded before consuming, so the first scans already match.
  await vulndb.load();

  // clamd is connected per command (clamav's client), so there is nothing to open or close here;
  // readiness says whether it answers, but a scan asks it again and fails if it does not.
  const clamd = c.CLAMD_ADDRESS
    ? createClamdClient({
        address:
          'socketPath' in c.CLAMD_ADDRESS
            ? { socketPath: c.CLAMD_ADDRESS.socketPath }
            : { host: c.CLAMD_ADDRESS.host, port: c.CLAMD_ADDRESS.port },
        maxStreamBytes: c.CLAMD_MAX_STREAM,
      })
    : undefined;
  if (!clamd) ctx.logger.warn(MALWARE_DISABLED_WARNING);

  // Only when enabled is a Secret ever read (and the scanner's RBAC then grants get on secrets).
  const pullSecrets = c.SCANNER_KUBE_PULL_SECRETS
    ? new PullSecretCredentials({
        client: new KubeClient(
          kubeConnection({ url: c.SCANNER_KUBE_API_URL, tokenFile: c.SCANNER_KUBE_TOKEN_FILE, caFile: c.SCANNER_KUBE_CA }),
        ),
        logger: ctx.logger.child({ component: 'pull-secrets' }),
        ttlMs: c.SCANNER_PULL_SECRETS_CACHE,
      })
    : undefined;

  const jobs: ScanJobs = new ScanJobs({
    analyzers,
    store,
    clients,
    limits: limitsFrom(c),
    concurrency: c.SCAN_CONCURRENCY,
    useCache: c.SCAN_LAYER_CACHE,
    maxDeliveries: c.SCAN_MAX_DELIVERIES,
    backoffMs: Array.from({ length: 6 }, (_, i) => c.SCAN_RETRY_BACKOFF * 2 ** i),
    logger: ctx.logger.child({ component: 'jobs' }),
    bus: ctx.bus,
    vulndb,
    malware: clamd ? { client: clamd, maxStreamBytes: c.CLAMD_MAX_STREAM } : undefined,
    checks: c.SCANNER_CHECKS,
    baseImages: c.SCANNER_BASE_IMAGES,
    pullSecrets,
    trust: ScanTrust.fromConfig(c, clients, (trigger, found) => trustVerifications.inc({ trigger, found })),
    metrics: {
      scanStarted: () => running.inc(),
      scanFinished: (status, seconds) => {
        running.dec();
        scans.inc({ status });
        duration.observe({ status }, seconds);
      },
      scanSkipped: () => skipped.inc(),
      layer: (how) => layers.inc({ how }),
    },
  });
  // Registered before jobs.stop, so it runs after it (stop hooks run in reverse), before the store closes.
  ctx.onStop(() => vulndb.stop());
  await jobs.start();
  ctx.onStop(() => jobs.stop());
  vulndb.start();
  const maintenance = new StoreMaintenance({
    store,
    logger: ctx.logger.child({ component: 'maintenance' }),
    intervalMs: c.SCAN_MAINTENANCE_INTERVAL,
    layerCacheMaxAgeMs: c.SCAN_LAYER_CACHE_MAX_AGE,
  });
  maintenance.start();
  ctx.onStop(() => maintenance.stop());
  ctx.logger.info(
    { analyzers: analyzers.versions(), concurrency: c.SCAN_CONCURRENCY, vulnDbVersion: vulndb.version ?? null },
    'scanner consuming',
  );
  return { jobs, store, analyzers, vulndb, maintenance };
}

/** The scanner definition with a chosen set of analyzers (tests, embedding). */
export function scannerServiceWith(opts: ScannerServiceOptions = {}): ServiceDefinition<ScannerShape, Scanner> {
  return {
    name: SERVICE_NAME,
    httpPort: DEFAULT_HTTP_PORT,
    config: scannerConfig,
    topology: scannerTopology,
    start: (ctx) => startScanner(ctx, opts),
    async routes(app, ctx) {
      await app.register(scannerRoutes, { reports: () => ctx.api()?.store.reports });
    },
  };
}

export const scannerService: ServiceDefinition<ScannerShape, Scanner> = scannerServiceWith();
