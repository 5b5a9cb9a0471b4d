// The seed walkthrough (issue 12), end to end on real servers: a PostgreSQL-like image built from
// a real Debian root filesystem with `ssl-cert` (its snakeoil private key under /etc/ssl/private)
// and a clean image are pushed to a real registry; registry-watcher hears of them, the scanner
// scans them with the real analyzers, the policy service judges them against a policy created
// through its REST API; the admission webhook then denies the demo image (naming the key), allows
// the clean one and denies an image never pushed; the audit events land in the Elasticsearch
// stand-in. Push-to-verdict latency of the demo image must stay under 10 s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { post } from '../admission/helpers.ts';
import {
  buildDemoImages,
  deploymentReview,
  IMAGE_POLICY,
  imagePolicyDocument,
  RUNTIME_POLICY,
  runtimePolicyDocument,
} from '../../scripts/demo/walkthrough.ts';
import { pushImage, type BuiltImage } from '../support/oci-image.ts';
import { waitFor } from '../support/processes.ts';
import { finalVerdict, show, startStack, type Stack } from './stack.ts';

const LATENCY_BUDGET_MS = 10_000;

describe('e2e: the seed walkthrough', { timeout: 300_000 }, () => {
  let stack: Stack | undefined;
  let demo: BuiltImage;
  let clean: BuiltImage;

  before(
    async () => {
      // Images first (the Debian rootfs build may take ~25 s when not cached), then the system.
      ({ demo, clean } = await buildDemoImages());
      stack = await startStack();
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await stack?.close();
  });

  it(
    'denies the image with a private key, allows the clean one, denies an unregistered one, and audits it all',
    { timeout: 240_000 },
    async (t) => {
      const s = stack!;
      const host = s.registry.host;

      // Policies through the REST API, with the bearer token.
      const ip = await s.policyCall('POST', '/api/v1/policies', {
        id: IMAGE_POLICY,
        document: imagePolicyDocument(),
      });
      assert.equal(ip.status, 201, `create image assurance policy: ${ip.text}`);
      const rp = await s.policyCall('POST', '/api/v1/runtime-policies', {
        id: RUNTIME_POLICY,
        document: runtimePolicyDocument(demo.platform),
      });
      assert.equal(rp.status, 201, `create runtime policy: ${rp.text}`);
      // Without the bearer token the API refuses (the token is what lets the calls above through).
      const anon = await fetch(`${s.policyUrl}/api/v1/policies`, { method: 'GET' });
      assert.equal(anon.status, 401, 'policy API without a bearer token');

      // Push the demo image and time push complete → verdict for its digest in the verdicts bucket.
      const demoRef = `${host}/demo/postgres:16`;
      await pushImage(host, 'demo/postgres', '16', demo);
      const pushedAt = performance.now();
      const demoVerdict = await finalVerdict(s, demo.digest, 120_000, 'the demo');
      const pushToVerdictMs = Math.round(performance.now() - pushedAt);

      const cleanRef = `${host}/demo/hello:1.0`;
      await pushImage(host, 'demo/hello', '1.0', clean);
      const cleanVerdict = await finalVerdict(s, clean.digest, 60_000, 'the clean');

      assert.equal(demoVerdict.compliance, Compliance.NON_COMPLIANT, `demo verdict: ${show(demoVerdict)}`);
      const keyReason = demoVerdict.reasons.find((r) => r.policy === IMAGE_POLICY && /ssl-cert-snakeoil\.key/.test(r.message));
      assert.ok(keyReason, `demo verdict names the snakeoil key under ${IMAGE_POLICY}: ${show(demoVerdict.reasons)}`);
      assert.equal(cleanVerdict.compliance, Compliance.COMPLIANT, `clean verdict: ${show(cleanVerdict)}`);

      // The webhook, over HTTPS, as the API server calls it.
      const unregisteredRef = `${host}/demo/never-pushed:1.0`;
      const review = async (uid: string, name: string, image: string) => {
        const res = await post(s.agent, `${s.webhookUrl}/validate`, deploymentReview(uid, 'demo', name, [image]));
        assert.equal(res.status, 200, `webhook answer for ${image}: ${show(res.json)}`);
        assert.equal(res.json?.apiVersion, 'admission.k8s.io/v1');
        assert.equal(res.json?.response?.uid, uid);
        return res.json.response as { allowed: boolean; status?: { code?: number; message?: string } };
      };
      const rDemo = await review('e2e-uid-demo', 'postgres', demoRef);
      const rClean = await review('e2e-uid-clean', 'hello', cleanRef);
      const rUnregistered = await review('e2e-uid-unregistered', 'ghost', unregisteredRef);

      assert.equal(rDemo.allowed, false, `demo image must be denied: ${show(rDemo)}`);
      assert.equal(rDemo.status?.code, 403, show(rDemo));
      assert.match(rDemo.status?.message ?? '', /\/etc\/ssl\/private\/ssl-cert-snakeoil\.key/, show(rDemo));
      assert.match(rDemo.status?.message ?? '', /private/, show(rDemo));
      assert.equal(rClean.allowed, true, `clean image must be allowed: ${show(rClean)}`);
      assert.equal(rUnregistered.allowed, false, `unregistered image must be denied: ${show(rUnregistered)}`);
      assert.match(rUnregistered.status?.message ?? '', /not registered|unregistered/, show(rUnregistered));

      // The admission decisions, indexed by audit into the Elasticsearch stand-in.
      const count = async (query?: unknown): Promise<number> => {
        const res = await fetch(`${s.standin.url}/${s.dataStream}/_count`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(query ? { query } : {}),
        });
        if (res.status === 404) return 0;
        assert.equal(res.status, 200, `_count: ${await res.clone().text()}`);
        return ((await res.json()) as { count: number }).count;
      };
      const admissionDocs = await waitFor(
        'three admission decisions in Elasticsearch',
        async () => {
          const n = await count({ term: { 'event.action': 'admission' } });
          return n >= 3 ? n : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      assert.equal(admissionDocs, 3, 'one audit document per admission decision');
      const admissionWhere = (...filter: unknown[]) => count({ bool: { filter: [{ term: { 'event.action': 'admission' } }, ...filter] } });
      assert.equal(await admissionWhere({ term: { 'event.outcome': 'failure' } }), 2, 'two denials audited');
      assert.equal(await admissionWhere({ term: { 'event.outcome': 'success' } }), 1, 'one admission audited');
      assert.equal(
        await admissionWhere({ term: { 'event.outcome': 'failure' } }, { term: { 'container.image.hash.all': demo.digest } }),
        1,
        'the denial of the demo image is audited with its digest',
      );
      assert.equal(
        await admissionWhere({ term: { 'event.outcome': 'success' } }, { term: { 'container.image.hash.all': clean.digest } }),
        1,
        'the admission of the clean image is audited with its digest',
      );
      const auditEvents = await count();
      const byAction: Record<string, number> = {};
      for (const action of ['admission', 'scan', 'policy-change', 'unknown'])
        byAction[action] = await count({ term: { 'event.action': action } });
      t.diagnostic(`demo image denied with: ${rDemo.status?.message ?? ''}`);
      t.diagnostic(`audit documents by event.action: ${show(byAction)}`);

      t.diagnostic(
        `demo: denied=${[rDemo, rUnregistered].filter((r) => !r.allowed).length} allowed=${[rClean].filter((r) => r.allowed).length} audit_events=${auditEvents} push_to_verdict_ms=${pushToVerdictMs}`,
      );
      assert.ok(pushToVerdictMs < LATENCY_BUDGET_MS, `push-to-verdict ${pushToVerdictMs} ms ≥ ${LATENCY_BUDGET_MS} ms`);
    },
  );
});
