// Admission at its worst: AdmissionReviews naming 1, 100 and 5,000 images whose tags neither the
// tags bucket nor the lookup cache knows, against a slow registry (test/support/slow-registry.ts:
// manifest HEADs answered after 50–500 ms, 70% found, 20% not found, 10% never answered). The
// webhook is the real service in a child process (services/admission/src/main.ts), so the RSS
// reported is the admission process's own, not the load generator's.
// - Unknown tags, every tag of every review distinct (nothing is ever cached for the next one):
//   per size, answer p50/p99/max, how many answers came within ANSWER_LIMIT_MS (every one must),
//   and how many images were decided as "not resolved in time" (the service's
//   assay_admission_tag_lookups_late_total).
// - Then 100 reviews of 5,000 unknown tags, a few at once, and the admission RSS after them.
// - Baseline in the same run: the same sizes with every tag known from memory (tags bucket).
// Last line: worst_1_p99_ms=… worst_100_p99_ms=… worst_5000_p99_ms=… worst_5000_max_ms=…
// within_budget=1 unresolved_5000=… rss_after_100_mb=… known_5000_p99_ms=…
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import { Pool, request } from 'undici';
import { connectBus, provisionTopology } from '@assay/bus';
import { Compliance, digestBucketKey, tagBucketKey, VerdictSchema } from '@assay/proto';
import { admissionTopology } from '@assay/admission';
import { startNatsServer } from '../test/support/nats-server.ts';
import { freePort } from '../test/support/ports.ts';
import { startSlowRegistry } from '../test/support/slow-registry.ts';
import { podReview, runtimePolicy } from '../test/admission/helpers.ts';
import { makeTlsFixtures } from '../test/admission/tls-fixtures.ts';

/** ADMISSION_TAG_LOOKUP_TIMEOUT: the lookup budget of one review (the service's default). */
const LOOKUP_BUDGET_MS = Number(process.env.BENCH_LOOKUP_BUDGET_MS ?? 1500);
/** Every answer must come by then: the budget plus room to decide 5,000 images, half the 5 s webhook timeout. */
const ANSWER_LIMIT_MS = 2500;
const SMALL_REVIEWS = Number(process.env.BENCH_SMALL_REVIEWS ?? 20);
const MEDIUM_REVIEWS = Number(process.env.BENCH_MEDIUM_REVIEWS ?? 10);
const LARGE_REVIEWS = Number(process.env.BENCH_LARGE_REVIEWS ?? 100);
/** 5,000-image reviews in flight at once (the API server sends several). */
const LARGE_CONCURRENCY = Number(process.env.BENCH_LARGE_CONCURRENCY ?? 3);
const KNOWN_REVIEWS = Number(process.env.BENCH_KNOWN_REVIEWS ?? 10);
const LARGE = 5000;
const HEAP_SNAPSHOT_DIR = process.env.BENCH_HEAP_SNAPSHOT;
/**
 * The admission process's V8 heap as the deployment sizes it (NODE_OPTIONS of the admission
 * container, deploy/k8s/base/services.yaml). Without it V8 sizes the heap from the machine's
 * memory (here a 4 GB old generation and a 192 MB young one) and, under a high allocation rate,
 * grows into it: the RSS would measure this machine, not the service. BENCH_CHILD_HEAP='' runs
 * it that way.
 */
const CHILD_HEAP = process.env.BENCH_CHILD_HEAP ?? '--max-old-space-size=256 --max-semi-space-size=2';

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const enc = new TextEncoder();
const hex = (i: number) => i.toString(16).padStart(64, '0');

/**
 * The process's resident memory: all of it, its peak, and split into anonymous pages (heap,
 * buffers: what the process made) and file pages (the node binary's code and data as they are
 * paged in, shared and reclaimable).
 */
function rssMb(pid: number): { rss: number; peak: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024, anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
}

