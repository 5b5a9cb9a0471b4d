// admission: the Kubernetes admission webhook. Each replica mirrors the verdicts, tags,
// runtime-policies, policy-exceptions and running buckets in memory (running: where each digest
// runs, for a runtime policy's grace); it answers from memory alone (plus a
// bounded registry HEAD for a tag the tags bucket does not know), keeps answering while NATS is
// down, and publishes its audit events and scan requests through a bounded outbox that waits
// for NATS to come back.
//
// Ready means "can decide": every mirror has loaded once, the webhook listens with its TLS
// material, and (when enabled) the namespace labels have loaded once. A lost NATS connection
// never makes it unready: it decides from the state it has, and says how stale that is
// (assay_admission_mirror_stale_seconds, and each decision's audit event).
import { fromBinary } from '@bufbuild/protobuf';
import { Events } from 'nats';
import { mirrorBucket, type KvMirror } from '@assay/bus';
import { boundedMemo } from '@assay/kit';
import {
  Buckets,
  digestBucketKey,
  RunningImageSchema,
  Streams,
  tagBucketKey,
  VerdictSchema,
  type RunningImage,
  type Topology,
  type Verdict,
} from '@assay/proto';
import type { ServiceContext, ServiceDefinition } from '@assay/service-kit';
import { decodeException, decodeRuntimePolicy, type DecisionSnapshot, type Exception, type RuntimePolicyRef } from '@assay/review-engine';
import { admissionConfig, type AdmissionShape } from './config.ts';
import { AdmissionHandler } from './handler.ts';
import { Outbox } from './outbox.ts';
import { eventsIn, publisherFor, type OutboundEvent } from './publisher.ts';
import { AuditBatcher } from './audit-batcher.ts';
import { TagResolver } from './resolve.ts';
import { kubeConnection } from '@assay/kube';
import { NamespaceLabels } from './namespace-labels.ts';
import { startWebhook, type Webhook } from './webhook.ts';
import { Staleness } from './staleness.ts';

export { admissionConfig };
export const SERVICE_NAME = 'admission';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8084;

/**
 * What admission provisions at start: the buckets it mirrors (so it does not depend on policy
 * or registry-watcher having started first) and the streams it publishes to.
 */
export const admissionTopology: Topology = {
  streams: [Streams.audit, Streams.scans],
  consumers: [],
  buckets: [Buckets.verdicts, Buckets.tags, Buckets.runtimePolicies, Buckets.exceptions, Buckets.running],
};

