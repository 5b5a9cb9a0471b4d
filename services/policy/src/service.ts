// policy: evaluates scan reports against the image assurance policies and writes one verdict
// per digest into the verdicts bucket; owns policies, runtime policies and exceptions (REST
// API). The definition; the library is in the modules beside it (engine.ts does the work).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DescMessage } from '@bufbuild/protobuf';
import { consumeDurable, type ConsumerHandle, type Handler } from '@assay/bus';
import {
  Buckets,
  Consumers,
  ImageDiscoveredSchema,
  PolicyChangedSchema,
  ScanCompletedSchema,
  ScanRequestedSchema,
  Streams,
  VulnDbUpdatedSchema,
  type ConsumerSpec,
  type Topology,
} from '@assay/proto';
import { addStoreReadiness, requireDeploymentStore, type ServiceContext, type ServiceDefinition } from '@assay/service-kit';
import { openStore } from '@assay/store';
import { PolicyChanges } from './changes.ts';
import { DocumentBuckets, reconcileRefusal } from './document-buckets.ts';
import { policyConfig, type PolicyShape } from './config.ts';
import { PolicyEngine } from './engine.ts';
import { VexDocuments } from './vex-documents.ts';
import { ApiTokens } from './api-tokens.ts';
import { announceVerdict } from './audit.ts';
import { IndexVerdicts } from './index-verdicts.ts';
import { PendingVerdicts } from './pending-verdicts.ts';
import { VerdictList } from './verdict-list.ts';
import { DecisionLog } from './decision-log.ts';
import { registerPolicyRoutes, type PolicyApi } from './routes.ts';
import { KubeClient, kubeConnection, SERVICE_ACCOUNT_DIR } from '@assay/kube';
import { PolicyController } from './kube-controller.ts';
import { runningReports } from './running/start.ts';
import type { RunningReports } from './running/running-reports.ts';

export { policyConfig };

export const SERVICE_NAME = 'policy';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8083;
/** Discovery and scan-request events turned into pending verdicts at once (each a KV create-only write). */
const PENDING_CONCURRENCY = 4;

/** Streams, consumers and buckets policy provisions at start. */
export const policyTopology: Topology = {
  // ASSAY_SCANS and ASSAY_IMAGES too: its durable consumers of discovered images, image indexes,
  // scan requests and completed scans live on them. ASSAY_AUDIT: it publishes audit events
  // (policy and verdict changes).
  streams: [Streams.images, Streams.scans, Streams.policy, Streams.audit, Streams.deadLetter],
  consumers: [
    Consumers.policyDiscovered,
    Consumers.policyIndexes,
    Consumers.policyRequests,
    Consumers.policyScans,
    Consumers.policyChanges,
    Consumers.policyVulnDb,
  ],
  // Runtime policies and exceptions too, as JSON: admission mirrors them. Image indexes: which
  // platform manifests each index digest aggregates. Deployment: which store the deployment uses
  // and which store wrote the policy buckets. Running: mirrored for the reports (POLICY_KUBERNETES),
  // provisioned here too so policy does not depend on the registry-watcher having started first.
  buckets: [Buckets.verdicts, Buckets.runtimePolicies, Buckets.exceptions, Buckets.imageIndexes, Buckets.deployment, Buckets.running],
};

