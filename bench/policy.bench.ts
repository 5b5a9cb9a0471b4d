// Re-evaluation after a policy change: 10,000 small reports stored in the SQLite store, the
// policy service (in-process) on a real nats-server; a PUT of the policy that covers all of
// them, timed until the last of the 10,000 verdicts citing the new version is in the bucket.
// Baseline in the same run: pure in-memory evaluation of the same 10,000 reports (no store,
// no bus). Also timed: starting the service up to the end of its re-evaluation of every stored
// image at start (here it writes all 10,000 verdicts: none existed). Last line: name=value pairs.
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { connectBus } from '@assay/bus';
import { policyService } from '@assay/policy';
import { applicablePolicies, evaluateImage, verdictFromEvaluation, type PolicyRef } from '@assay/policy-engine';
import { Buckets, VerdictSchema } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { type ImageAssurancePolicy, type ScanReport } from '@assay/domain';
import { openStore } from '@assay/store';
import { startNatsServer } from '../test/support/nats-server.ts';
import { makeTempDir } from '../test/support/tempdir.ts';
import { report, sha, vuln } from '../test/policy/fixtures.ts';

const N = Number(process.env.BENCH_IMAGES ?? 10_000);
const TOKEN = 'bench-token';
const SEV = ['critical', 'high', 'medium', 'low'] as const;

const reports: ScanReport[] = Array.from({ length: N }, (_, i) =>
  report(
    {
      vulnerabilities: [
        vuln(`CVE-2024-${i % 97}`, SEV[i % 4]!),
        vuln(`CVE-2023-${i % 89}`, SEV[(i + 1) % 4]!, { packageName: 'lodash', packageVersion: '4.17.20', fixedVersion: '4.17.21' }),
      ],
    },
    { repository: `team-${i % 50}/app-${i}`, digest: sha(`bench-${i}`) },
  ),
);
const policy = (maxSeverity: 'critical' | 'high'): ImageAssurancePolicy => ({
  name: 'bench',
  enabled: true,
  action: 'block',
  scope: { registries: ['registry.example.com'] },
  controls: {
    vulnerabilities: { maxSeverity },
    sensitiveData: { block: true },
    malware: { block: true },
    config: { forbidRootUser: true },
  },
});

// ── baseline: in memory ──
const refs: PolicyRef[] = [{ id: 'bench', version: 2, policy: policy('high') }];
const t0 = performance.now();
let nonCompliant = 0;
for (const r of reports) {
  const now = new Date();
  const ps = applicablePolicies(r, refs);
  const e = evaluateImage(r, ps, [], now);
  verdictFromEvaluation(r, e, ps, now);
  if (!e.compliant) nonCompliant++;
}
const baseline = (performance.now() - t0) / 1000;

// ── the service ──
const dir = await makeTempDir('policy-bench');
const nats = await startNatsServer();
const sqlite = join(dir.path, 'assay.db');
const seed = await openStore({ SQLITE_PATH: sqlite });
const tStore = performance.now();
for (let i = 0; i < reports.length; i += 200) await Promise.all(reports.slice(i, i + 200).map((r) => seed.reports.put(r)));
await seed.policies.put('bench', policy('critical'), { expectedVersion: 0, by: 'bench' });
await seed.close();
console.log(`stored ${N} reports in ${((performance.now() - tStore) / 1000).toFixed(1)} s`);

const svc = createService(policyService, {
  env: { NATS_URL: nats.url, HTTP_PORT: '0', LOG_LEVEL: 'warn', SQLITE_PATH: sqlite, POLICY_API_TOKEN: TOKEN, METRICS_DEFAULT: 'false' },
});
const bus = await connectBus({ servers: nats.url, name: 'bench' });
try {
  const tStart = performance.now();
  await svc.start();
  await svc.ready({ timeoutMs: 60_000 });
  // The service re-evaluates every stored image once at start; measured, then out of the way.
  const caught = await svc.api!.engine.catchUp();
  const startCatchUp = (performance.now() - tStart) / 1000;
  console.log(`start and catch-up: ${caught.evaluated} images re-evaluated, ${caught.written} verdicts written`);
  const kv = await bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
  const done = new Set<string>();
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const watch = await kv.watch({ include: 'updates' as never });
  void (async () => {
    for await (const e of watch) {
      if (e.operation !== 'PUT') continue;
      const v = fromBinary(VerdictSchema, e.value);
      if (v.policies.some((p) => p.id === 'bench' && p.version === 2)) done.add(e.key);
      if (done.size === N) resolveAll();
    }
  })();

  const start = performance.now();
  const res = await fetch(`${svc.address}/api/v1/policies/bench`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'if-match': '1' },
    body: JSON.stringify({ document: policy('high') }),
  });
  if (res.status !== 200) throw new Error(`PUT answered ${res.status}: ${await res.text()}`);
  const timeout = setTimeout(() => {
    console.error(`timed out with ${done.size}/${N} verdicts`);
    process.exit(1);
  }, 110_000);
  await all;
  clearTimeout(timeout);
  const reevaluate = (performance.now() - start) / 1000;
  watch.stop();
  console.log(`${N} images, ${nonCompliant} non-compliant under the new version`);
  // Last line: the figures, baseline first (name=value pairs).
  console.log(
    `baseline_eval_10k_s=${baseline.toFixed(3)} reevaluate_10k_s=${reevaluate.toFixed(3)} start_and_catch_up_10k_s=${startCatchUp.toFixed(3)}`,
  );
} finally {
  await bus.close();
  await svc.stop();
  await nats.close();
  await dir.remove();
}
