// The console's Overview on the real policy service with its Kubernetes integration (against the
// Kubernetes API stand-in): the counts by verdict, each linking to the filtered Images page; the
// controls and CVEs failing the most images; the latest denials from the decision log (an empty
// log says so); the workloads running a non-compliant image.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Buckets, Compliance, digestBucketKey, RunningImageSchema, VerdictSchema } from '@assay/proto';
import type { ImageAssurancePolicy, ScanReport } from '@assay/domain';
import type { KV } from 'nats';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { admissionAudit, admissionEvent } from '../policy/admission-decisions.ts';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { report, sha, vuln } from '../policy/fixtures.ts';
import { ConsoleClient } from './client.ts';

const KUBE_TOKEN = 'kube-token-0123456789';
const REGISTRY = 'registry.example.com';
const KEYED = sha('overview-keyed');
const VULNERABLE = sha('overview-vulnerable');
const CLEAN = sha('overview-clean');

const policy: ImageAssurancePolicy = {
  name: 'baseline',
  enabled: true,
  action: 'block',
  scope: { registries: [REGISTRY] },
  controls: { vulnerabilities: { maxSeverity: 'high' }, sensitiveData: { block: true } },
};

async function until(pred: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The number a card shows, by its label. */
const card = (page: string, label: string) => {
  const m = new RegExp(`<li class="card">\\s*<a href="([^"]+)"><span class="n">([\\d,]+)</span> ${label}</a>`).exec(page);
  return m ? { href: m[1]!.replaceAll('&amp;', '&'), n: Number(m[2]!.replace(/,/g, '')) } : undefined;
};

describe('console: overview', () => {
  let standin: KubeApiStandin;
  let h: Harness;
  let running: KV;
  let c: ConsoleClient;

  before(async () => {
    const dir = await makeTempDir('console-overview');
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, KUBE_TOKEN);
    standin = await KubeApiStandin.start({ token: KUBE_TOKEN });
    for (const ns of ['shop', 'jobs']) standin.createNamespace(ns);
    h = await startHarness({
      POLICY_KUBERNETES: 'true',
      POLICY_KUBE_API_URL: standin.url,
      POLICY_KUBE_TOKEN_FILE: tokenFile,
      POLICY_REPORTS_DEBOUNCE: '100',
    });
    running = await h.admin.js.views.kv(Buckets.running.name, { bindOnly: true });
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'baseline', document: policy })).status, 201);
    const critical = vuln('CVE-2024-1111', 'critical');
    await h.storeAndAnnounce(
      report(
        {
          vulnerabilities: [critical, vuln('CVE-2024-3333', 'critical')],
          sensitiveData: [{ rule: 'private-key', severity: 'high', path: 'etc/key.pem', masked: '-----BEGIN PRIVATE KEY-----***' }],
        } as Partial<ScanReport>,
        { digest: KEYED, repository: 'team-a/api' },
      ),
    );
    await h.storeAndAnnounce(report({ vulnerabilities: [critical] }, { digest: VULNERABLE, repository: 'team-a/worker' }));
    await h.storeAndAnnounce(report({}, { digest: CLEAN, repository: 'team-b/web' }));
    // Two pending images and a failed scan, written as the service would.
    const write = async (seed: string, compliance: Compliance) => {
      const digest = sha(seed);
      const v = create(VerdictSchema, {
        image: { registry: REGISTRY, repository: 'team-c/other', digest },
        compliance,
        evaluatedAt: timestampFromDate(new Date()),
        reasons: compliance === Compliance.ERROR ? [{ control: 'scan', message: 'the scan failed: manifest unknown' }] : [],
      });
      await h.kv.put(digestBucketKey(digest), toBinary(VerdictSchema, v));
    };
    await write('overview-pending-1', Compliance.PENDING);
    await write('overview-pending-2', Compliance.PENDING);
    await write('overview-failed', Compliance.ERROR);
    for (const d of [KEYED, VULNERABLE]) await h.waitVerdict(d, (v) => v.compliance === Compliance.NON_COMPLIANT);
    await h.waitVerdict(CLEAN, (v) => v.compliance === Compliance.COMPLIANT);
    await until(() => h.api.verdicts!.size === 6);
    c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
  });
  after(async () => {
    await h?.close();
    await standin?.close();
  });

  it('counts images by verdict, each count linking to the Images page filtered to it', async () => {
    const r = await c.get('/console/');
    assert.equal(r.status, 200);
    assert.deepEqual(card(r.text, 'images known'), { href: '/console/images', n: 6 });
    assert.deepEqual(card(r.text, 'non-compliant'), { href: '/console/images?compliance=non_compliant', n: 2 });
    assert.deepEqual(card(r.text, 'compliant'), { href: '/console/images?compliance=compliant', n: 1 });
    assert.deepEqual(card(r.text, 'pending'), { href: '/console/images?compliance=pending', n: 2 });
    assert.deepEqual(card(r.text, 'scan failed'), { href: '/console/images?compliance=error', n: 1 });
    const list = await c.get(card(r.text, 'non-compliant')!.href);
    assert.match(list.text, /2 images match/);
    const failed = await c.get(card(r.text, 'scan failed')!.href);
    assert.match(failed.text, /1 image matches/);
    assert.match(failed.text, /<strong>scan<\/strong>: the scan failed: manifest unknown/);
  });

  it('lists the controls and CVEs failing the most images, linking to those images', async () => {
    const r = await c.get('/console/');
    const controls = /<caption>\s*Controls failing the most images[\s\S]*?<\/table>/.exec(r.text)![0];
    const rows = [...controls.matchAll(/<a href="([^"]+)">([^<]+)<\/a><\/th>\s*<td class="num">(\d+)<\/td>/g)].map((m) => [
      m[2],
      Number(m[3]),
      m[1]!.replaceAll('&amp;', '&'),
    ]);
    assert.deepEqual(rows, [
      ['vulnerabilities', 2, '/console/images?compliance=non_compliant&control=vulnerabilities'],
      ['sensitiveData', 1, '/console/images?compliance=non_compliant&control=sensitiveData'],
    ]);
    const cves = /<caption>\s*Vulnerabilities in the most non-compliant images[\s\S]*?<\/table>/.exec(r.text)![0];
    const first = /<a href="([^"]+)">(CVE-[^<]+)<\/a><\/th>\s*<td class="num">(\d+)<\/td>/.exec(cves)!;
    assert.equal(first[2], 'CVE-2024-1111');
    assert.equal(first[3], '2');
    const search = await c.get(first[1]!.replaceAll('&amp;', '&'));
    assert.match(search.text, /2 images match/);
    assert.ok(search.text.includes('team-a/worker</a>') && search.text.includes('team-a/api</a>'));
    const keyed = await c.get('/console/images?compliance=non_compliant&control=sensitiveData');
    assert.match(keyed.text, /1 image matches/);
  });

  it('shows the latest denials from the decision log, and says when there are none', async () => {
    const before = await c.get('/console/');
    assert.match(before.text, /<h2>Recent denials<\/h2>\s*<p>No decisions recorded\.<\/p>/);
    await admissionAudit(h.admin).publish([
      admissionEvent({
        name: 'api-7f9c',
        namespace: 'shop',
        compliance: Compliance.NON_COMPLIANT,
        image: 'registry.example.com/team-a/api:2.0',
      }),
      admissionEvent({ name: 'web-1', namespace: 'shop' }),
    ]);
    await until(() => (h.api.decisions?.size ?? 0) >= 2);
    const r = await c.get('/console/');
    const denials = /<caption>\s*The latest denied admission requests[\s\S]*?<\/table>/.exec(r.text)?.[0] ?? '';
    assert.match(denials, /Pod <strong>shop\/api-7f9c<\/strong>/);
    assert.match(denials, /registry\.example\.com\/team-a\/api:2\.0/);
    assert.ok(!denials.includes('web-1'), 'an allowed request is not a denial');
  });

  it('lists the workloads running a non-compliant image, with their failing controls', async () => {
    const put = async (
      digest: string,
      repository: string,
      workloads: Array<{ namespace: string; kind: string; name: string; pods: number }>,
    ) => {
      const value = create(RunningImageSchema, {
        digest,
        image: { registry: REGISTRY, repository, tag: '1.0', digest },
        workloads: workloads.map((w) => ({ ...w, containers: ['app'], specImage: `${REGISTRY}/${repository}:1.0` })),
      });
      await running.put(digestBucketKey(digest), toBinary(RunningImageSchema, value));
    };
    await put(KEYED, 'team-a/api', [{ namespace: 'shop', kind: 'Deployment', name: 'api', pods: 3 }]);
    await put(CLEAN, 'team-b/web', [{ namespace: 'shop', kind: 'Deployment', name: 'web', pods: 2 }]);
    await put(VULNERABLE, 'team-a/worker', [{ namespace: 'jobs', kind: 'CronJob', name: 'nightly', pods: 1 }]);
    let section = '';
    await until(async () => {
      const r = await c.get('/console/');
      section = /<h2>Running non-compliant workloads<\/h2>[\s\S]*?<\/table>/.exec(r.text)?.[0] ?? '';
      return section.includes('shop/api') && section.includes('jobs/nightly');
    });
    assert.match(section, /Deployment <strong>shop\/api<\/strong><\/th>\s*<td class="num">3<\/td>/);
    assert.ok(section.includes(`href="/console/images/${KEYED}"`));
    assert.match(section, /vulnerabilities, sensitiveData/);
    assert.ok(!section.includes('shop/web'), 'a compliant workload is not listed');
    // Namespaces in order: jobs before shop.
    assert.ok(section.indexOf('jobs/nightly') < section.indexOf('shop/api'));
  });
});
