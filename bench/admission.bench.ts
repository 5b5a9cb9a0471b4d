// Admission webhook throughput and latency, and decision propagation across replicas.
// - Throughput: the webhook (/validate, a Deployment with 3 containers, 100,000 verdicts in the
//   mirror) against a bare fastify HTTPS server answering a constant AdmissionReview response,
//   same TLS material, same run, same load generator (undici Pool, keep-alive, fixed concurrency),
//   with one replica running (each replica has its own process and heap in a cluster). Measured
//   twice: the generator on the servers' own thread (as the figures were first taken), and on a
//   thread of its own (bench/admission-load.ts; the API server is another process): the servers'
//   own cost alone, a harder ratio since the client no longer dilutes it.
// - Latency: p99 of the webhook at a fixed 1000 requests/s (open loop, measured from each
//   request's scheduled time, so a stall is not hidden).
// - Propagation: from a verdicts KV put to a changed decision on each of 3 in-process replicas.
// Last line: admission_vs_bare_rps_ratio=… p99_ms_at_1000rps=… client_thread_rps_ratio=…
// client_thread_p99_ms_at_1000rps=… propagation_p99_ms=…
import { readFileSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import Fastify from 'fastify';
import { connectBus, provisionTopology } from '@assay/bus';
import { Compliance, digestBucketKey, tagBucketKey, VerdictSchema } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { admissionService, admissionTopology } from '@assay/admission';
import { startNatsServer } from '../test/support/nats-server.ts';
import { runtimePolicy } from '../test/admission/helpers.ts';
import { makeTlsFixtures } from '../test/admission/tls-fixtures.ts';
import { measureFixedRate, measureThroughput, startLoadGenerator, type LoadGenerator } from './admission-load.ts';

const VERDICTS = Number(process.env.BENCH_VERDICTS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 5000);
const RATE = 1000;
const RATE_MS = Number(process.env.BENCH_RATE_MS ?? 5000);
const FLIPS = Number(process.env.BENCH_FLIPS ?? 100);

const hex = (i: number) => i.toString(16).padStart(64, '0');
const digestOf = (i: number) => `sha256:${hex(i)}`;
const enc = new TextEncoder();
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const deployment = (uid: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid,
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
    name: 'shop',
    namespace: 'bench',
    operation: 'CREATE',
    userInfo: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop', namespace: 'bench', labels: { app: 'shop' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'shop' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        template: {
          metadata: { labels: { app: 'shop' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'registry.local/team/web:1.4.2',
                ports: [{ containerPort: 8080, protocol: 'TCP' }],
                resources: { limits: { cpu: '500m', memory: '256Mi' } },
                terminationMessagePath: '/dev/termination-log',
                imagePullPolicy: 'IfNotPresent',
              },
              {
                name: 'sidecar',
                image: `docker.io/envoyproxy/envoy@${digestOf(7)}`,
                resources: {},
                terminationMessagePath: '/dev/termination-log',
                imagePullPolicy: 'IfNotPresent',
              },
              {
                name: 'metrics',
                image: 'ghcr.io/example/exporter:0.9',
                resources: {},
                terminationMessagePath: '/dev/termination-log',
                imagePullPolicy: 'IfNotPresent',
              },
            ],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            securityContext: {},
            schedulerName: 'default-scheduler',
          },
        },
      },
    },
    oldObject: null,
    dryRun: false,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-client-side-apply' },
  },
});

