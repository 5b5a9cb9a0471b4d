// The verdict entries the engine remembers (known-verdicts.ts): its writes start from them instead
// of reading each entry first, and must behave exactly as if they had read it. Unit: the byte
// budget. End to end on a real nats-server: an entry another writer replaced or deleted since.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Compliance, digestBucketKey, VerdictSchema } from '@assay/proto';
import type { ImageAssurancePolicy } from '@assay/domain';
import { KnownVerdicts } from '../../services/policy/src/known-verdicts.ts';
import { startHarness, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const bytes = (n: number) => new Uint8Array(n);

describe('known verdicts: the byte budget', () => {
  it('keeps entries up to the budget, dropping the least recently set first', () => {
    const known = new KnownVerdicts(100);
    known.set('a', 1, bytes(40));
    known.set('b', 1, bytes(40));
    assert.equal(known.bytes, 80);
    known.set('a', 2, bytes(30)); // a is now the newest, and smaller
    assert.equal(known.bytes, 70);
    known.set('c', 1, bytes(40)); // 110 > 100: b, the oldest, goes
    assert.equal(known.get('b'), undefined);
    assert.deepEqual([known.get('a')?.revision, known.get('c')?.revision], [2, 1]);
    assert.equal(known.bytes, 70);
    known.forget('a');
    assert.equal(known.get('a'), undefined);
    assert.equal(known.bytes, 40);
    known.set('huge', 1, bytes(101)); // larger than the whole budget: not kept, nothing evicted
    assert.equal(known.get('huge'), undefined);
    assert.equal(known.size, 1);
  });

  it('evicts in order through many replacements (each entry set again moves to the end)', () => {
    const known = new KnownVerdicts(10 * 8);
    for (let round = 0; round < 50; round++) for (let i = 0; i < 20; i++) known.set(`d${i}`, round, bytes(8));
    // Ten fit; the last ten set were d10..d19 of the last round.
    assert.equal(known.size, 10);
    for (let i = 10; i < 20; i++) assert.equal(known.get(`d${i}`)?.revision, 49);
    for (let i = 0; i < 10; i++) assert.equal(known.get(`d${i}`), undefined);
  });
});

const policy = (maxSeverity: 'critical' | 'high'): ImageAssurancePolicy => ({
  name: 'known',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-k/*'] },
  controls: { vulnerabilities: { maxSeverity } },
});

describe('known verdicts: writes start from the remembered entry, and check it', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  // One medium vulnerability: compliant under maxSeverity critical and high alike.
  const r = report({ vulnerabilities: [vuln('CVE-2026-0100', 'medium')] }, { repository: 'team-k/api', digest: sha('known-1') });
  const key = digestBucketKey(r.image.digest);

  it('an entry another writer replaced since: the re-evaluation writes from that entry, not the remembered one', async () => {
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'known', document: policy('critical') })).status, 201);
    await h.storeAndAnnounce(r);
    const first = await h.waitVerdict(r.image.digest, () => true);
    assert.equal(first.verdict.compliance, Compliance.COMPLIANT);

    // Another writer: the same image judged non-compliant since 2020 (the engine remembers its own entry).
    const since2020 = timestampFromDate(new Date('2020-01-01T00:00:00Z'));
    const other = create(VerdictSchema, { ...first.verdict, compliance: Compliance.NON_COMPLIANT, complianceSince: since2020 });
    const otherRevision = await h.kv.update(key, toBinary(VerdictSchema, other), first.revision);

    const res = await h.call('PUT', '/api/v1/policies/known', { document: policy('high') }, { 'if-match': '"1"' });
    assert.equal(res.status, 200, res.text);
    const second = await h.waitVerdict(r.image.digest, (v) => v.policies[0]?.version === 2);
    assert.ok(second.revision > otherRevision, 'written over the other writer’s entry');
    assert.equal(second.verdict.compliance, Compliance.COMPLIANT);
    // Compliance changed from the entry as it was (non-compliant): since moves to this evaluation.
    // From the remembered entry (compliant) it would have kept the first verdict's since.
    assert.deepEqual(second.verdict.complianceSince, second.verdict.evaluatedAt);
    assert.notDeepEqual(second.verdict.complianceSince, first.verdict.complianceSince);
    assert.ok(timestampDate(second.verdict.complianceSince!).getTime() >= timestampDate(first.verdict.evaluatedAt!).getTime());
  });

  it('an entry deleted since: an unchanged verdict is written again (leaving it is decided on a fresh read)', async () => {
    const before = (await h.verdict(r.image.digest))!;
    await h.kv.delete(key);
    assert.equal(await h.verdict(r.image.digest), undefined);
    // The same report again: the verdict is what the engine last wrote, so only a fresh read
    // shows that the entry is gone.
    await h.storeAndAnnounce(r);
    const back = await h.waitVerdict(r.image.digest, (v) => v.policies[0]?.version === 2);
    assert.equal(back.verdict.compliance, Compliance.COMPLIANT);
    assert.ok(back.revision > before.revision);
  });
});
