// Dry runs have no side effects (the webhooks declare sideEffects: NoneOnDryRun): a review with
// dryRun: true is answered as any other — allowed or denied, patched when pinning is asked — but
// admission publishes nothing for it, neither an audit event nor a scan request, and counts it in
// assay_admission_dry_runs_total. Watched on a real nats-server: every message on the bus and
// the streams' sequences. The same reviews without dryRun do publish, so the watch can see them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Subscription } from 'nats';
import { Compliance, Streams } from '@assay/proto';
import { PIN_LABEL } from '@assay/review-engine';
import { waitFor } from '../support/processes.ts';
import { digestFor, podReview, post, runtimePolicy, verdict } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

describe('admission: dry runs without side effects', () => {
  let stack: Stack;
  let sub: Subscription;
  const seen: string[] = [];
  before(async () => {
    stack = await startStack();
    // Every message anyone publishes on the server, JetStream publishes included.
    sub = stack.admin.nc.subscribe('assay.>');
    void (async () => {
      for await (const m of sub) seen.push(m.subject);
    })();
  });
  after(async () => {
    sub?.unsubscribe();
    await stack?.close();
  });

  const lastSeq = async (stream: string) => (await (await stack.admin.jetstreamManager()).streams.info(stream)).state.last_seq;

  it('answers dry-run reviews as usual and publishes nothing for them; the same reviews for real publish', async () => {
    const good = digestFor('dry-good');
    const bad = digestFor('dry-bad');
    const pending = digestFor('dry-pending');
    await stack.putTag('registry.local/team/good:v1', good);
    await stack.putVerdict(good, verdict(Compliance.COMPLIANT));
    await stack.putVerdict(
      bad,
      verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'secrets', message: 'private key at /etc/ssl/private/key.pem' }]),
    );
    await stack.putVerdict(pending, verdict(Compliance.PENDING));
    await stack.putPolicy(runtimePolicy('prod'));
    const svc = await stack.service({ ADMISSION_AUDIT_BATCH_LINGER: '0' });
    const base = svc.api!.webhook!.address;
    const images = {
      good: 'registry.local/team/good:v1',
      bad: `registry.local/team/bad@${bad}`,
      // Not scanned yet: the runtime policy lets it in and asks for a scan.
      pending: `registry.local/team/pending@${pending}`,
    };
    const pinned = { metadata: { name: 'p', labels: { [PIN_LABEL]: 'true' } }, spec: { containers: [{ name: 'c', image: images.good }] } };
    const reviews = (dryRun: boolean, tag: string) => [
      { route: 'validate', body: podReview(`${tag}-good`, 'shop', [images.good], { dryRun }), allowed: true },
      { route: 'validate', body: podReview(`${tag}-bad`, 'shop', [images.bad], { dryRun }), allowed: false },
      { route: 'validate', body: podReview(`${tag}-pending`, 'shop', [images.pending], { dryRun }), allowed: true },
      { route: 'mutate', body: podReview(`${tag}-pin`, 'shop', [], { dryRun, object: pinned }), allowed: true },
    ];

    const audit0 = await lastSeq(Streams.audit.name);
    const scans0 = await lastSeq(Streams.scans.name);
    for (const r of reviews(true, 'dry')) {
      const res = await post(stack.agent, `${base}/${r.route}`, r.body);
      assert.equal(res.status, 200);
      assert.equal(res.json.response.allowed, r.allowed, `${r.body.request.uid}`);
      if (r.route === 'mutate') assert.ok(res.json.response.patch, 'a dry run is still patched (the API server shows the result)');
    }
    // Give anything queued every chance to leave: the batch linger is 0 and the outbox publishes at once.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(svc.api!.outbox.size, 0);
    assert.equal(svc.api!.audit.pending, 0);
    assert.equal(svc.api!.outbox.published, 0, 'nothing went through the outbox');
    assert.deepEqual([...seen], [], 'no message on the bus');
    assert.equal(await lastSeq(Streams.audit.name), audit0);
    assert.equal(await lastSeq(Streams.scans.name), scans0);
    const metrics = await (await fetch(`${svc.address}/metrics`)).text();
    assert.match(metrics, /^assay_admission_dry_runs_total\{webhook="validate",service="admission"\} 3$/m);
    assert.match(metrics, /^assay_admission_dry_runs_total\{webhook="mutate",service="admission"\} 1$/m);

    // The same reviews for real: three decisions and one pinning audited, one scan requested.
    for (const r of reviews(false, 'real')) {
      const res = await post(stack.agent, `${base}/${r.route}`, r.body);
      assert.equal(res.json.response.allowed, r.allowed);
    }
    await waitFor('the real reviews published', async () =>
      (await lastSeq(Streams.scans.name)) === scans0 + 1 && svc.api!.outbox.published === 5 ? true : undefined,
    );
    assert.ok(
      seen.some((s) => s.startsWith('assay.audit.')),
      `audit published: ${seen.join(', ')}`,
    );
    assert.ok(
      seen.some((s) => s.startsWith('assay.scan')),
      `scan requested: ${seen.join(', ')}`,
    );
  });
});