/** The running admission service. */
export interface Admission {
  /** Image digest key (`sha256.<hex>`) → current verdict. */
  readonly verdicts: KvMirror<Verdict>;
  /** Tag bucket key of a normalised reference → manifest digest. */
  readonly tags: KvMirror<string>;
  readonly runtimePolicies: KvMirror<RuntimePolicyRef>;
  readonly exceptions: KvMirror<Exception>;
  /** Image digest key → where it runs in the cluster (the registry-watcher writes it), for grace. */
  readonly running: KvMirror<RunningImage>;
  /** What decisions read (the mirrors, plus digests learnt from registries). */
  readonly snapshot: DecisionSnapshot;
  readonly handler: AdmissionHandler;
  readonly outbox: Outbox<OutboundEvent>;
  readonly audit: AuditBatcher;
  /** The HTTPS webhook; undefined when no TLS certificate and key are configured. */
  readonly webhook: Webhook | undefined;
  /** Namespace labels from the Kubernetes API; undefined unless ADMISSION_NAMESPACE_LABELS. */
  readonly namespaceLabels: NamespaceLabels | undefined;
  /** How long the mirrors have not been current (0 while they are). */
  readonly staleness: Staleness;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A mirror's values as an array, rebuilt only after a change (decisions read it on every call). */
function cachedValues<T>(mirror: KvMirror<T>): () => readonly T[] {
  let values: T[] | undefined;
  mirror.on('change', () => (values = undefined));
  return () => (values ??= [...mirror.entries()].map(([, v]) => v));
}

export async function startAdmission(ctx: ServiceContext<AdmissionShape>): Promise<Admission> {
  const { bus, logger, readiness, metrics, config } = ctx;
  if ((config.ADMISSION_TLS_CERT === undefined) !== (config.ADMISSION_TLS_KEY === undefined)) {
    throw new Error('ADMISSION_TLS_CERT and ADMISSION_TLS_KEY go together (the webhook certificate and its key files)');
  }
  const mirrorLogger = logger.child({ component: 'mirror' });
  const mirror = <T>(bucket: string, decode: (b: Uint8Array, key: string) => T) =>
    mirrorBucket<T>({ js: bus.js, bucket, decode, connection: bus, logger: mirrorLogger });
  const verdicts = await mirror(Buckets.verdicts.name, (b) => fromBinary(VerdictSchema, b));
  const tags = await mirror(Buckets.tags.name, (b) => utf8.decode(b));
  const runtimePolicies = await mirror(Buckets.runtimePolicies.name, decodeRuntimePolicy);
  const exceptions = await mirror(Buckets.exceptions.name, decodeException);
  const running = await mirror(Buckets.running.name, (b) => fromBinary(RunningImageSchema, b));
  const mirrors = [verdicts, tags, runtimePolicies, exceptions, running] as const;
  // The mirrors are tracked by the bus (stopped before it drains); stopping them first on
  // shutdown also keeps their watches from re-syncing while the connection goes away.
  ctx.onStop(() => Promise.all(mirrors.map((m) => m.stop())).then(() => undefined));
  // Synced once is enough: a re-sync after a reconnect serves the last state meanwhile.
  for (const m of mirrors) {
    readiness.add(`mirror:${m.bucket}`, () => {
      if (m.isSynced()) return true;
      const err = m.lastError();
      return {
        ok: false,
        detail: `initial load of KV bucket ${m.bucket} not complete${err ? ` (watch failing: ${err})` : bus.isConnected() ? ' (loading)' : ' (NATS not connected)'}`,
      };
    });
  }
  const staleness = new Staleness({ mirrors, isConnected: () => bus.isConnected(), logger: logger.child({ component: 'staleness' }) });
  staleness.start();
  ctx.onStop(() => staleness.stop());
  metrics.gauge({
    name: 'assay_admission_mirror_stale_seconds',
    help: 'Seconds since the bucket mirrors were last current (connected to NATS, every watch up): 0 while they are',
    collect() {
      this.set(staleness.seconds());
    },
  });

  const lookups = metrics.counter({
    name: 'assay_admission_tag_lookups_total',
    help: 'Registry HEAD lookups of tags the tags bucket did not know, by result',
    labelNames: ['result'],
  });
  const late = metrics.counter({
    name: 'assay_admission_tag_lookups_late_total',
    help: "Images decided without a digest because their tag's lookup had not answered within the review's budget (ADMISSION_TAG_LOOKUP_TIMEOUT)",
  });
  const resolver = new TagResolver({
    registries: config.ADMISSION_REGISTRIES,
    timeoutMs: config.ADMISSION_TAG_LOOKUP_TIMEOUT,
    concurrency: config.ADMISSION_TAG_LOOKUP_CONCURRENCY,
    ttlMs: config.ADMISSION_TAG_CACHE_TTL,
    maxEntries: config.ADMISSION_TAG_CACHE_SIZE,
    onLookup: (result) => lookups.inc({ result }),
    onLate: (tags) => late.inc(tags),
    logger: logger.child({ component: 'tag-lookup' }),
  });
  ctx.onStop(() => resolver.close());

  let namespaceLabels: NamespaceLabels | undefined;
  if (config.ADMISSION_NAMESPACE_LABELS) {
    const connection = kubeConnection({
      url: config.ADMISSION_KUBE_API_URL,
      tokenFile: config.ADMISSION_KUBE_TOKEN_FILE,
      caFile: config.ADMISSION_KUBE_CA,
    });
    const nsLookups = metrics.counter({
      name: 'assay_admission_namespace_lookups_total',
      help: 'Direct GETs of namespaces the watch had not delivered, by result (found, not_found, error, busy)',
      labelNames: ['result'],
    });
    namespaceLabels = new NamespaceLabels({
      connection,
      logger: logger.child({ component: 'namespace-labels' }),
      onLookup: (result) => nsLookups.inc({ result }),
    });
    const watch = namespaceLabels;
    // Not ready before the first list: a replica answering without namespace labels would let
    // the less specific policy govern namespaces a namespaceLabels policy is meant for.
    readiness.add('namespace-labels', () => watch.readiness());
    watch.start();
    ctx.onStop(() => watch.stop());
    metrics.gauge({
      name: 'assay_admission_namespaces',
      help: 'Namespaces whose labels admission holds from the Kubernetes API watch',
      collect() {
        this.set(watch.size);
      },
    });
    metrics.gauge({
      name: 'assay_admission_namespace_labels_stale_seconds',
      help: 'Seconds since the namespace watch broke after its first load (labels may be stale): 0 while it is up',
      collect() {
        this.set(watch.staleSeconds());
      },
    });
  } else if (config.ADMISSION_KUBE_API_URL !== undefined) {
    logger.warn({}, 'ADMISSION_KUBE_API_URL is set but ADMISSION_NAMESPACE_LABELS is not: namespace labels are not watched');
  }

  const policies = cachedValues(runtimePolicies);
  const exceptionList = cachedValues(exceptions);
  const tagKeyOf = boundedMemo(10_000, tagBucketKey);
  // The same digests come back review after review: their bucket keys are made once, and a key
  // string seen before carries its hash, so the lookup in a mirror of 100,000 keys does not
  // hash a fresh 71-character string each time.
  const digestKeyOf = boundedMemo(10_000, digestBucketKey);
  const snapshot: DecisionSnapshot = {
    verdict: (digest) => verdicts.get(digestKeyOf(digest)),
    digestOf: (canonical) => tags.get(tagKeyOf(canonical)) ?? resolver.cached(canonical)?.value,
    runtimePolicies: policies,
    exceptions: exceptionList,
    cluster: config.ADMISSION_CLUSTER,
    running: (digest) => running.get(digestKeyOf(digest)),
    ...(namespaceLabels ? { namespaceLabels: (name: string) => namespaceLabels.get(name) } : {}),
  };

  const dropped = metrics.counter({
    name: 'assay_admission_outbox_dropped_total',
    help: 'Audit events and scan requests refused because the outbox was full (NATS unreachable too long)',
    labelNames: ['kind'],
  });
  const outbox = new Outbox<OutboundEvent>({
    capacity: config.ADMISSION_AUDIT_BUFFER,
    publish: publisherFor(bus),
    isConnected: () => bus.isConnected(),
    weight: eventsIn,
    onDropped: (e) => dropped.inc({ kind: e.kind }, eventsIn(e)),
    logger: logger.child({ component: 'outbox' }),
  });
  const audit = new AuditBatcher({
    outbox,
    producer: SERVICE_NAME,
    maxEvents: config.ADMISSION_AUDIT_BATCH_MAX,
    lingerMs: config.ADMISSION_AUDIT_BATCH_LINGER,
  });
  const offStatus = bus.onStatus((s) => {
    if (s.type === Events.Reconnect) outbox.flush();
    if (s.type === Events.Disconnect) staleness.lost();
  });
  metrics.gauge({
    name: 'assay_admission_outbox_size',
    help: 'Audit events and scan requests waiting to be published',
    collect() {
      this.set(outbox.size);
    },
  });

  const decisions = metrics.counter({
    name: 'assay_admission_decisions_total',
    help: 'AdmissionReview decisions, by operation, result, mode and dry run',
    labelNames: ['operation', 'allowed', 'mode', 'dry_run'],
  });
  const dryRuns = metrics.counter({
    name: 'assay_admission_dry_runs_total',
    help: 'Dry-run reviews answered without side effects (no audit event, no scan request), by webhook',
    labelNames: ['webhook'],
  });
  const handler = new AdmissionHandler({
    snapshot,
    verdicts,
    resolver,
    outbox,
    audit,
    producer: SERVICE_NAME,
    decisionDeadlineMs: config.ADMISSION_DECISION_DEADLINE,
    lookupBudgetMs: config.ADMISSION_TAG_LOOKUP_TIMEOUT,
    pinAllDigests: config.ADMISSION_MUTATE_PIN_DIGESTS,
    ...(namespaceLabels ? { namespaces: namespaceLabels } : {}),
    staleSeconds: () => staleness.staleFor(),
    onDryRun: (webhook) => dryRuns.inc({ webhook }),
    onDecision: (o) =>
      decisions.inc({ operation: o.request.operation, allowed: String(o.allowed), mode: o.mode, dry_run: String(o.request.dryRun) }),
  });

  const tlsFiles =
    config.ADMISSION_TLS_CERT !== undefined && config.ADMISSION_TLS_KEY !== undefined
      ? { cert: config.ADMISSION_TLS_CERT, key: config.ADMISSION_TLS_KEY, ca: config.ADMISSION_CLIENT_CA }
      : undefined;
  if (!tlsFiles) logger.error({}, 'no ADMISSION_TLS_CERT/ADMISSION_TLS_KEY: the webhook is not started (mirrors only)');
  // TLS material loaded and the HTTPS listener up. Without TLS files there is deliberately no
  // webhook (a bare mirror: local stack without openssl, library use); the check says so.
  const webhookCheck = readiness.flag(
    'webhook',
    tlsFiles ? `loading TLS material (${tlsFiles.cert}) and starting the HTTPS listener` : 'not configured',
  );
  if (!tlsFiles) webhookCheck.set(true, 'no ADMISSION_TLS_CERT/ADMISSION_TLS_KEY: no webhook runs (mirrors only)');
  const webhook =
    tlsFiles &&
    (await startWebhook({
      host: config.ADMISSION_HOST,
      port: config.ADMISSION_PORT,
      tls: tlsFiles,
      bodyLimit: config.ADMISSION_BODY_LIMIT,
      handler: () => handler,
      service: SERVICE_NAME,
      instance: ctx.instance,
      readiness,
      metrics,
      logger: logger.child({ component: 'webhook' }),
    }));
  if (webhook) webhookCheck.set(true);
  // Registered after the mirrors' hook, so it runs before it: stop taking reviews first, then
  // publish what the outbox holds while the bus is still up.
  ctx.onStop(async () => {
    offStatus();
    audit.flush();
    await outbox.stop(3000);
  });
  if (webhook) ctx.onStop(() => webhook.close());

  metrics.gauge({
    name: 'assay_admission_mirror_keys',
    help: 'Keys held by the in-memory bucket mirrors',
    labelNames: ['bucket'],
    collect() {
      for (const m of mirrors) this.set({ bucket: m.bucket }, m.size);
    },
  });
  metrics.gauge({
    name: 'assay_admission_mirror_synced',
    help: 'Whether each bucket mirror has completed its initial sync (1) or not (0)',
    labelNames: ['bucket'],
    collect() {
      for (const m of mirrors) this.set({ bucket: m.bucket }, m.isSynced() ? 1 : 0);
    },
  });
  void Promise.all(mirrors.map((m) => m.synced)).then(
    () =>
      logger.info(
        {
          verdicts: verdicts.size,
          tags: tags.size,
          runtimePolicies: runtimePolicies.size,
          exceptions: exceptions.size,
          running: running.size,
        },
        'bucket mirrors in sync',
      ),
    () => {},
  );
  return { verdicts, tags, runtimePolicies, exceptions, running, snapshot, handler, outbox, audit, webhook, namespaceLabels, staleness };
}

export const admissionService: ServiceDefinition<AdmissionShape, Admission> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: admissionConfig,
  topology: admissionTopology,
  // It decides from its mirrors while NATS is away: the bus is not among what it needs to be ready.
  readiness: { bus: false },
  start: startAdmission,
};
