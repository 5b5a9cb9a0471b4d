// GET /api/v1/verdicts: verdict summaries, newest evaluation first, paged with a continue token
// that stays stable while verdicts change, filtered by compliance, repository glob and reference
// text; behind the API token. Verdicts are written straight into the real verdicts bucket.
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
