// Running-workload reports of the policy service, against the Kubernetes API stand-in (real NATS,
// the service as it runs): the test plays the registry-watcher and writes RunningImage values
// into the running bucket itself; verdicts come from scans judged by the service. Asserts the
// OpenReports Report and wgpolicyk8s.io PolicyReport of a namespace (one result per workload x
// failing control, a pass per compliant workload, the summary, no CVE list), their update when a
// verdict flips, no write when nothing changed, the gauge, the audit event once per turn to
// non-compliant, and the size of the reports for 1,000 pods across 50 namespaces.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AuditEventSchema, Buckets, Compliance, digestBucketKey, RunningImageSchema, Streams, Topics } from '@assay/proto';
import type { KubeObject } from '@assay/kube';
import type { KV } from 'nats';
import { reportContent, type RunningWorkloadState } from '../../services/policy/src/running/report-results.ts';
import { reportObject } from '../../services/policy/src/running/report-objects.ts';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { startHarness, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const KUBE_TOKEN = 'kube-token-0123456789';

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Result = Record<string, any>;
const results = (o: KubeObject | undefined): Result[] => (o?.results as Result[] | undefined) ?? [];

describe('policy: running-workload reports', () => {
  let standin: KubeApiStandin;
  let h: Harness;
  let running: KV;
  const bad = sha('running-bad');
  const good = sha('running-good');
  const flip = sha('running-flip');
  const criticals = Array.from({ length: 30 }, (_, i) => vuln(`CVE-2025-${String(10000 + i)}`, 'critical'));

  const getReport = (plural: string, ns: string) =>
    standin.objects(plural).find((o: any) => o.metadata.name === `assay-${ns}` && o.metadata.namespace === ns) as KubeObject | undefined;
  const putRunning = async (digest: string, workloads: Array<{ namespace: string; kind: string; name: string; pods: number }>) => {
    const value = create(RunningImageSchema, {
      digest,
      image: { registry: 'registry.example.com', repository: 'team-a/api', tag: '1.0', digest },
      workloads: workloads.map((w) => ({ ...w, containers: ['app'], specImage: 'registry.example.com/team-a/api:1.0' })),
    });
    await running.put(digestBucketKey(digest), toBinary(RunningImageSchema, value));
  };
  const metric = async (ns: string, control: string) => {
    const text = await h.svc.metrics.text();
    const m = new RegExp(
      `^assay_running_noncompliant_workloads\\{[^}]*namespace="${ns}"[^}]*control="${control}"[^}]*\\} (\\d+)$`,
      'm',
    ).exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const runningAudits = async (digest: string) => {
    const jsm = await h.admin.nc.jetstreamManager();
    const info = await jsm.streams.info(Streams.audit.name);
    const out = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(Streams.audit.name, { seq }).catch(() => undefined);
      if (!m || m.subject !== Topics.auditPolicy.subject) continue;
      const ev = fromBinary(AuditEventSchema, m.data);
      if (ev.event.case === 'runningNonCompliant' && ev.event.value.image?.digest === digest) out.push(ev.event.value);
    }
    return out;
  };

  before(async () => {
    const dir = await makeTempDir('running-reports');
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, KUBE_TOKEN);
    standin = await KubeApiStandin.start({ token: KUBE_TOKEN });
    for (const ns of ['team-a', ...Array.from({ length: 50 }, (_, i) => `ns-${i}`)]) standin.createNamespace(ns);
    h = await startHarness({
      POLICY_KUBERNETES: 'true',
      POLICY_KUBE_API_URL: standin.url,
      POLICY_KUBE_TOKEN_FILE: tokenFile,
      POLICY_REPORTS_FORMAT: 'openreports,wgpolicyk8s',
      POLICY_REPORTS_DEBOUNCE: '100',
    });
    running = await h.admin.js.views.kv(Buckets.running.name, { bindOnly: true });
    const policy = (action: string, maxSeverity: string) => ({
      name: `${action} ${maxSeverity}`,
      enabled: true,
      action,
      scope: { registries: ['registry.example.com'] },
      controls: { vulnerabilities: { maxSeverity } },
    });
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'no-criticals', document: policy('block', 'high') })).status, 201);
    const image = { registry: 'registry.example.com', repository: 'team-a/api' };
    await h.storeAndAnnounce(report({ vulnerabilities: criticals }, { ...image, digest: bad }));
    await h.storeAndAnnounce(report({ vulnerabilities: [] }, { ...image, digest: good }));
    await h.storeAndAnnounce(report({ vulnerabilities: [] }, { ...image, digest: flip }));
    await h.waitVerdict(bad, (v) => v.compliance === Compliance.NON_COMPLIANT);
    await h.waitVerdict(good, (v) => v.compliance === Compliance.COMPLIANT);
    await h.waitVerdict(flip, (v) => v.compliance === Compliance.COMPLIANT);
  });
  after(async () => {
    await h?.close();
    await standin?.close();
  });

  it('a namespace report: a fail per workload x failing control, a pass per compliant workload, the summary, no CVE list; both formats', async () => {
    await putRunning(bad, [{ namespace: 'team-a', kind: 'Deployment', name: 'api', pods: 2 }]);
    await putRunning(good, [{ namespace: 'team-a', kind: 'Deployment', name: 'web', pods: 1 }]);
    await putRunning(flip, [{ namespace: 'team-a', kind: 'StatefulSet', name: 'db', pods: 1 }]);
    const rep = await waitFor('the team-a Report', () =>
      results(getReport('reports', 'team-a')).length === 3 ? getReport('reports', 'team-a') : undefined,
    );
    assert.equal(rep.apiVersion, 'openreports.io/v1alpha1');
    assert.equal(rep.kind, 'Report');
    assert.deepEqual(rep.summary, { pass: 2, fail: 1, warn: 0, error: 0, skip: 0 });
    const [fail, ...passes] = results(rep);
    assert.equal(fail!.result, 'fail');
    assert.equal(fail!.policy, 'no-criticals');
    assert.equal(fail!.rule, 'vulnerabilities');
    assert.equal(fail!.severity, 'critical');
    assert.equal(fail!.source, 'assay');
    // OpenReports' CRD names the field `resources` (its Go field is Subjects): `subjects` would be pruned.
    assert.deepEqual(fail!.resources, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'team-a' }]);
    assert.equal(fail!.subjects, undefined);
    assert.equal(fail!.properties.digest, bad);
    assert.equal(fail!.properties.report, `/api/v1/verdicts/${bad}`);
    assert.equal(fail!.properties.image, 'registry.example.com/team-a/api:1.0');
    assert.ok(fail!.message.length <= 200, fail!.message);
    assert.ok((fail!.message.match(/CVE-/g) ?? []).length <= 1, `a CVE list in: ${fail!.message}`);
    assert.match(fail!.message, /30 findings/);
    assert.deepEqual(passes.map((r) => [r.result, r.resources[0].kind, r.resources[0].name]).sort(), [
      ['pass', 'Deployment', 'web'],
      ['pass', 'StatefulSet', 'db'],
    ]);
    // The whole object carries one advisory id at most.
    assert.ok((JSON.stringify(rep).match(/CVE-/g) ?? []).length <= 1);
    const pr = await waitFor('the team-a PolicyReport', () => getReport('policyreports', 'team-a'));
    assert.equal(pr.apiVersion, 'wgpolicyk8s.io/v1alpha2');
    assert.deepEqual(pr.summary, rep.summary);
    assert.deepEqual(results(pr)[0]!.resources, fail!.resources);
    assert.equal(results(pr)[0]!.subjects, undefined);
    assert.equal(await metric('team-a', 'vulnerabilities'), 1);
  });

  it('nothing changed: no write; a verdict flip: the report, the gauge and one audit event per turn', async () => {
    await h.api.running!.idle();
    const before = { ...standin.counters };
    // The registry-watcher writing the same value again (a new revision): recomputed, not written.
    await putRunning(good, [{ namespace: 'team-a', kind: 'Deployment', name: 'web', pods: 1 }]);
    await new Promise((r) => setTimeout(r, 300));
    await h.api.running!.idle();
    assert.equal(standin.counters.replaces, before.replaces);
    assert.equal(standin.counters.creates, before.creates);

    assert.equal((await runningAudits(flip)).length, 0);
    await h.storeAndAnnounce(
      report({ vulnerabilities: criticals.slice(0, 2) }, { registry: 'registry.example.com', repository: 'team-a/api', digest: flip }),
    );
    await h.waitVerdict(flip, (v) => v.compliance === Compliance.NON_COMPLIANT);
    const rep = await waitFor('db failing in the report', () => {
      const r = getReport('reports', 'team-a');
      return results(r).some((x) => x.result === 'fail' && x.resources[0].name === 'db') ? r : undefined;
    });
    assert.deepEqual(rep.summary, { pass: 1, fail: 2, warn: 0, error: 0, skip: 0 });
    // The Report is written first; the PolicyReport of the same recomputation may still be on its way.
    await waitFor('the PolicyReport too', () => {
      const r = getReport('policyreports', 'team-a');
      return results(r).some((x) => x.result === 'fail' && x.resources[0].name === 'db') ? r : undefined;
    });
    await h.api.running!.idle();
    assert.equal(standin.counters.replaces, before.replaces + 2, 'one replace per format');
    await waitFor('the gauge at 2', async () => ((await metric('team-a', 'vulnerabilities')) === 2 ? true : undefined));
    const audits = await waitFor('the audit event', async () => {
      const a = await runningAudits(flip);
      return a.length ? a : undefined;
    });
    assert.equal(audits.length, 1);
    assert.equal(audits[0]!.namespace, 'team-a');
    assert.equal(audits[0]!.workloadKind, 'StatefulSet');
    assert.equal(audits[0]!.workloadName, 'db');
    assert.equal(audits[0]!.compliance, Compliance.NON_COMPLIANT);
    assert.equal(audits[0]!.previous, Compliance.COMPLIANT);
    assert.deepEqual(audits[0]!.reasons[0]!.evidence, []);
    // Judged again, still non-compliant: no second event.
    await h.storeAndAnnounce(
      report({ vulnerabilities: criticals.slice(0, 3) }, { registry: 'registry.example.com', repository: 'team-a/api', digest: flip }),
    );
    await h.waitVerdict(flip, (v) => v.reasons[0]?.message.startsWith('3 ') === true);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await runningAudits(flip)).length, 1);

    // No longer running anywhere: the report is deleted and the gauge drops the namespace.
    await running.delete(digestBucketKey(flip));
    await running.delete(digestBucketKey(bad));
    await running.delete(digestBucketKey(good));
    await waitFor('the report deleted', () => (getReport('reports', 'team-a') ? undefined : true));
    assert.equal(await metric('team-a', 'vulnerabilities'), undefined);
  });

  it('1,000 pods across 50 namespaces: a report per namespace, each well under 1 MiB; one namespace with 1,500 workloads keeps 1,000 results', async (t) => {
    const workloads = Array.from({ length: 1000 }, (_, i) => ({
      namespace: `ns-${i % 50}`,
      kind: 'Deployment',
      name: `app-${i}`,
      pods: 1,
    }));
    await putRunning(bad, workloads);
    const reports = await waitFor(
      '50 reports',
      () => {
        const all = standin.objects('reports').filter((o: any) => /^assay-ns-\d+$/.test(o.metadata.name));
        return all.length === 50 && all.every((o: any) => results(o).length === 20) ? all : undefined;
      },
      30_000,
    );
    const sizes = reports.map((o) => Buffer.byteLength(JSON.stringify(o)));
    const max = Math.max(...sizes);
    t.diagnostic(
      `1,000 pods across 50 namespaces: 50 reports, ${Math.round(sizes.reduce((a, b) => a + b, 0) / 50)} bytes each on average, ${max} at most`,
    );
    assert.ok(max < 1024 * 1024);
    assert.equal(await metric('ns-7', 'vulnerabilities'), 20);

    // Bounded: failures kept first, the rest counted.
    const verdict = (await h.verdict(bad))!.verdict;
    const many: RunningWorkloadState[] = Array.from({ length: 1500 }, (_, i) => ({
      namespace: 'big',
      kind: 'Deployment',
      name: `app-${i}`,
      pods: 3,
      digest: bad,
      image: 'registry.example.com/team-a/api:1.0',
      verdict,
    }));
    const content = reportContent(many, { link: (d) => `/api/v1/reports/${d}`, maxResults: 1000 });
    const obj = reportObject('openreports', 'big', content);
    const bytes = Buffer.byteLength(JSON.stringify(obj));
    t.diagnostic(`one namespace with 1,500 failing workloads: ${(obj.results as unknown[]).length} results kept, ${bytes} bytes`);
    assert.equal((obj.results as unknown[]).length, 1000);
    assert.equal(obj.metadata.annotations?.['assay.dev/results-omitted'], '500');
    assert.equal((obj.summary as Record<string, number>).fail, 1500);
    assert.ok(bytes < 1024 * 1024);
  });
});
