// GET /api/v1/verdicts: verdict summaries, newest evaluation first, paged with a continue token
// that stays stable while verdicts change, filtered by compliance, repository glob and reference
// text; behind the API token. Also the list itself: the controls and vulnerability ids of each
// summary, counts, pages back, and the overview stats. Verdicts are written straight into the
// real verdicts bucket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Compliance, digestBucketKey, VerdictSchema } from '@assay/proto';
import { startHarness, type Harness } from './harness.ts';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const digestOf = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

async function put(
  h: Harness,
  i: number,
  repo: string,
  tag: string,
  compliance: Compliance,
  reasons = 0,
  at = T0 + i * 1000,
): Promise<void> {
  const digest = digestOf(i);
  const v = create(VerdictSchema, {
    image: { registry: 'registry.example.com', repository: repo, tag, digest },
    compliance,
    evaluatedAt: timestampFromDate(new Date(at)),
    scannedAt: timestampFromDate(new Date(T0 + i * 1000 - 500)),
    policies: [{ id: 'baseline', version: 3 }],
    reasons: Array.from({ length: reasons }, (_, k) => ({
      policy: 'baseline',
      control: 'vulnerabilities',
      message: `finding ${k} ${'x'.repeat(400)}`,
      evidence: [{ item: 'CVE-2024-0001', fields: { package: 'openssl' } }],
    })),
  });
  await h.kv.put(digestBucketKey(digest), toBinary(VerdictSchema, v));
}

async function until(pred: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('GET /api/v1/verdicts', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    // 1..12: team/web (odd: non-compliant with 4 reasons), 13..15: other/db pending.
    for (let i = 1; i <= 12; i++) {
      await put(h, i, 'team/web', `v${i}`, i % 2 ? Compliance.NON_COMPLIANT : Compliance.COMPLIANT, i % 2 ? 4 : 0);
    }
    for (let i = 13; i <= 15; i++) await put(h, i, 'other/db', 'latest', Compliance.PENDING);
    await until(async () => (await h.call('GET', '/api/v1/verdicts?limit=500')).json.items?.length === 15);
  });
  after(async () => {
    await h?.close();
  });

  it('refuses a caller without the token', async () => {
    assert.equal((await fetch(`${h.url}/api/v1/verdicts`)).status, 401);
    assert.equal((await fetch(`${h.url}/api/v1/verdicts`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  });

  it('lists summaries newest first, without the evidence, messages cut to 200 characters', async () => {
    const r = await h.call('GET', '/api/v1/verdicts');
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.json.items.map((i: { digest: string }) => i.digest),
      Array.from({ length: 15 }, (_, k) => digestOf(15 - k)),
    );
    const web11 = r.json.items.find((i: { digest: string }) => i.digest === digestOf(11));
    assert.equal(web11.compliance, 'non_compliant');
    assert.equal(web11.reference, `registry.example.com/team/web:v11@${digestOf(11)}`);
    assert.equal(web11.evaluatedAt, new Date(T0 + 11_000).toISOString());
    assert.equal(web11.scannedAt, new Date(T0 + 10_500).toISOString());
    assert.deepEqual(web11.policies, [{ id: 'baseline', version: 3 }]);
    assert.equal(web11.reasonCount, 4);
    assert.equal(web11.reasons.length, 3);
    assert.equal(web11.reasons[0].message.length, 200);
    assert.equal(web11.reasons[0].evidence, undefined);
    assert.equal(r.json.continue, undefined);
  });

  it('pages with a continue token, stable while a listed image is re-evaluated', async () => {
    const seen: string[] = [];
    let page = await h.call('GET', '/api/v1/verdicts?limit=4');
    assert.equal(page.json.items.length, 4);
    seen.push(...page.json.items.map((i: { digest: string }) => i.digest));
    // An image of the first page is re-evaluated (newest now): the next pages neither repeat nor skip.
    await put(h, 14, 'other/db', 'latest', Compliance.PENDING, 0, T0 + 100_000);
    await until(async () => (await h.call('GET', '/api/v1/verdicts?limit=1')).json.items[0].digest === digestOf(14));
    while (page.json.continue) {
      page = await h.call('GET', `/api/v1/verdicts?limit=4&continue=${encodeURIComponent(page.json.continue)}`);
      assert.equal(page.status, 200);
      seen.push(...page.json.items.map((i: { digest: string }) => i.digest));
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 15 }, (_, k) => digestOf(15 - k)),
    );
    // Now listed first.
    assert.equal((await h.call('GET', '/api/v1/verdicts?limit=2')).json.items[0].digest, digestOf(14));
    await put(h, 14, 'other/db', 'latest', Compliance.PENDING);
    await until(async () => (await h.call('GET', '/api/v1/verdicts?limit=1')).json.items[0].digest === digestOf(15));
  });

  it('filters by compliance, repository glob and reference text', async () => {
    const nc = await h.call('GET', '/api/v1/verdicts?compliance=non_compliant');
    assert.deepEqual(
      nc.json.items.map((i: { digest: string }) => i.digest),
      [11, 9, 7, 5, 3, 1].map(digestOf),
    );
    const db = await h.call('GET', `/api/v1/verdicts?repository=${encodeURIComponent('registry.example.com/other/*')}`);
    assert.deepEqual(
      db.json.items.map((i: { image: { repository: string } }) => i.image.repository),
      ['other/db', 'other/db', 'other/db'],
    );
    const none = await h.call('GET', `/api/v1/verdicts?repository=${encodeURIComponent('elsewhere.io/**')}`);
    assert.deepEqual(none.json.items, []);
    const q = await h.call('GET', '/api/v1/verdicts?q=WEB:V1');
    assert.deepEqual(
      q.json.items.map((i: { image: { tag: string } }) => i.image.tag),
      ['v12', 'v11', 'v10', 'v1'],
    );
  });

  it('refuses bad input clearly', async () => {
    assert.equal((await h.call('GET', '/api/v1/verdicts?limit=501')).status, 400);
    assert.equal((await h.call('GET', '/api/v1/verdicts?compliance=green')).status, 400);
    const bad = await h.call('GET', '/api/v1/verdicts?continue=not-a-token');
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /continue token/);
  });

  it('is in the OpenAPI document', async () => {
    const r = await fetch(`${h.url}/openapi.json`);
    const doc = (await r.json()) as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> };
    const names = (doc.paths['/api/v1/verdicts']?.get?.parameters ?? []).map((p) => p.name).sort();
    assert.deepEqual(names, ['compliance', 'continue', 'limit', 'q', 'repository']);
  });
});