const nats = await startNatsServer();
const tls = await makeTlsFixtures();
const admin = await connectBus({ servers: nats.url, name: 'bench-admin' });
const services: ReturnType<typeof createService<any, any>>[] = [];
let load: LoadGenerator | undefined;
const bare = Fastify({
  logger: false,
  https: { cert: readFileSync(tls.serverCert), key: readFileSync(tls.serverKey) },
  keepAliveTimeout: 65_000,
});
try {
  await provisionTopology(await admin.jetstreamManager(), admissionTopology);
  const verdicts = await admin.js.views.kv('verdicts', { bindOnly: true });
  const tags = await admin.js.views.kv('tags', { bindOnly: true });
  const policies = await admin.js.views.kv('runtime-policies', { bindOnly: true });

  // 100,000 verdicts, written pipelined; the images of the Deployment are among them.
  let t0 = performance.now();
  const compliant = toBinary(VerdictSchema, create(VerdictSchema, { compliance: Compliance.COMPLIANT, vulnDbVersion: 'bench' }));
  const nonCompliant = toBinary(
    VerdictSchema,
    create(VerdictSchema, {
      compliance: Compliance.NON_COMPLIANT,
      reasons: [
        { policy: 'baseline', control: 'vulnerabilities', message: 'CVE-2024-0001 (critical) in openssl 3.0.1', severity: 'critical' },
      ],
    }),
  );
  const WINDOW = 512;
  for (let i = 0; i < VERDICTS; i += WINDOW) {
    const batch = [];
    for (let j = i; j < Math.min(VERDICTS, i + WINDOW); j++) batch.push(verdicts.put(digestBucketKey(digestOf(j)), compliant));
    await Promise.all(batch);
  }
  await tags.put(tagBucketKey('registry.local/team/web:1.4.2'), enc.encode(digestOf(5)));
  await tags.put(tagBucketKey('ghcr.io/example/exporter:0.9'), enc.encode(digestOf(9)));
  await policies.put('prod', enc.encode(JSON.stringify(runtimePolicy('prod'))));
  log(`seeded ${VERDICTS} verdicts in ${Math.round(performance.now() - t0)} ms`);

  // One replica while load is measured: in a cluster each replica is a process with its own heap,
  // so the other two (and their mirrors) are started for the propagation phase only.
  const startReplica = async (r: number) => {
    const svc = createService(admissionService, {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        ADMISSION_PORT: '0',
        ADMISSION_TLS_CERT: tls.serverCert,
        ADMISSION_TLS_KEY: tls.serverKey,
        LOG_LEVEL: 'warn',
        METRICS_DEFAULT: 'false',
        SERVICE_INSTANCE: `bench-${r}`,
      },
    });
    services.push(svc);
    await svc.start();
    await svc.ready({ timeoutMs: 90_000 });
  };
  t0 = performance.now();
  await startReplica(0);
  log(`replica ready (${services[0]!.api!.verdicts.size} verdicts mirrored) in ${Math.round(performance.now() - t0)} ms`);

  const constant = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: 'bench', allowed: true },
  });
  bare.post('/validate', async (_req, reply) => reply.type('application/json').send(constant));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const bareUrl = `https://127.0.0.1:${(bare.server.address() as { port: number }).port}`;
  const webhookUrl = services[0]!.api!.webhook!.address;
  const body = JSON.stringify(deployment('bench-uid'));
  load = startLoadGenerator(tls.ca, body);
  const sameThread = {
    throughput: (url: string) => measureThroughput(url, tls.ca, body, THROUGHPUT_MS, CONCURRENCY),
    fixedRate: (url: string) => measureFixedRate(url, tls.ca, body, RATE, RATE_MS, CONCURRENCY),
  };
  const ownThread = {
    throughput: (url: string) => load!.throughput(url, THROUGHPUT_MS, CONCURRENCY),
    fixedRate: (url: string) => load!.fixedRate(url, RATE, RATE_MS, CONCURRENCY),
  };

  // Interleaved, two rounds each, best of each: the same machine noise for both servers.
  async function ratioOf(client: typeof sameThread, label: string): Promise<number> {
    const bareRps: number[] = [];
    const hookRps: number[] = [];
    for (let round = 0; round < 2; round++) {
      bareRps.push(await client.throughput(bareUrl));
      hookRps.push(await client.throughput(webhookUrl));
      log(`${label}, round ${round + 1}: bare ${Math.round(bareRps.at(-1)!)} req/s, webhook ${Math.round(hookRps.at(-1)!)} req/s`);
    }
    return Math.max(...hookRps) / Math.max(...bareRps);
  }
  // Fixed rate, open loop.
  async function p99Of(client: typeof sameThread, label: string): Promise<number> {
    const latencies = await client.fixedRate(webhookUrl);
    latencies.sort((a, b) => a - b);
    const p99 = quantile(latencies, 0.99);
    log(
      `${label}, at ${RATE} req/s for ${RATE_MS} ms: p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${latencies.at(-1)!.toFixed(2)} ms`,
    );
    return p99;
  }
  const ratio = await ratioOf(sameThread, 'client on the server thread');
  const p99 = await p99Of(sameThread, 'client on the server thread');
  const serverOnlyRatio = await ratioOf(ownThread, 'client on its own thread');
  const serverOnlyP99 = await p99Of(ownThread, 'client on its own thread');

  t0 = performance.now();
  await Promise.all([startReplica(1), startReplica(2)]);
  log(`replicas 2 and 3 ready in ${Math.round(performance.now() - t0)} ms`);

  // Propagation: flip the web image's verdict; time until each replica decides differently.
  const webKey = digestBucketKey(digestOf(5));
  const review = deployment('propagation');
  const propagation: number[] = [];
  for (let i = 0; i < FLIPS; i++) {
    const expectAllowed = i % 2 === 1; // 0: turn non-compliant, 1: back, …
    const put = performance.now();
    const arrived = services.map(
      (s) =>
        new Promise<number>((resolve) => {
          const off = s.api!.verdicts.on('change', (c: { key: string }) => {
            if (c.key !== webKey) return;
            void s.api!.handler.validate(review).then((res: { response: { allowed: boolean } }) => {
              if (res.response.allowed === expectAllowed) {
                off();
                resolve(performance.now() - put);
              }
            });
          });
        }),
    );
    await verdicts.put(webKey, expectAllowed ? compliant : nonCompliant);
    const times = await Promise.all(arrived);
    propagation.push(...times);
  }
  propagation.sort((a, b) => a - b);
  const propP99 = quantile(propagation, 0.99);
  log(`propagation over ${FLIPS} changes x 3 replicas: p50 ${quantile(propagation, 0.5).toFixed(2)} ms, p99 ${propP99.toFixed(2)} ms`);

  console.log(
    `admission_vs_bare_rps_ratio=${ratio.toFixed(3)} p99_ms_at_1000rps=${p99.toFixed(2)} client_thread_rps_ratio=${serverOnlyRatio.toFixed(3)} client_thread_p99_ms_at_1000rps=${serverOnlyP99.toFixed(2)} propagation_p99_ms=${propP99.toFixed(2)}`,
  );
} finally {
  await load?.close();
  for (const s of services) await s.stop();
  await bare.close();
  await admin.close();
  await nats.close();
  await tls.remove();
}
