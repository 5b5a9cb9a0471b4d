// admission: the Kubernetes admission webhook. Each replica holds an in-memory mirror of the
// verdicts and tags buckets, kept current by a watch, and is ready only once both mirrors are
// in sync — so it can answer from memory alone. At this stage it connects, provisions the two
// buckets (so it does not depend on policy or registry-watcher having started first), mirrors
// them and reports ready; the TLS webhook itself comes with its own issue (the health server
// here is plain HTTP).
import { fromBinary } from '@bufbuild/protobuf';
import { mirrorBucket, type KvMirror } from '@assay/bus';
import { Buckets, VerdictSchema, type Topology, type Verdict } from '@assay/proto';
import type { ServiceContext, ServiceDefinition } from '@assay/service-kit';

export const SERVICE_NAME = 'admission';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8084;

/** Streams, consumers and buckets admission provisions at start: the two buckets it mirrors. */
export const admissionTopology: Topology = {
  streams: [],
  consumers: [],
  buckets: [Buckets.verdicts, Buckets.tags],
};

/** admission's own configuration variables, on top of the common ones. */
export const admissionConfig = {};

/** The running admission service: its in-memory replicas of the buckets. */
export interface Admission {
  /** Image digest → current verdict. */
  readonly verdicts: KvMirror<Verdict>;
  /** Normalised image reference → manifest digest. */
  readonly tags: KvMirror<string>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Starts both mirrors and makes readiness wait for them. */
export async function startAdmission(ctx: ServiceContext<typeof admissionConfig>): Promise<Admission> {
  const { bus, logger, readiness, metrics } = ctx;
  const verdicts = await mirrorBucket<Verdict>({
    js: bus.js,
    bucket: Buckets.verdicts.name,
    decode: (bytes) => fromBinary(VerdictSchema, bytes),
    connection: bus,
    logger: logger.child({ component: 'mirror' }),
  });
  const tags = await mirrorBucket<string>({
    js: bus.js,
    bucket: Buckets.tags.name,
    decode: (bytes) => utf8.decode(bytes),
    connection: bus,
    logger: logger.child({ component: 'mirror' }),
  });
  // The mirrors are tracked by the bus (stopped before it drains); stopping them first on
  // shutdown also keeps their watches from re-syncing while the connection goes away.
  ctx.onStop(() => Promise.all([verdicts.stop(), tags.stop()]).then(() => undefined));

  for (const m of [verdicts, tags] as const) {
    readiness.add(`mirror:${m.bucket}`, () => (m.isSynced() ? true : { ok: false, detail: 'initial sync not complete' }));
  }
  metrics.gauge({
    name: 'assay_admission_mirror_keys',
    help: 'Keys held by the in-memory bucket mirrors',
    labelNames: ['bucket'],
    collect() {
      this.set({ bucket: verdicts.bucket }, verdicts.size);
      this.set({ bucket: tags.bucket }, tags.size);
    },
  });
  metrics.gauge({
    name: 'assay_admission_mirror_synced',
    help: 'Whether each bucket mirror has completed its initial sync (1) or not (0)',
    labelNames: ['bucket'],
    collect() {
      this.set({ bucket: verdicts.bucket }, verdicts.isSynced() ? 1 : 0);
      this.set({ bucket: tags.bucket }, tags.isSynced() ? 1 : 0);
    },
  });
  void Promise.all([verdicts.synced, tags.synced]).then(
    () => logger.info({ verdicts: verdicts.size, tags: tags.size }, 'bucket mirrors in sync'),
    () => {},
  );
  return { verdicts, tags };
}

export const admissionService: ServiceDefinition<typeof admissionConfig, Admission> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: admissionConfig,
  topology: admissionTopology,
  start: startAdmission,
};