describe('VerdictList: controls, vulnerability ids, counts and stats', () => {
  let h: Harness;
  const putVerdict = async (
    i: number,
    compliance: Compliance,
    reasons: { control: string; items?: string[]; auditOnly?: boolean }[],
    repo = 'team/stats',
    at = i,
  ) => {
    const digest = digestOf(1000 + i);
    const v = create(VerdictSchema, {
      image: { registry: 'registry.example.com', repository: repo, tag: `s${i}`, digest },
      compliance,
      evaluatedAt: timestampFromDate(new Date(T0 + at * 1000)),
      policies: [{ id: 'baseline', version: 1 }],
      reasons: reasons.map((r) => ({
        policy: 'baseline',
        control: r.control,
        message: `${r.control} failed`,
        auditOnly: r.auditOnly ?? false,
        evidence: (r.items ?? []).map((item) => ({ item, fields: { package: 'openssl' } })),
      })),
    });
    await h.kv.put(digestBucketKey(digest), toBinary(VerdictSchema, v));
  };
  const list = () => h.api.verdicts!;
  const waitSize = (n: number) => until(async () => list().size === n);

  before(async () => {
    h = await startHarness();
    const many = Array.from({ length: 30 }, (_, k) => `CVE-2024-${1000 + k}`);
    // 1: many vulnerabilities (ids kept distinct, at most 20) and a malware reason.
    await putVerdict(1, Compliance.NON_COMPLIANT, [
      { control: 'vulnerabilities', items: ['CVE-2024-0001', 'CVE-2024-0001', ...many] },
      { control: 'malware', items: ['eicar'] },
    ]);
    // 2: one vulnerability; an audit-only sensitiveData reason counts for nothing.
    await putVerdict(2, Compliance.NON_COMPLIANT, [
      { control: 'vulnerabilities', items: ['CVE-2024-0001'] },
      { control: 'sensitiveData', items: ['private-key'], auditOnly: true },
    ]);
    // 3: compliant with an audit-only vulnerability: neither a control nor an id.
    await putVerdict(3, Compliance.COMPLIANT, [{ control: 'vulnerabilities', items: ['CVE-2024-9999'], auditOnly: true }]);
    await putVerdict(4, Compliance.PENDING, [], 'other/pending');
    await putVerdict(5, Compliance.ERROR, [{ control: 'scan', items: [] }], 'other/failed');
    await waitSize(5);
  });
  after(async () => {
    await h?.close();
  });

  it('keeps the blocking controls and at most 20 distinct vulnerability ids per summary', () => {
    const all = list().list({}, 10).items;
    const one = all.find((s) => s.digest === digestOf(1001))!;
    assert.deepEqual(one.controls, ['vulnerabilities', 'malware']);
    assert.equal(one.vulnerabilityIds.length, 20);
    assert.equal(new Set(one.vulnerabilityIds).size, 20);
    assert.equal(one.vulnerabilityIds[0], 'CVE-2024-0001');
    const two = all.find((s) => s.digest === digestOf(1002))!;
    assert.deepEqual(two.controls, ['vulnerabilities']);
    assert.deepEqual(two.vulnerabilityIds, ['CVE-2024-0001']);
    const three = all.find((s) => s.digest === digestOf(1003))!;
    assert.deepEqual(three.controls, []);
    assert.deepEqual(three.vulnerabilityIds, []);
  });

  it('counts matches, filters by control and finds an image by a vulnerability id', () => {
    assert.equal(list().count({}), 5);
    assert.equal(list().count({ compliance: 'non_compliant' }), 2);
    assert.equal(list().count({ repository: 'registry.example.com/other/*' }), 2);
    assert.equal(list().count({ control: 'malware' }), 1);
    assert.equal(list().count({ control: 'sensitiveData' }), 0, 'an audit-only reason is not a failing control');
    assert.deepEqual(
      list()
        .list({ q: 'cve-2024-0001' })
        .items.map((s) => s.digest),
      [digestOf(1002), digestOf(1001)],
    );
    assert.equal(list().count({ q: 'CVE-2024-9999' }), 0, 'audit-only ids are not searched');
    assert.equal(list().count({ q: 'CVE-2024-1029' }), 0, 'ids past the first 20 are not kept');
    assert.equal(list().count({ q: 'other/failed' }), 1);
  });

  it('pages back with previous(): the token of the page before, or none for the first', () => {
    const first = list().list({}, 2);
    const second = list().list({}, 2, first.continue);
    const third = list().list({}, 2, second.continue);
    assert.deepEqual(
      third.items.map((s) => s.digest),
      [digestOf(1001)],
    );
    assert.deepEqual(list().previous({}, 2, first.continue!), {});
    const back = list().previous({}, 2, second.continue!);
    assert.equal(back.continue, first.continue);
    assert.deepEqual(
      list()
        .list({}, 2, back.continue)
        .items.map((s) => s.digest),
      second.items.map((s) => s.digest),
    );
    // With a filter: two non-compliant images, one per page.
    const nc1 = list().list({ compliance: 'non_compliant' }, 1);
    const nc2 = list().list({ compliance: 'non_compliant' }, 1, nc1.continue);
    assert.deepEqual(
      nc2.items.map((s) => s.digest),
      [digestOf(1001)],
    );
    assert.deepEqual(list().previous({ compliance: 'non_compliant' }, 1, nc1.continue!), {});
  });

  it('keeps the list order through re-evaluations and deletions', async () => {
    const order = () =>
      list()
        .list({}, 10)
        .items.map((s) => s.digest);
    assert.deepEqual(
      order(),
      [5, 4, 3, 2, 1].map((i) => digestOf(1000 + i)),
    );
    // Image 2 re-evaluated later than every other: listed first; image 4 deleted: gone.
    await putVerdict(2, Compliance.NON_COMPLIANT, [{ control: 'vulnerabilities', items: ['CVE-2024-0001'] }], 'team/stats', 10);
    await h.kv.delete(digestBucketKey(digestOf(1004)));
    await until(async () => list().size === 4 && order()[0] === digestOf(1002));
    assert.deepEqual(
      order(),
      [2, 5, 3, 1].map((i) => digestOf(1000 + i)),
    );
    assert.equal(list().count({}), 4);
    assert.equal(list().count({ compliance: 'pending' }), 0);
    // Back as they were.
    await putVerdict(2, Compliance.NON_COMPLIANT, [
      { control: 'vulnerabilities', items: ['CVE-2024-0001'] },
      { control: 'sensitiveData', items: ['private-key'], auditOnly: true },
    ]);
    await putVerdict(4, Compliance.PENDING, [], 'other/pending');
    await until(async () => list().size === 5 && order()[0] === digestOf(1005));
    assert.deepEqual(
      order(),
      [5, 4, 3, 2, 1].map((i) => digestOf(1000 + i)),
    );
    assert.equal(list().count({ compliance: 'pending' }), 1);
  });

  it('stats: totals by compliance, top controls and vulnerabilities over non-compliant images, recomputed after a change', async () => {
    const s = list().stats();
    assert.equal(s.total, 5);
    assert.deepEqual(s.byCompliance, { compliant: 1, non_compliant: 2, pending: 1, error: 1, unspecified: 0 });
    assert.deepEqual(s.topControls, [
      { control: 'vulnerabilities', images: 2 },
      { control: 'malware', images: 1 },
    ]);
    assert.equal(s.topVulnerabilities.length, 10);
    assert.deepEqual(s.topVulnerabilities[0], { id: 'CVE-2024-0001', images: 2 });
    assert.equal(list().stats(), s, 'cached while nothing changes');
    // Image 3 turns non-compliant on a new CVE: the stats follow.
    await putVerdict(3, Compliance.NON_COMPLIANT, [{ control: 'vulnerabilities', items: ['CVE-2024-0001'] }]);
    await until(async () => list().stats().byCompliance.non_compliant === 3);
    const after = list().stats();
    assert.notEqual(after, s);
    assert.deepEqual(after.topVulnerabilities[0], { id: 'CVE-2024-0001', images: 3 });
    assert.deepEqual(after.topControls[0], { control: 'vulnerabilities', images: 3 });
  });
});
