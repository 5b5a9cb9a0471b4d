// Verdicts end to end on a real nats-server: ScanCompleted → verdict in the bucket; a policy
// change re-evaluates exactly the affected images; expiries flip verdicts at the expiry;
// concurrent updates never produce a verdict from a mix of versions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { newEventMeta, publishEvent } from '@assay/bus';
import { Buckets, Compliance, ScanCompletedSchema, ScanStatus, Streams, Topics, AuditEventSchema, VerdictSchema } from '@assay/proto';
import { fromBinary } from '@bufbuild/protobuf';
import type { ImageAssurancePolicy } from '@assay/domain';
import { startHarness, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';

const baseline = (over: Partial<ImageAssurancePolicy> = {}): ImageAssurancePolicy => ({
  name: 'baseline',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-a/*'] },
  controls: { vulnerabilities: { maxSeverity: 'high' }, sensitiveData: { block: true } },
  ...over,
});

describe('verdicts', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('a completed scan gets a verdict with reasons and policy versions; the change is announced and audited', async () => {
    const created = await h.call('POST', '/api/v1/policies', { id: 'baseline', document: baseline() });
    assert.equal(created.status, 201, created.text);
    const r = report(
      {
        sensitiveData: [
          {
            rule: 'private-key',
            path: 'etc/ssl/private/ssl-cert-snakeoil.key',
            severity: 'high',
            masked: '-----BEGIN PRIVATE KEY-----***',
          },
        ],
      },
      { digest: sha('seed-image') },
    );
    await h.storeAndAnnounce(r);
    const { verdict } = await h.waitVerdict(r.image.digest, () => true);
    assert.equal(verdict.compliance, Compliance.NON_COMPLIANT);
    assert.equal(verdict.reasons.length, 1);
    assert.equal(verdict.reasons[0]!.control, 'sensitiveData');
    assert.match(verdict.reasons[0]!.message, /etc\/ssl\/private\/ssl-cert-snakeoil\.key/);
    assert.deepEqual(
      verdict.policies.map((p) => [p.id, p.version]),
      [['baseline', 1]],
    );
    assert.equal(verdict.reportId, r.reportId);

    await h.settled();
    const jsm = await h.admin.jetstreamManager();
    const changed = await jsm.streams.getMessage(Streams.policy.name, { last_by_subj: Topics.verdictChanged.subject });
    assert.equal(fromBinary(VerdictSchema, changed.data).image?.digest, r.image.digest);
    const audit = fromBinary(
      AuditEventSchema,
      (await jsm.streams.getMessage(Streams.audit.name, { last_by_subj: Topics.auditPolicy.subject })).data,
    );
    assert.equal(audit.event.case, 'verdictChange');
    if (audit.event.case === 'verdictChange') {
      assert.equal(audit.event.value.compliance, Compliance.NON_COMPLIANT);
      assert.equal(audit.event.value.previous, Compliance.UNSPECIFIED, 'no earlier verdict');
      assert.ok(audit.event.value.reasons.length > 0);
      assert.ok(audit.event.value.policies.length > 0);
    }
  });

  it('a failed scan gets an ERROR verdict', async () => {
    const digest = sha('failed-scan');
    await publishEvent(
      h.admin.js,
      Topics.scanCompleted,
      create(ScanCompletedSchema, {
        meta: newEventMeta('test'),
        image: { registry: 'registry.example.com', repository: 'team-a/broken', digest },
        status: ScanStatus.FAILED,
        error: 'manifest unknown',
      }),
    );
    const { verdict } = await h.waitVerdict(digest, () => true);
    assert.equal(verdict.compliance, Compliance.ERROR);
    assert.match(verdict.reasons[0]!.message, /manifest unknown/);
  });

  it('a policy change via REST re-evaluates every affected image and leaves the others untouched', async () => {
    const critical = { vulnerabilities: [vuln('CVE-2024-9', 'critical')] };
    const a1 = report(critical, { repository: 'team-a/one', digest: sha('a1') });
    const a2 = report(critical, { repository: 'team-a/two', digest: sha('a2') });
    const b1 = report(critical, { repository: 'team-b/one', digest: sha('b1') });
    const teamB = {
      name: 'team-b',
      enabled: true,
      action: 'block' as const,
      scope: { repositories: ['team-b/*'] },
      controls: { malware: { block: true } },
    };
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'team-b', document: teamB })).status, 201);
    for (const r of [a1, a2, b1]) await h.storeAndAnnounce(r);
    for (const r of [a1, a2]) await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    await h.waitVerdict(b1.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    await h.settled();
    // Changed underneath without an announcement: only a (wrong) re-evaluation of b1 would see it.
    await h.api.engine.store.reports.put({ ...b1, malware: [{ name: 'Eicar-Signature', path: 'tmp/eicar' }] });
    const before = await Promise.all([a1, a2, b1].map((r) => h.verdict(r.image.digest)));

    const current = await h.call('GET', '/api/v1/policies/baseline');
    const put = await h.call(
      'PUT',
      '/api/v1/policies/baseline',
      { document: baseline({ controls: { vulnerabilities: { maxSeverity: 'critical' } } }) },
      { 'if-match': `"${current.json.version}"` },
    );
    assert.equal(put.status, 200, put.text);
    const version = put.json.version as number;
    for (const r of [a1, a2]) {
      const v = await h.waitVerdict(r.image.digest, (v) => v.policies[0]?.version === version);
      assert.equal(v.verdict.compliance, Compliance.COMPLIANT);
    }
    await h.settled();
    const afterB = await h.verdict(b1.image.digest);
    assert.equal(afterB!.revision, before[2]!.revision, 'team-b image not re-written');
    for (const [i, r] of [a1, a2].entries()) assert.ok((await h.verdict(r.image.digest))!.revision > before[i]!.revision);
  });

  it('an allow-list entry expiring flips the verdict at the expiry', async () => {
    const expiresAt = new Date(Date.now() + 2000);
    const doc = baseline({
      scope: { repositories: ['team-c/*'] },
      controls: { vulnerabilities: { maxSeverity: 'high', allowList: [{ id: 'CVE-2024-10', reason: 'not reachable', expiresAt }] } },
    });
    const res = await h.call('POST', '/api/v1/policies', { id: 'team-c', document: doc });
    assert.equal(res.status, 201, res.text);
    await h.settled();
    const r = report({ vulnerabilities: [vuln('CVE-2024-10', 'critical')] }, { repository: 'team-c/app', digest: sha('c1') });
    await h.storeAndAnnounce(r);
    await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    const flipped = await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT, 6000);
    const at = Date.now();
    assert.ok(at >= expiresAt.getTime(), 'not before the expiry');
    assert.ok(at - expiresAt.getTime() < 1500, `at the expiry (${at - expiresAt.getTime()} ms late)`);
    assert.match(flipped.verdict.reasons[0]!.message, /CVE-2024-10/);
  });

  it('an exception narrowed or deleted re-evaluates the images it covered before or covers now, and no others', async () => {
    await h.call(
      'PUT',
      '/api/v1/policies/baseline',
      { document: baseline() },
      { 'if-match': String((await h.call('GET', '/api/v1/policies/baseline')).json.version) },
    );
    const x = report({ vulnerabilities: [vuln('CVE-2024-21', 'critical')] }, { repository: 'team-a/exc-x', digest: sha('exc-x') });
    const y = report({ vulnerabilities: [vuln('CVE-2024-21', 'critical')] }, { repository: 'team-a/exc-y', digest: sha('exc-y') });
    const z = report({}, { repository: 'team-a/elsewhere', digest: sha('exc-z') });
    const created = await h.call('POST', '/api/v1/exceptions', {
      id: 'exc-narrow',
      scope: { repository: 'team-a/exc-*', items: ['CVE-2024-21'] },
      reason: 'vendor fix pending',
      expiresAt: '2099-01-01T00:00:00Z',
    });
    assert.equal(created.status, 201, created.text);
    await h.settled();
    for (const r of [x, y, z]) await h.storeAndAnnounce(r);
    for (const r of [x, y, z]) await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    await h.settled();
    const zBefore = (await h.verdict(z.image.digest))!.revision;
    const reevaluated = async () => {
      const text = await (await fetch(`${h.url}/metrics`)).text();
      return Number(/assay_policy_reevaluations_total\{trigger="policy"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const count0 = await reevaluated();

    const narrowed = await h.call(
      'PUT',
      '/api/v1/exceptions/exc-narrow',
      { scope: { repository: 'team-a/exc-x', items: ['CVE-2024-21'] }, reason: 'vendor fix pending', expiresAt: '2099-01-01T00:00:00Z' },
      { 'if-match': '"1"' },
    );
    assert.equal(narrowed.status, 200, narrowed.text);
    await h.waitVerdict(y.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    await h.settled();
    assert.equal((await h.verdict(x.image.digest))!.verdict.compliance, Compliance.COMPLIANT);
    assert.equal((await reevaluated()) - count0, 2, 'the two images covered before the change (one still covered)');

    assert.equal((await h.call('DELETE', '/api/v1/exceptions/exc-narrow')).status, 200);
    await h.waitVerdict(x.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    await h.settled();
    assert.equal((await reevaluated()) - count0, 3, 'then the one it covered when deleted');
    assert.equal((await h.verdict(z.image.digest))!.revision, zBefore, 'an image the exception never covered was not re-evaluated');
  });

  it("an exception bound to a policy scoped to one registry re-evaluates only that registry's images", async () => {
    const pa = {
      name: 'pa',
      enabled: true,
      action: 'block' as const,
      scope: { registries: ['a.example'] },
      controls: { vulnerabilities: { maxSeverity: 'high' as const } },
    };
    assert.equal((await h.call('POST', '/api/v1/policies', { id: 'pa', document: pa })).status, 201);
    const critical = { vulnerabilities: [vuln('CVE-2024-31', 'critical')] };
    const imgs = ['a.example', 'b.example', 'c.example'].map((registry) =>
      report(critical, { registry, repository: 'scoped/app', digest: sha(`bound-${registry}`) }),
    );
    await h.settled();
    for (const r of imgs) await h.storeAndAnnounce(r);
    await h.waitVerdict(imgs[0]!.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    for (const r of imgs.slice(1)) await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    await h.settled();
    const others = await Promise.all(imgs.slice(1).map((r) => h.verdict(r.image.digest)));
    const reevaluated = async () => {
      const text = await (await fetch(`${h.url}/metrics`)).text();
      return Number(/assay_policy_reevaluations_total\{trigger="policy"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const count0 = await reevaluated();

    const created = await h.call('POST', '/api/v1/exceptions', {
      id: 'exc-bound',
      scope: { policyId: 'pa', items: ['CVE-2024-31'] },
      reason: 'accepted for pa',
      expiresAt: '2099-01-01T00:00:00Z',
    });
    assert.equal(created.status, 201, created.text);
    await h.waitVerdict(imgs[0]!.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    await h.settled();
    assert.equal((await reevaluated()) - count0, 1, 'only the a.example image: the policy scope narrows the exception');

    const changed = await h.call(
      'PUT',
      '/api/v1/exceptions/exc-bound',
      { scope: { policyId: 'pa', items: ['CVE-2024-32'] }, reason: 'accepted for pa', expiresAt: '2099-01-01T00:00:00Z' },
      { 'if-match': '"1"' },
    );
    assert.equal(changed.status, 200, changed.text);
    await h.waitVerdict(imgs[0]!.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    await h.settled();
    assert.equal((await reevaluated()) - count0, 2, 'previous and new versions name the same policy: again only a.example');
    assert.equal((await h.call('DELETE', '/api/v1/exceptions/exc-bound')).status, 200);
    await h.settled();
    assert.equal((await reevaluated()) - count0, 3);
    for (const [i, r] of imgs.slice(1).entries())
      assert.equal((await h.verdict(r.image.digest))!.revision, others[i]!.revision, `${r.image.registry} not re-evaluated`);
  });

  it('an exception expiring flips the verdict at the expiry', async () => {
    const r = report({ vulnerabilities: [vuln('CVE-2024-11', 'critical')] }, { repository: 'team-a/exc', digest: sha('exc1') });
    await h.call(
      'PUT',
      '/api/v1/policies/baseline',
      { document: baseline() },
      { 'if-match': String((await h.call('GET', '/api/v1/policies/baseline')).json.version) },
    );
    await h.settled();
    const expiresAt = new Date(Date.now() + 2000);
    const e = await h.call('POST', '/api/v1/exceptions', {
      id: 'exc-cve-11',
      scope: { repository: 'team-a/*', items: ['CVE-2024-11'] },
      reason: 'fix ships Friday',
      expiresAt: expiresAt.toISOString(),
    });
    assert.equal(e.status, 201, e.text);
    await h.settled();
    await h.storeAndAnnounce(r);
    await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    const exceptionKv = await h.admin.js.views.kv(Buckets.exceptions.name, { bindOnly: true });
    assert.equal((await exceptionKv.get('exc-cve-11'))?.operation, 'PUT', 'in force: mirrored for admission');
    await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT, 6000);
    assert.ok(Date.now() >= expiresAt.getTime());
    await h.svc.api!.engine.scheduler.idle();
    assert.equal((await exceptionKv.get('exc-cve-11'))?.operation, 'DEL', 'expired: removed from the bucket');
  });

  it('an expiry is honoured by a restarted service (the timer comes from the stored exceptions, not memory)', async () => {
    const r = report({ vulnerabilities: [vuln('CVE-2024-14', 'critical')] }, { repository: 'team-a/restart', digest: sha('restart') });
    const expiresAt = new Date(Date.now() + 2500);
    const e = await h.call('POST', '/api/v1/exceptions', {
      id: 'exc-restart',
      scope: { digest: r.image.digest },
      reason: 'r',
      expiresAt: expiresAt.toISOString(),
    });
    assert.equal(e.status, 201, e.text);
    await h.settled();
    await h.storeAndAnnounce(r);
    await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    await h.settled();
    await h.restart();
    // The per-image time is memory only; the service's re-evaluation at start arms it again.
    const deadline = Date.now() + 2000;
    while (!h.api.engine.scheduler.dueAt(`digest:${r.image.digest}`) && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(h.api.engine.scheduler.dueAt(`digest:${r.image.digest}`), expiresAt);
    await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT, 6000);
    assert.ok(Date.now() >= expiresAt.getTime());
  });

  it('an exception that expired while no policy service ran is applied when one starts', async () => {
    const r = report({ vulnerabilities: [vuln('CVE-2024-15', 'critical')] }, { repository: 'team-a/downtime', digest: sha('downtime') });
    const expiresAt = new Date(Date.now() + 1500);
    const e = await h.call('POST', '/api/v1/exceptions', {
      id: 'exc-downtime',
      scope: { digest: r.image.digest },
      reason: 'r',
      expiresAt: expiresAt.toISOString(),
    });
    assert.equal(e.status, 201, e.text);
    await h.settled();
    await h.storeAndAnnounce(r);
    await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    await h.settled();
    // Down across the expiry: no timer of the stopped service fires.
    await h.restart(expiresAt.getTime() - Date.now() + 500);
    // Nothing is due any more and no event arrives: only the service's re-evaluation at start flips it.
    const { verdict } = await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT, 3000);
    assert.match(verdict.reasons[0]!.message, /CVE-2024-15/);
    const result = await h.api.engine.catchUp();
    assert.ok(result.evaluated >= 1 && result.written >= 1, JSON.stringify(result));
  });

  it('two concurrent updates: one 200, one 409, and verdicts cite the winner', async () => {
    const r = report({ vulnerabilities: [vuln('CVE-2024-12', 'high')] }, { repository: 'team-a/race', digest: sha('race') });
    await h.storeAndAnnounce(r);
    await h.settled();
    const v = (await h.call('GET', '/api/v1/policies/baseline')).json.version as number;
    const strict = baseline({ controls: { vulnerabilities: { maxSeverity: 'medium' } } });
    const lax = baseline({ controls: { vulnerabilities: { maxSeverity: 'critical' } } });
    const [x, y] = await Promise.all([
      h.call('PUT', '/api/v1/policies/baseline', { document: strict, expectedVersion: v }),
      h.call('PUT', '/api/v1/policies/baseline', { document: lax, expectedVersion: v }),
    ]);
    assert.deepEqual([x.status, y.status].sort(), [200, 409]);
    const winner = x.status === 200 ? x : y;
    const loser = x.status === 200 ? y : x;
    assert.equal(loser.json.actualVersion, v + 1);
    const expected = winner === x ? Compliance.NON_COMPLIANT : Compliance.COMPLIANT;
    const got = await h.waitVerdict(r.image.digest, (vv) => vv.policies[0]?.version === v + 1);
    assert.equal(got.verdict.compliance, expected);
    await h.settled();
    const final = await h.verdict(r.image.digest);
    assert.deepEqual(
      final!.verdict.policies.map((p) => [p.id, p.version]),
      [['baseline', v + 1]],
    );
    assert.equal(final!.verdict.compliance, expected);
  });

  it('a vulnerability database update re-evaluates the images whose findings it changed, and only those', async () => {
    await h.settled();
    // Change a report underneath (as the scanner's re-match does), then announce the update.
    const d = sha('a1');
    const untouched = sha('a2');
    const before = (await h.verdict(untouched))!;
    const stored = (await h.api.engine.store.reports.get(d))!;
    await h.api.engine.store.reports.put({ ...stored, vulnerabilities: [vuln('CVE-2024-13', 'critical')], vulnDbVersion: 'db-2' });
    const { VulnDbUpdatedSchema } = await import('@assay/proto');
    await publishEvent(h.admin.js, Topics.vulnDbUpdated, create(VulnDbUpdatedSchema, { meta: newEventMeta('test'), version: 'db-2' }));
    const v = await h.waitVerdict(d, (v) => v.vulnDbVersion === 'db-2');
    assert.match(v.verdict.reasons.map((x) => x.message).join(), /CVE-2024-13/);
    await h.settled();
    const r = await h.api.engine.onVulnDbUpdated('db-2');
    assert.equal(r.evaluated, 1, 'one report carries the new version');
    assert.equal((await h.verdict(untouched))!.revision, before.revision, 'an image whose findings did not change keeps its verdict');
  });
});