export async function startPolicy(ctx: ServiceContext<PolicyShape>): Promise<PolicyApi> {
  const c = ctx.config;
  const store = await openStore(c, { appName: `policy@${ctx.instance}` });
  ctx.onStop(() => store.close());
  addStoreReadiness(ctx, store);
  // Nothing below reads or writes the store until it is known to be the deployment's.
  const gate = await requireDeploymentStore(ctx, store, { adopt: c.STORE_ADOPT });
  const kv = await ctx.bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
  const documents = new DocumentBuckets(
    store,
    await ctx.bus.js.views.kv(Buckets.runtimePolicies.name, { bindOnly: true }),
    await ctx.bus.js.views.kv(Buckets.exceptions.name, { bindOnly: true }),
    { kv: gate.deployment, store: gate.store, by: `${SERVICE_NAME}@${ctx.instance}`, adopt: c.STORE_ADOPT },
  );
  for (const r of await documents.reconcile()) {
    if (r.mode === 'full') continue;
    // Kept running: admission decides from the bucket copies, which stay as they are.
    gate.markBucketMismatch();
    ctx.logger.error({ bucket: r.bucket, kept: r.kept }, reconcileRefusal(r));
  }
  const logger = ctx.logger.child({ component: 'engine' });
  const indexes = new IndexVerdicts({
    js: ctx.bus.js,
    verdicts: kv,
    indexes: await ctx.bus.js.views.kv(Buckets.imageIndexes.name, { bindOnly: true }),
    logger: ctx.logger.child({ component: 'indexes' }),
    announce: (v, prev) => announceVerdict(ctx.bus.js, v, prev),
    connection: ctx.bus,
  });
  await indexes.start();
  ctx.onStop(() => indexes.stop());
  // Every verdict as a summary, for GET /api/v1/verdicts (listing never reads the bucket).
  const verdicts = new VerdictList({ js: ctx.bus.js, connection: ctx.bus, logger: ctx.logger.child({ component: 'verdict-list' }) });
  await verdicts.start();
  ctx.onStop(() => verdicts.stop());
  // Recent admission decisions from the audit stream, for the console (follows it in the background).
  const decisions = new DecisionLog({ bus: ctx.bus, logger: ctx.logger.child({ component: 'decision-log' }) });
  decisions.start();
  ctx.onStop(() => decisions.stop());
  // Known but not yet judged images (discovered, asked to be scanned): pending until their scan is.
  const pending = new PendingVerdicts({
    verdicts: kv,
    logger: ctx.logger.child({ component: 'pending' }),
    announce: (v, prev) => announceVerdict(ctx.bus.js, v, prev),
  });
  const vex = new VexDocuments({
    dir: c.POLICY_VEX_DIR,
    refreshMs: c.POLICY_VEX_REFRESH,
    timeoutMs: c.POLICY_VEX_FETCH_TIMEOUT,
    logger: ctx.logger.child({ component: 'vex-documents' }),
  });
  const engine = new PolicyEngine({
    store,
    js: ctx.bus.js,
    kv,
    logger,
    concurrency: c.POLICY_REEVALUATE_CONCURRENCY,
    documents,
    indexes,
    vex,
  });
  ctx.onStop(() => engine.stop());
  ctx.onStop(() => vex.stop());
  await engine.loadIndex();
  await engine.armExpiries();
  vex.start((keys) => engine.onVexDocumentsChanged(keys));

  const m = ctx.metrics;
  const evaluations = m.counter({
    name: 'assay_policy_reevaluations_total',
    help: 'Images re-evaluated, by trigger',
    labelNames: ['trigger'],
  });
  const common = {
    js: ctx.bus.js,
    connection: ctx.bus,
    logger: ctx.logger.child({ component: 'consumer' }),
    deadLetter: { producer: SERVICE_NAME },
  };
  const consume = <S extends DescMessage>(consumer: ConsumerSpec, schema: S, handler: Handler<S>, concurrency = 1) =>
    consumeDurable({ ...common, consumer, schema, handler, concurrency });
  const consumers: ConsumerHandle[] = [
    await consume(
      Consumers.policyDiscovered,
      ImageDiscoveredSchema,
      async (msg) => {
        await pending.onDiscovered(msg);
      },
      PENDING_CONCURRENCY,
    ),
    await consume(Consumers.policyIndexes, ImageDiscoveredSchema, async (msg) => {
      await indexes.record(msg);
      await pending.onIndex(msg);
    }),
    await consume(
      Consumers.policyRequests,
      ScanRequestedSchema,
      async (msg) => {
        await pending.onScanRequested(msg);
      },
      PENDING_CONCURRENCY,
    ),
    await consume(
      Consumers.policyScans,
      ScanCompletedSchema,
      async (msg) => {
        await engine.onScanCompleted(msg);
        evaluations.inc({ trigger: 'scan' });
      },
      c.POLICY_SCAN_CONCURRENCY,
    ),
    // One change at a time, in order: a later change's re-evaluation always runs after an earlier one's.
    await consume(Consumers.policyChanges, PolicyChangedSchema, async (msg) => {
      const r = await engine.onPolicyChanged(msg);
      evaluations.inc({ trigger: 'policy' }, r.evaluated);
      logger.info({ policy: msg.policyId, version: msg.version, ...r }, 're-evaluated after a policy change');
    }),
    await consume(Consumers.policyVulnDb, VulnDbUpdatedSchema, async (msg) => {
      const r = await engine.onVulnDbUpdated(msg.version, msg.meta?.id);
      evaluations.inc({ trigger: 'vulndb' }, r.evaluated);
      logger.info({ vulnDb: msg.version, ...r }, 're-evaluated after a vulnerability database update');
    }),
  ];
  ctx.onStop(async () => {
    await Promise.all(consumers.map((h) => h.stop()));
  });
  const changes = new PolicyChanges(store, ctx.bus.js);
  let kube: PolicyController | undefined;
  let running: RunningReports | undefined;
  if (c.POLICY_KUBERNETES) {
    // Policies as custom resources: written through the same PolicyChanges as the REST API.
    const connection = kubeConnection({ url: c.POLICY_KUBE_API_URL, tokenFile: c.POLICY_KUBE_TOKEN_FILE, caFile: c.POLICY_KUBE_CA });
    const client = new KubeClient(connection);
    const controller = new PolicyController({
      client,
      engine,
      changes,
      verdicts,
      logger: ctx.logger.child({ component: 'kubernetes' }),
      exceptionNamespaces: c.POLICY_EXCEPTION_NAMESPACES.length > 0 ? c.POLICY_EXCEPTION_NAMESPACES : [ownNamespace()],
    });
    ctx.onStop(() => controller.stop());
    // Not awaited: the service runs (and the REST API answers) while the API server is unreachable.
    controller.start();
    kube = controller;
    // Running workloads: namespace reports, the non-compliant gauge and audit events.
    const reports = runningReports(c, {
      client,
      js: ctx.bus.js,
      connection: ctx.bus,
      logger: ctx.logger.child({ component: 'running-reports' }),
      metrics: ctx.metrics,
    });
    await reports.start();
    ctx.onStop(() => reports.stop());
    running = reports;
  }
  // In the background: events are handled meanwhile, and a stale result never replaces a newer one.
  const caughtUpStart = Date.now();
  void engine.catchUp().then(
    (r) => logger.info({ ...r, seconds: (Date.now() - caughtUpStart) / 1000 }, 'every known image re-evaluated at start'),
    (err: unknown) => logger.error({ err }, 're-evaluation at start failed; verdicts are updated as events arrive'),
  );
  return { engine, indexes, verdicts, changes, decisions, ...(kube ? { kube } : {}), ...(running ? { running } : {}) };
}

export const policyService: ServiceDefinition<PolicyShape, PolicyApi> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: policyConfig,
  topology: policyTopology,
  start: startPolicy,
  async routes(app, ctx) {
    await registerPolicyRoutes(app, {
      api: () => ctx.api(),
      tokens: await ApiTokens.load({
        token: ctx.config.POLICY_API_TOKEN,
        user: ctx.config.POLICY_API_USER,
        file: ctx.config.POLICY_API_TOKENS_FILE,
      }),
      logger: ctx.logger.child({ component: 'http' }),
    });
  },
};

/** The namespace this pod runs in (the service account's), `assay-system` outside a cluster. */
function ownNamespace(): string {
  try {
    return readFileSync(join(SERVICE_ACCOUNT_DIR, 'namespace'), 'utf8').trim() || 'assay-system';
  } catch {
    return 'assay-system';
  }
}
