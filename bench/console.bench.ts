// The console's Images page at 50,000 images: the verdicts bucket of a real nats-server filled
// with 50,000 verdicts (pipelined puts), the policy service started on it (in-process, SQLite
// store holding one large report), a console session signed in; then 200 sequential requests
// each of the first page, a filtered page (verdict + repository glob), a search (another text
// each time, so nothing is a cached answer) and a deep page (a continue token 25,000 images in),
// timed from request to the last byte on a keep-alive connection over loopback (so: the
// server's time plus a loopback round trip). Baseline in the same run: GET /api/v1/verdicts
// with the same filters and page (JSON of the same 50 summaries). Also the bytes of the Images
// page and of an image page with 2,000 vulnerabilities, and the Overview's time.
// Last line: name=value pairs.
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { connectBus, provisionTopology } from '@assay/bus';
import { policyService, policyTopology } from '@assay/policy';
import { Buckets, Compliance, digestBucketKey, VerdictSchema } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { openStore } from '@assay/store';
import type { ScanReport } from '@assay/domain';
import { startNatsServer } from '../test/support/nats-server.ts';
import { makeTempDir } from '../test/support/tempdir.ts';
import { report, sha, vuln } from '../test/policy/fixtures.ts';
import { ConsoleClient } from '../test/console/client.ts';