const nats = await startNatsServer();
const tls = await makeTlsFixtures();
const registry = await startSlowRegistry();
const admin = await connectBus({ servers: nats.url, name: 'bench-admin' });
let child: ReturnType<typeof spawn> | undefined;
/** Set when the bench stops the process itself (its exit is then no news). */
let stopping = false;
let pool: Pool | undefined;
try {
  await provisionTopology(await admin.jetstreamManager(), admissionTopology);
  const verdicts = await admin.js.views.kv('verdicts', { bindOnly: true });
  const tags = await admin.js.views.kv('tags', { bindOnly: true });
  const policies = await admin.js.views.kv('runtime-policies', { bindOnly: true });
  await policies.put('prod', enc.encode(JSON.stringify(runtimePolicy('prod'))));
  // The baseline's images: every tag in the tags bucket, every digest compliant.
  const compliant = toBinary(VerdictSchema, create(VerdictSchema, { compliance: Compliance.COMPLIANT, vulnDbVersion: 'bench' }));
  const known = Array.from({ length: LARGE }, (_, i) => `registry.local/known/app-${i}:v1`);
  for (let i = 0; i < LARGE; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(LARGE, i + 500); j++) {
      batch.push(tags.put(tagBucketKey(known[j]!), enc.encode(`sha256:${hex(j + 1)}`)));
      batch.push(verdicts.put(digestBucketKey(`sha256:${hex(j + 1)}`), compliant));
    }
    await Promise.all(batch);
  }

  const webhookPort = await freePort();
  const healthPort = await freePort();
  // BENCH_CHILD_NODE_ARGS: flags for the admission process (e.g. --cpu-prof --cpu-prof-dir=…);
  // BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot of it there after the 5,000-image reviews.
  const nodeArgs = `${CHILD_HEAP} ${process.env.BENCH_CHILD_NODE_ARGS ?? ''}`.split(' ').filter(Boolean);
  if (HEAP_SNAPSHOT_DIR) nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${HEAP_SNAPSHOT_DIR}`);
  child = spawn(process.execPath, [...nodeArgs, 'services/admission/src/main.ts'], {
    env: {
      ...process.env,
      NATS_URL: nats.url,
      HTTP_PORT: String(healthPort),
      ADMISSION_PORT: String(webhookPort),
      ADMISSION_TLS_CERT: tls.serverCert,
      ADMISSION_TLS_KEY: tls.serverKey,
      ADMISSION_TAG_LOOKUP_TIMEOUT: String(LOOKUP_BUDGET_MS),
      LOG_LEVEL: 'warn',
      SERVICE_INSTANCE: 'bench-worst',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Its log lines are counted, not shown: a lookup failure logged per tag is itself a cost.
  let logLines = 0;
  let logBytes = 0;
  child.stdout!.on('data', (b: Buffer) => {
    logBytes += b.length;
    for (const c of b) if (c === 10) logLines++;
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => void (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
  void exited.then((code) => {
    if (!stopping) log(`admission exited (${code}): ${stderr}`);
  });
  const health = `http://127.0.0.1:${healthPort}`;
  const readyBy = Date.now() + 60_000;
  for (;;) {
    const ok = await request(`${health}/readyz`)
      .then(async (r) => (await r.body.dump(), r.statusCode === 200))
      .catch(() => false);
    if (ok) break;
    if (Date.now() > readyBy || child.exitCode !== null) throw new Error(`admission not ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  const ready = rssMb(pid);
  log(
    `admission ready (pid ${pid}, ${ready.rss.toFixed(0)} MB: anonymous ${ready.anon.toFixed(0)} MB, file ${ready.file.toFixed(0)} MB; node ${nodeArgs.join(' ') || '(no flags)'})`,
  );

  /** The process's own account of its memory (default metrics), in MB: where the RSS is. */
  async function heapMb(): Promise<string> {
    const text = await (await request(`${health}/metrics`)).body.text();
    const mb = (name: string) => (Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1e6).toFixed(0);
    const outbox = /^assay_admission_outbox_size(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1];
    return `heap ${mb('nodejs_heap_size_used_bytes')} used of ${mb('nodejs_heap_size_total_bytes')}, external ${mb('nodejs_external_memory_bytes')} MB; outbox ${outbox} events`;
  }

  async function lateLookups(): Promise<number> {
    const res = await request(`${health}/metrics`);
    const text = await res.body.text();
    return Number(/^assay_admission_tag_lookups_late_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  }

  pool = new Pool(`https://127.0.0.1:${webhookPort}`, {
    connections: LARGE_CONCURRENCY + 2,
    keepAliveTimeout: 60_000,
    bodyTimeout: 30_000,
    headersTimeout: 30_000,
    connect: { ca: tls.ca, servername: 'localhost' },
  });
  let uid = 0;
  let answerMax = 0;
  /** One review; its answer time in ms (from the request's send to the whole answer read). */
  async function review(images: string[]): Promise<number> {
    const body = JSON.stringify(podReview(`r-${++uid}`, 'bench', images));
    const t0 = performance.now();
    const res = await pool!.request({ path: '/validate', method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.body.text();
    const ms = performance.now() - t0;
    if (res.statusCode !== 200) throw new Error(`review of ${images.length} images: HTTP ${res.statusCode}: ${text.slice(0, 500)}`);
    const answer = JSON.parse(text) as { response: { allowed: boolean; status?: { message: string } } };
    // Unknown tags under blockUnregistered: refused, and said why (capped: a few lines, then a count).
    if (images[0]!.startsWith(registry.host) && answer.response.allowed) throw new Error('a review of unknown tags was allowed');
    if (!images[0]!.startsWith(registry.host) && !answer.response.allowed) {
      throw new Error(`a review of known images was refused: ${answer.response.status?.message.slice(0, 500)}`);
    }
    answerMax = Math.max(answerMax, text.length);
    return ms;
  }
  let seq = 0;
  const unknownImages = (n: number) => Array.from({ length: n }, () => `${registry.host}/bench/app-${++seq}:v1`);

  interface SizeResult {
    times: number[];
    late: number;
  }
  async function run(n: number, reviews: number, concurrency: number, images: () => string[]): Promise<SizeResult> {
    const lateBefore = await lateLookups();
    const times: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < reviews) {
          next++;
          times.push(await review(images()));
        }
      }),
    );
    times.sort((a, b) => a - b);
    const late = (await lateLookups()) - lateBefore;
    log(
      `${reviews} reviews of ${n} images (${concurrency} at once): p50 ${quantile(times, 0.5).toFixed(0)} ms, p99 ${quantile(times, 0.99).toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms; ${late} not resolved in time`,
    );
    return { times, late };
  }

  // Warm-up: JIT, connections.
  for (let i = 0; i < 5; i++) await review(known.slice(0, 100));

  const knownResults = new Map<number, SizeResult>();
  for (const n of [1, 100, LARGE]) {
    let k = 0;
    const slice = () => {
      const from = (k++ * n) % (LARGE - n + 1);
      return known.slice(from, from + n);
    };
    // As many at once as the unknown-tag reviews of the same size below.
    knownResults.set(n, await run(n, KNOWN_REVIEWS, n === LARGE ? LARGE_CONCURRENCY : 1, slice));
  }

  const worst = new Map<number, SizeResult>();
  worst.set(1, await run(1, SMALL_REVIEWS, 1, () => unknownImages(1)));
  worst.set(100, await run(100, MEDIUM_REVIEWS, 1, () => unknownImages(100)));
  log(`admission RSS before the 5,000-image reviews: ${rssMb(pid).rss.toFixed(0)} MB (${await heapMb()})`);
  let peakDuring = 0;
  const sampler = setInterval(() => (peakDuring = Math.max(peakDuring, rssMb(pid).rss)), 200);
  const t0 = performance.now();
  worst.set(LARGE, await run(LARGE, LARGE_REVIEWS, LARGE_CONCURRENCY, () => unknownImages(LARGE)));
  clearInterval(sampler);
  log(
    `${LARGE_REVIEWS} reviews of ${LARGE} in ${((performance.now() - t0) / 1000).toFixed(1)} s; registry got ${registry.requests} HEADs, at most ${registry.maxInFlight} at once`,
  );
  const after = rssMb(pid);
  log(
    `admission RSS after them: ${after.rss.toFixed(0)} MB (anonymous ${after.anon.toFixed(0)} MB, file ${after.file.toFixed(0)} MB; peak sampled ${peakDuring.toFixed(0)} MB, VmHWM ${after.peak.toFixed(0)} MB; ${await heapMb()}); ${logLines} log lines (${(logBytes / 1e6).toFixed(1)} MB)`,
  );

  if (HEAP_SNAPSHOT_DIR) {
    // Written synchronously by the process on the signal: done when it answers its health check again.
    child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 500));
    await request(`${health}/healthz`, { headersTimeout: 600_000 }).then((r) => r.body.dump());
    log(`heap snapshot of the admission process written to ${HEAP_SNAPSHOT_DIR}`);
  }

  const all = [...worst.values()].flatMap((r) => r.times);
  const within = all.filter((ms) => ms <= ANSWER_LIMIT_MS).length;
  log(`${within} of ${all.length} answers within ${ANSWER_LIMIT_MS} ms (lookup budget ${LOOKUP_BUDGET_MS} ms)`);
  const p99 = (r: SizeResult | undefined) => quantile(r!.times, 0.99).toFixed(0);
  const w5000 = worst.get(LARGE)!;
  console.log(
    [
      `worst_1_p99_ms=${p99(worst.get(1))}`,
      `worst_100_p99_ms=${p99(worst.get(100))}`,
      `worst_5000_p50_ms=${quantile(w5000.times, 0.5).toFixed(0)}`,
      `worst_5000_p99_ms=${p99(w5000)}`,
      `worst_5000_max_ms=${w5000.times.at(-1)!.toFixed(0)}`,
      `within_budget=${within === all.length ? 1 : 0}`,
      `unresolved_5000=${(w5000.late / LARGE_REVIEWS).toFixed(0)}`,
      `rss_after_100_mb=${after.rss.toFixed(0)}`,
      `rss_anon_after_100_mb=${after.anon.toFixed(0)}`,
      `answer_max_kb=${(answerMax / 1024).toFixed(1)}`,
      `rss_peak_mb=${Math.max(peakDuring, after.peak).toFixed(0)}`,
      `known_1_p99_ms=${p99(knownResults.get(1))}`,
      `known_100_p99_ms=${p99(knownResults.get(100))}`,
      `known_5000_p99_ms=${p99(knownResults.get(LARGE))}`,
    ].join(' '),
  );
} finally {
  await pool?.close();
  stopping = true;
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await admin.close();
  await registry.close();
  await nats.close();
  await tls.remove();
}
