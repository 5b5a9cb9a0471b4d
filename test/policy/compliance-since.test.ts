// Verdicts say since when their compliance is what it is (compliance_since), end to end on a real
// nats-server: set on the first verdict, kept by a re-evaluation that leaves the compliance as it
// was (a new policy version, the verdict rewritten), moved to the new evaluation's time when the
// compliance changes. A runtime policy's grace counts from it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Compliance } from '@assay/proto';
import type { ImageAssurancePolicy } from '@assay/domain';
import { startHarness, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const policy = (maxSeverity: 'critical' | 'high' | 'medium' | 'low'): ImageAssurancePolicy => ({
  name: 'since',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-s/*'] },
  controls: { vulnerabilities: { maxSeverity } },
});

describe('verdicts: compliance_since', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  async function putPolicy(maxSeverity: 'critical' | 'high' | 'medium' | 'low'): Promise<number> {
    const current = await h.call('GET', '/api/v1/policies/since');
    const res = await h.call(
      'PUT',
      '/api/v1/policies/since',
      { document: policy(maxSeverity) },
      { 'if-match': `"${current.json.version}"` },
    );
    assert.equal(res.status, 200, res.text);
    return res.json.version as number;
  }

  it('is set on the first verdict, kept while the compliance holds, moved when it changes', async () => {
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'since', document: policy('critical') })).status, 201);
    // One medium vulnerability: compliant under maxSeverity critical or high, not under low.
    const r = report({ vulnerabilities: [vuln('CVE-2026-0001', 'medium')] }, { repository: 'team-s/api', digest: sha('since-1') });
    const t0 = Date.now();
    await h.storeAndAnnounce(r);
    const first = (await h.waitVerdict(r.image.digest, () => true)).verdict;
    assert.equal(first.compliance, Compliance.COMPLIANT);
    assert.ok(first.complianceSince, 'the first verdict says since when');
    const since0 = timestampDate(first.complianceSince);
    assert.ok(since0.getTime() >= t0 - 1000 && since0.getTime() <= Date.now(), `since ${since0.toISOString()} is the evaluation's time`);
    assert.deepEqual(first.complianceSince, first.evaluatedAt);

    // Still compliant under the new version: rewritten (the policy version changed), since kept.
    await new Promise((res) => setTimeout(res, 1100));
    const v2 = await putPolicy('high');
    const second = (await h.waitVerdict(r.image.digest, (v) => v.policies[0]?.version === v2)).verdict;
    assert.equal(second.compliance, Compliance.COMPLIANT);
    assert.notDeepEqual(second.evaluatedAt, first.evaluatedAt, 'the verdict was re-written');
    assert.deepEqual(second.complianceSince, first.complianceSince, 'compliance unchanged: since kept');

    // Non-compliant now: since moves to this evaluation.
    const v3 = await putPolicy('low');
    const third = (await h.waitVerdict(r.image.digest, (v) => v.policies[0]?.version === v3)).verdict;
    assert.equal(third.compliance, Compliance.NON_COMPLIANT);
    assert.ok(third.complianceSince);
    assert.ok(timestampDate(third.complianceSince).getTime() > since0.getTime(), 'moved on');
    assert.deepEqual(third.complianceSince, third.evaluatedAt);
  });
});
