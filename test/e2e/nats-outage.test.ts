// A 60 s NATS outage in the full system (real nats-server, registry, scanner, policy, admission,
// audit to the Elasticsearch stand-in): with verdicts in place, NATS stops; for the whole outage
// admission stays ready and answers every review from memory (the compliant image allowed, the
// one with a private key denied) while its stale gauge grows; NATS comes back on the same port
// and store; the audit events of the reviews made during the outage reach Elasticsearch exactly
// once each (counted by event id), marked as decided on stale state.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Compliance } from '@assay/proto';
import { post } from '../admission/helpers.ts';
import { IMAGE_POLICY, imagePolicyDocument, RUNTIME_POLICY, runtimePolicyDocument } from '../../scripts/demo/walkthrough.ts';
import { buildImage, pushImage, type BuiltImage } from '../support/oci-image.ts';
import { waitFor } from '../support/processes.ts';
import { deploymentReview, finalVerdict, startStack, type Stack } from './stack.ts';

const OUTAGE_MS = 60_000;
const REVIEW_EVERY_MS = 5_000;
const NAMESPACE = 'demo';

async function metric(address: string, name: string): Promise<number> {
  const text = await (await fetch(`${address}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} is exposed`);
  return Number(m[1]);
}

describe('e2e: a 60 s NATS outage', { timeout: 400_000 }, () => {
  let stack: Stack | undefined;
  let clean: BuiltImage;
  let keyed: BuiltImage;

  before(
    async () => {
      const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      clean = await buildImage({
        config: { User: '1000', Cmd: ['/app/run'] },
        layers: [
          [
            { path: 'app', type: 'dir' },
            { path: 'app/run', mode: 0o755, content: '#!/bin/sh\necho outage-clean\n' },
          ],
        ],
      });
      keyed = await buildImage({
        config: { User: '1000', Cmd: ['/app/run'] },
        layers: [
          [
            { path: 'app', type: 'dir' },
            { path: 'app/run', mode: 0o755, content: '#!/bin/sh\necho outage-keyed\n' },
            { path: 'app/server.key', content: key },
          ],
        ],
      });
      stack = await startStack();
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await stack?.close();
  });

  it(
    'admission stays ready and decides throughout; the outage decisions are audited once each, marked stale',
    { timeout: 300_000 },
    async () => {
      const s = stack!;
      const host = s.registry.host;
      assert.equal((await s.policyCall('POST', '/api/v1/policies', { id: IMAGE_POLICY, document: imagePolicyDocument() })).status, 201);
      assert.equal(
        (await s.policyCall('POST', '/api/v1/runtime-policies', { id: RUNTIME_POLICY, document: runtimePolicyDocument(clean.platform) }))
          .status,
        201,
      );
      const cleanRef = `${host}/outage/clean:1`;
      const keyedRef = `${host}/outage/keyed:1`;
      await pushImage(host, 'outage/clean', '1', clean);
      await pushImage(host, 'outage/keyed', '1', keyed);
      assert.equal((await finalVerdict(s, clean.digest, 120_000)).compliance, Compliance.COMPLIANT);
      assert.equal((await finalVerdict(s, keyed.digest, 120_000)).compliance, Compliance.NON_COMPLIANT);

      const admission = s.services.admission!;
      const health = admission.address!;
      const review = async (uid: string, image: string) => {
        const res = await post(s.agent, `${s.webhookUrl}/validate`, deploymentReview(uid, NAMESPACE, uid, [image]));
        assert.equal(res.status, 200, `${uid}: ${JSON.stringify(res.json)}`);
        return res.json.response as { allowed: boolean; status?: { message?: string } };
      };
      // Admission's mirrors have the verdicts (the tags bucket too) before the outage.
      await waitFor('decisions from the verdicts', async () =>
        (await review('warm-clean', cleanRef)).allowed && !(await review('warm-keyed', keyedRef)).allowed ? true : undefined,
      );
      assert.equal(await metric(health, 'assay_admission_mirror_stale_seconds'), 0);

      await s.nats.stop();
      const stoppedAt = Date.now();
      await waitFor('admission sees NATS gone', () => (admission.bus!.isConnected() ? undefined : true));
      const outage: string[] = [];
      let lastStale = 0;
      let round = 0;
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        const started = Date.now();
        const ok = await review(`outage-${round}-clean`, cleanRef);
        const no = await review(`outage-${round}-keyed`, keyedRef);
        outage.push(`outage-${round}-clean`, `outage-${round}-keyed`);
        assert.equal(ok.allowed, true, `round ${round}: the compliant image is allowed`);
        assert.equal(no.allowed, false, `round ${round}: the image with a private key is denied`);
        assert.match(no.status?.message ?? '', /server\.key/);
        // Ready on both ports: the health server, and the webhook's own probe route (kubelets probe that one).
        const ready = await fetch(`${health}/readyz`);
        assert.equal(ready.status, 200, `round ${round}: /readyz during the outage: ${await ready.text()}`);
        const probe = await request(`${s.webhookUrl}/readyz`, { dispatcher: s.agent });
        assert.equal(probe.statusCode, 200, `round ${round}: webhook /readyz during the outage: ${await probe.body.text()}`);
        const stale = await metric(health, 'assay_admission_mirror_stale_seconds');
        assert.ok(stale >= lastStale, `the stale gauge grows (${lastStale} → ${stale})`);
        lastStale = stale;
        round++;
        await new Promise((r) => setTimeout(r, Math.max(0, REVIEW_EVERY_MS - (Date.now() - started))));
      }
      assert.ok(lastStale >= (OUTAGE_MS - REVIEW_EVERY_MS) / 1000 - 2, `stale for about the outage (${lastStale} s)`);
      assert.ok(round >= 10, `${round} rounds of reviews during the outage`);
      assert.ok(admission.api!.outbox.size >= outage.length, 'the audit events wait in the outbox');

      await s.nats.start();
      await waitFor(
        'admission reconnected and current',
        async () => ((await metric(health, 'assay_admission_mirror_stale_seconds')) === 0 ? true : undefined),
        { timeoutMs: 30_000 },
      );
      const after = await review('after-clean', cleanRef);
      assert.equal(after.allowed, true);

      // Every outage decision in Elasticsearch exactly once, by event id, marked stale.
      type Doc = {
        event?: { id?: string; action?: string };
        kubernetes?: { admission?: { uid?: string } };
        assay?: { admission?: { stale?: boolean; stale_seconds?: number } };
      };
      const decisions = () => (s.standin.documents(s.dataStream) as Doc[]).filter((d) => d.event?.action === 'admission');
      const docs = await waitFor(
        'the outage decisions in Elasticsearch',
        () => {
          const all = decisions();
          const uids = new Set(all.map((d) => d.kubernetes?.admission?.uid));
          return [...outage, 'after-clean'].every((u) => uids.has(u)) ? all : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const ids = docs.map((d) => d.event?.id);
      assert.equal(new Set(ids).size, ids.length, 'no event id indexed twice');
      for (const uid of outage) {
        const mine = docs.filter((d) => d.kubernetes?.admission?.uid === uid);
        assert.equal(mine.length, 1, `${uid} indexed once`);
        assert.equal(mine[0]!.assay?.admission?.stale, true, `${uid} marked as decided on stale state`);
        assert.ok((mine[0]!.assay?.admission?.stale_seconds ?? 0) > 0, `${uid} records how stale`);
      }
      for (const uid of ['warm-clean', 'after-clean']) {
        const d = docs.find((x) => x.kubernetes?.admission?.uid === uid);
        assert.equal(d?.assay?.admission?.stale, false, `${uid} was decided on current state`);
      }
    },
  );
});