const N = Number(process.env.BENCH_IMAGES ?? 50_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const TOKEN = 'bench-console-token-0123456789';
const REGISTRY = 'registry.example.com';
const SEV = ['critical', 'high', 'medium', 'low'] as const;
const COMPLIANCES = [Compliance.COMPLIANT, Compliance.NON_COMPLIANT, Compliance.NON_COMPLIANT, Compliance.PENDING, Compliance.ERROR];
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** A verdict as the service writes them: three reasons with bounded evidence for a non-compliant image. */
function verdictOf(i: number, at: number): Uint8Array {
  const compliance = COMPLIANCES[i % COMPLIANCES.length]!;
  const digest = sha(`console-bench-${i}`);
  const reasons =
    compliance === Compliance.NON_COMPLIANT
      ? [
          {
            policy: 'baseline',
            control: 'vulnerabilities',
            severity: 'critical',
            message: `3 findings: CVE-2024-${i % 97} in openssl 3.0.11 (critical, CVSS 9.8), fixed in 3.0.12; CVE-2023-${i % 89} in zlib 1.2.13 (high)`,
            remediation: 'upgrade openssl to 3.0.12 or later',
            evidence: [`CVE-2024-${i % 97}`, `CVE-2023-${i % 89}`, `CVE-2022-${i % 13}`].map((item) => ({
              item,
              fields: { package: 'openssl', version: '3.0.11', fixedVersion: '3.0.12', severity: 'critical' },
            })),
          },
          ...(i % 3 === 0
            ? [
                {
                  policy: 'baseline',
                  control: 'sensitiveData',
                  severity: 'high',
                  message: '1 finding: private-key at /etc/ssl/private/a.key',
                },
              ]
            : []),
          { policy: 'licence-watch', control: 'licences', severity: 'low', auditOnly: true, message: 'GPL-3.0-only in bash' },
        ]
      : compliance === Compliance.ERROR
        ? [{ policy: '', control: 'scan', message: 'the scan failed: manifest unknown' }]
        : [];
  return toBinary(
    VerdictSchema,
    create(VerdictSchema, {
      image: { registry: REGISTRY, repository: `team-${i % 50}/app-${i % 2000}`, tag: `v${i % 7}.${i % 11}`, digest },
      compliance,
      evaluatedAt: timestampFromDate(new Date(at - i * 1000)),
      scannedAt: timestampFromDate(new Date(at - i * 1000 - 5000)),
      policies: [
        { id: 'baseline', version: 3 },
        { id: 'licence-watch', version: 1 },
      ],
      reasons,
      vulnDbVersion: 'bench',
    }),
  );
}

const big: ScanReport = report(
  {
    vulnerabilities: Array.from({ length: 2000 }, (_, i) =>
      vuln(`CVE-2023-${10000 + i}`, SEV[i % 4]!, { cvss: (i % 100) / 10, title: `advisory ${i} ${'x'.repeat(80)}` }),
    ),
    layers: Array.from({ length: 30 }, (_, i) => ({ digest: sha(`bench-layer-${i}`), size: i * 1_000_000, createdBy: `RUN step ${i}` })),
  } as Partial<ScanReport>,
  { digest: sha('console-bench-big'), repository: 'team-0/big' },
);

async function timed(c: ConsoleClient, path: string, headers?: Record<string, string>): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  const r = await c.get(path, headers);
  const ms = performance.now() - t;
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text.slice(0, 200)}`);
  return { ms, bytes: Buffer.byteLength(r.text) };
}

/** `path` (or the path of each request, by its number) REQUESTS times, after a warm-up. */
async function measure(c: ConsoleClient, path: string | ((i: number) => string), headers?: Record<string, string>) {
  const at = typeof path === 'string' ? () => path : path;
  for (let i = 0; i < 10; i++) await timed(c, at(REQUESTS + i), headers); // warm-up: connection, JIT
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const r = await timed(c, at(i), headers);
    ms.push(r.ms);
    bytes = r.bytes;
  }
  ms.sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), bytes };
}

const dir = await makeTempDir('console-bench');
const nats = await startNatsServer();
const bus = await connectBus({ servers: nats.url, name: 'console-bench' });
const sqlite = join(dir.path, 'assay.db');
const svc = createService(policyService, {
  env: { NATS_URL: nats.url, HTTP_PORT: '0', LOG_LEVEL: 'warn', SQLITE_PATH: sqlite, POLICY_API_TOKEN: TOKEN, METRICS_DEFAULT: 'false' },
});
const started = performance.now();
try {
  await provisionTopology(await bus.jetstreamManager(), policyTopology);
  const kv = await bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
  let t0 = performance.now();
  const now = Date.now();
  const WINDOW = 1000;
  for (let i = 0; i < N; i += WINDOW) {
    const batch: Promise<number>[] = [];
    for (let j = i; j < Math.min(N, i + WINDOW); j++) batch.push(kv.put(digestBucketKey(sha(`console-bench-${j}`)), verdictOf(j, now)));
    await Promise.all(batch);
  }
  log(`put ${N} verdicts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const seed = await openStore({ SQLITE_PATH: sqlite });
  await seed.reports.put(big);
  await seed.close();

  t0 = performance.now();
  await svc.start();
  await svc.ready({ timeoutMs: 60_000 });
  while (svc.api!.verdicts!.size < N) await new Promise((r) => setTimeout(r, 50));
  log(`policy service ready with ${svc.api!.verdicts!.size} verdicts mirrored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const c = new ConsoleClient(svc.address!);
  await c.signIn(TOKEN);
  const api = { authorization: `Bearer ${TOKEN}` };
  // A continue token 25,000 images in, from the API's own pages.
  let deep = '';
  for (let k = 0; k < Math.floor(N / 2 / 500); k++) {
    const r = await c.get(`/api/v1/verdicts?limit=500${deep ? `&continue=${encodeURIComponent(deep)}` : ''}`, api);
    deep = (JSON.parse(r.text) as { continue: string }).continue;
  }
  // Each search looks for another text, so neither its page nor its count is a cached answer.
  const scenarios: Record<string, (i: number) => string> = {
    first: () => '',
    filtered: () => `compliance=non_compliant&repository=${encodeURIComponent(`${REGISTRY}/team-1*/**`)}`,
    search: (i) => `q=app-${1000 + (i % 997)}`,
    deep: () => `continue=${encodeURIComponent(deep)}`,
  };
  const results: Record<string, { console: Awaited<ReturnType<typeof measure>>; api: Awaited<ReturnType<typeof measure>> }> = {};
  for (const [name, qs] of Object.entries(scenarios)) {
    const consoleRun = await measure(c, (i) => `/console/images${qs(i) ? `?${qs(i)}` : ''}`);
    const apiRun = await measure(c, (i) => `/api/v1/verdicts${qs(i) ? `?${qs(i)}` : ''}`, api);
    results[name] = { console: consoleRun, api: apiRun };
    log(
      `${name.padEnd(8)} console p50 ${consoleRun.p50.toFixed(1)} ms p99 ${consoleRun.p99.toFixed(1)} ms ${(consoleRun.bytes / 1024).toFixed(0)} KB` +
        ` | api p50 ${apiRun.p50.toFixed(1)} ms p99 ${apiRun.p99.toFixed(1)} ms ${(apiRun.bytes / 1024).toFixed(0)} KB`,
    );
  }
  // In process, for the record: the verdict list itself per request (no HTTP, no HTML); counts
  // of a filter not asked before (a count is cached by filter until a verdict changes).
  const list = svc.api!.verdicts!;
  const inProcess = (f: (i: number) => unknown) => {
    const ms: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      f(i);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    return quantile(ms, 0.5).toFixed(2);
  };
  log(
    `in process p50: first page ${inProcess(() => list.list({}, 50))} ms, deep page ${inProcess(() => list.list({}, 50, deep))} ms, ` +
      `previous ${inProcess(() => list.previous({}, 50, deep))} ms, new count by verdict+glob ` +
      `${inProcess((i) => list.count({ compliance: 'non_compliant', repository: `${REGISTRY}/team-${i}*/**` }))} ms, ` +
      `new count by text ${inProcess((i) => list.count({ q: `app-${i}-` }))} ms`,
  );
  const image = await measure(c, `/console/images/${big.image.digest}`);
  const overview = await measure(c, '/console/');
  log(`image page p50 ${image.p50.toFixed(1)} ms ${(image.bytes / 1024).toFixed(0)} KB; overview p50 ${overview.p50.toFixed(1)} ms`);
  log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const all = Object.values(results);
  const worst = (f: (r: (typeof all)[number]) => number) => Math.max(...all.map(f));
  const fmt = (n: number) => n.toFixed(1);
  // Last line: the figures (worst scenario for the page; each scenario's p50), baseline beside them.
  console.log(
    [
      `console_images_p50_ms=${fmt(worst((r) => r.console.p50))}`,
      `console_images_p99_ms=${fmt(worst((r) => r.console.p99))}`,
      `api_verdicts_p50_ms=${fmt(worst((r) => r.api.p50))}`,
      `api_verdicts_p99_ms=${fmt(worst((r) => r.api.p99))}`,
      ...Object.entries(results).map(
        ([k, r]) => `console_images_${k}_p50_ms=${fmt(r.console.p50)} api_verdicts_${k}_p50_ms=${fmt(r.api.p50)}`,
      ),
      `overview_p50_ms=${fmt(overview.p50)}`,
      `image_page_p50_ms=${fmt(image.p50)}`,
      `images_page_kb=${(results.first!.console.bytes / 1024).toFixed(0)}`,
      `image_page_kb=${(image.bytes / 1024).toFixed(0)}`,
    ].join(' '),
  );
} finally {
  await bus.close();
  await svc.stop();
  await nats.close();
  await dir.remove();
}
