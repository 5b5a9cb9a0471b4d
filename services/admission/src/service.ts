// admission: the Kubernetes admission webhook. Each replica mirrors the verdicts, tags,
// runtime-policies and policy-exceptions buckets in memory and is ready only once all four
// mirrors are in sync; it answers from memory alone (plus a bounded registry HEAD for a tag the
// tags bucket does not know), keeps answering while NATS is down, and publishes its audit
// events and scan requests through a bounded outbox that waits for NATS to come back.
import { fromBinary } from '@bufbuild/protobuf';
import { Events } from 'nats';
import { mirrorBucket, type KvMirror } from '@assay/bus';
import { Buckets, digestBucketKey, Streams, tagBucketKey, VerdictSchema, type Topology, type Verdict } from '@assay/proto';
import type { ServiceContext, ServiceDefinition } from '@assay/service-kit';
import { admissionConfig, type AdmissionShape } from './config.ts';
import { AdmissionHandler } from './handler.ts';
import { Outbox } from './outbox.ts';
import { eventsIn, publisherFor, type OutboundEvent } from './publisher.ts';
import { AuditBatcher } from './audit-batcher.ts';
import { TagResolver } from './resolve.ts';
import { boundedMemo } from './lru.ts';
import { kubeConnection, NamespaceLabels } from './namespace-labels.ts';
import { decodeException, decodeRuntimePolicy, type DecisionSnapshot, type Exception, type RuntimePolicyRef } from './snapshot.ts';
import { startWebhook, type Webhook } from './webhook.ts';

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
  buckets: [Buckets.verdicts, Buckets.tags, Buckets.runtimePolicies, Buckets.exceptions],
};

/** The running admission service. */
export interface Admission {
  /** Image digest key (`sha256.<hex>`) → current verdict. */
  readonly verdicts: KvMirror<Verdict>;
  /** Tag bucket key of a normalised reference → manifest digest. */
  readonly tags: KvMirror<string>;
  readonly runtimePolicies: KvMirror<RuntimePolicyRef>;
  readonly exceptions: KvMirror<Exception>;
  /** What decisions read (the mirrors, plus digests learnt from registries). */
  readonly snapshot: DecisionSnapshot;
  readonly handler: AdmissionHandler;
  readonly outbox: Outbox<OutboundEvent>;
  readonly audit: AuditBatcher;
  /** The HTTPS webhook; undefined when no TLS certificate and key are configured. */
  readonly webhook: Webhook | undefined;
  /** Namespace labels from the Kubernetes API; undefined unless ADMISSION_NAMESPACE_LABELS. */
  readonly namespaceLabels: NamespaceLabels | undefined;
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
  const mirrors = [verdicts, tags, runtimePolicies, exceptions] as const;
  // The mirrors are tracked by the bus (stopped before it drains); stopping them first on
  // shutdown also keeps their watches from re-syncing while the connection goes away.
  ctx.onStop(() => Promise.all(mirrors.map((m) => m.stop())).then(() => undefined));
  for (const m of mirrors) {
    readiness.add(`mirror:${m.bucket}`, () => (m.isSynced() ? true : { ok: false, detail: 'initial sync not complete' }));
  }

  const lookups = metrics.counter({
    name: 'assay_admission_tag_lookups_total',
    help: 'Registry HEAD lookups of tags the tags bucket did not know, by result',
    labelNames: ['result'],
  });
  const resolver = new TagResolver({
    registries: config.ADMISSION_REGISTRIES,
    timeoutMs: config.ADMISSION_TAG_LOOKUP_TIMEOUT,
    ttlMs: config.ADMISSION_TAG_CACHE_TTL,
    maxEntries: config.ADMISSION_TAG_CACHE_SIZE,
    onLookup: (result) => lookups.inc({ result }),
    logger: logger.child({ component: 'tag-lookup' }),
  });
  ctx.onStop(() => resolver.close());

  let namespaceLabels: NamespaceLabels | undefined;
  if (config.ADMISSION_NAMESPACE_LABELS) {
    const connection = kubeConnection({ url: config.ADMISSION_KUBE_API_URL, tokenFile: config.ADMISSION_KUBE_TOKEN_FILE, caFile: config.ADMISSION_KUBE_CA });
    namespaceLabels = new NamespaceLabels({ connection, logger: logger.child({ component: 'namespace-labels' }) });
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
  } else if (config.ADMISSION_KUBE_API_URL !== undefined) {
    logger.warn({}, 'ADMISSION_KUBE_API_URL is set but ADMISSION_NAMESPACE_LABELS is not: namespace labels are not watched');
  }

  const policies = cachedValues(runtimePolicies);
  const exceptionList = cachedValues(exceptions);
  const tagKeyOf = boundedMemo(10_000, tagBucketKey);
  const snapshot: DecisionSnapshot = {
    verdict: (digest) => verdicts.get(digestBucketKey(digest)),
    digestOf: (canonical) => tags.get(tagKeyOf(canonical)) ?? resolver.cached(canonical)?.value,
    runtimePolicies: policies,
    exceptions: exceptionList,
    cluster: config.ADMISSION_CLUSTER,
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
  const handler = new AdmissionHandler({
    snapshot,
    verdicts,
    resolver,
    outbox,
    audit,
    producer: SERVICE_NAME,
    decisionDeadlineMs: config.ADMISSION_DECISION_DEADLINE,
    pinAllDigests: config.ADMISSION_MUTATE_PIN_DIGESTS,
    onDecision: (o) =>
      decisions.inc({ operation: o.request.operation, allowed: String(o.allowed), mode: o.mode, dry_run: String(o.request.dryRun) }),
  });

  const tlsFiles =
    config.ADMISSION_TLS_CERT !== undefined && config.ADMISSION_TLS_KEY !== undefined
      ? { cert: config.ADMISSION_TLS_CERT, key: config.ADMISSION_TLS_KEY, ca: config.ADMISSION_CLIENT_CA }
      : undefined;
  if (!tlsFiles) logger.error({}, 'no ADMISSION_TLS_CERT/ADMISSION_TLS_KEY: the webhook is not started (mirrors only)');
  const webhook = tlsFiles && await startWebhook({
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
  });
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
    () => logger.info({ verdicts: verdicts.size, tags: tags.size, runtimePolicies: runtimePolicies.size, exceptions: exceptions.size }, 'bucket mirrors in sync'),
    () => {},
  );
  return { verdicts, tags, runtimePolicies, exceptions, snapshot, handler, outbox, audit, webhook, namespaceLabels };
}

export const admissionService: ServiceDefinition<AdmissionShape, Admission> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: admissionConfig,
  topology: admissionTopology,
  start: startAdmission,
};
