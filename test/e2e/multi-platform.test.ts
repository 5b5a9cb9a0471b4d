// Multi-platform images end to end on real servers: a two-platform index (linux/amd64 clean,
// linux/arm64/v8 with a PEM private key) is pushed by tag to a real registry; registry-watcher
// maps the tag to the index digest and announces both platforms and the index; the scanner scans
// each platform; policy judges each platform and writes an aggregate verdict under the index
// digest. The admission webhook then decides the tag by the platforms the namespace's runtime
// policy names: allowed while only linux/amd64 counts, denied (naming linux/arm64 and the
// control) once linux/arm64 counts too, and denied when the index offers none of them.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { toJson } from '@bufbuild/protobuf';
import type { Admission } from '@assay/admission';
import { formatReference, parseReference } from '@assay/image-ref';
import { Compliance, digestBucketKey, tagBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import { post } from '../admission/helpers.ts';
import { deploymentReview, imagePolicyDocument, IMAGE_POLICY } from '../../scripts/demo/walkthrough.ts';
import { buildImage, buildIndex, pushImage, type BuiltImage, type BuiltIndex } from '../support/oci-image.ts';
import { waitFor } from '../support/processes.ts';
import { POLICY_TOKEN, show, startStack, type Stack } from './stack.ts';

const NAMESPACE = 'multi';
const RUNTIME_POLICY = 'multi-platform-gate';
const S390X_NAMESPACE = 'multi-s390x';
const S390X_POLICY = 's390x-only';
const KEY_PATH = 'etc/ssl/private/multi-arm64.key';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

type Wanted = { os: string; architecture: string; variant?: string };

function runtimePolicy(namespace: string, platforms: Wanted[]): Record<string, unknown> {
  return {
    name: `multi-platform gate for ${namespace}`,
    enabled: true,
    enforcement: 'enforce',
    scope: { namespaces: [namespace] },
    imagePolicies: [IMAGE_POLICY],
    blockUnregistered: true,
    blockPending: true,
    platforms,
  };
}

const judged = (c: Compliance) => c !== Compliance.PENDING && c !== Compliance.UNSPECIFIED;

/** The two-platform index: amd64 clean, arm64/v8 holding a private key made at run time. */
async function buildMultiPlatformIndex(): Promise<{ index: BuiltIndex; amd64: BuiltImage; arm64: BuiltImage }> {
  // Generated here so the repository holds no key-shaped literal.
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const amd64 = await buildImage({
    platform: { os: 'linux', architecture: 'amd64' },
    config: { User: '1000', Cmd: ['/app/hello'] },
    layers: [
      [
        { path: 'app', type: 'dir' },
        { path: 'app/hello', mode: 0o755, content: '#!/bin/sh\necho hello from amd64\n' },
        { path: 'app/README', content: 'the amd64 build: no keys, no packages\n' },
      ],
    ],
  });
  const arm64 = await buildImage({
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    config: { User: '1000', Cmd: ['/app/hello'] },
    layers: [
      [
        { path: 'app', type: 'dir' },
        { path: 'app/hello', mode: 0o755, content: '#!/bin/sh\necho hello from arm64\n' },
        { path: 'etc', type: 'dir' },
        { path: 'etc/ssl', type: 'dir' },
        { path: 'etc/ssl/private', type: 'dir', mode: 0o700 },
        { path: KEY_PATH, mode: 0o600, content: pem },
      ],
    ],
  });
  return { index: buildIndex([amd64, arm64]), amd64, arm64 };
}

describe('e2e: a multi-platform image', { timeout: 300_000 }, () => {
  let stack: Stack | undefined;
  let built: Awaited<ReturnType<typeof buildMultiPlatformIndex>>;

  before(
    async () => {
      built = await buildMultiPlatformIndex();
      stack = await startStack();
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await stack?.close();
  });

  it(
    'gets an aggregate verdict under its index digest, and admission decides by the runtime policy platforms',
    { timeout: 240_000 },
    async (t) => {
      const s = stack!;
      const host = s.registry.host;
      const { index, amd64, arm64 } = built;
      assert.notEqual(amd64.digest, arm64.digest);
      const admission = s.services.admission!.api as Admission;

      /** Waits until admission's runtime-policy mirror holds `id` at `version` (or newer). */
      const policyInAdmission = (id: string, version: number) =>
        waitFor(
          `runtime policy ${id} v${version} in admission's mirror`,
          () => [...admission.runtimePolicies.entries()].some(([, v]) => v.id === id && v.version >= version) || undefined,
          { timeoutMs: 20_000, intervalMs: 20 },
        );

      // 1. Policies through the REST API.
      const ip = await s.policyCall('POST', '/api/v1/policies', { id: IMAGE_POLICY, document: imagePolicyDocument() });
      assert.equal(ip.status, 201, `create image assurance policy: ${ip.text}`);
      const rp = await s.policyCall('POST', '/api/v1/runtime-policies', {
        id: RUNTIME_POLICY,
        document: runtimePolicy(NAMESPACE, [{ os: 'linux', architecture: 'amd64' }]),
      });
      assert.equal(rp.status, 201, `create runtime policy: ${rp.text}`);
      assert.equal(rp.json?.version, 1, rp.text);
      const s390 = await s.policyCall('POST', '/api/v1/runtime-policies', {
        id: S390X_POLICY,
        document: runtimePolicy(S390X_NAMESPACE, [{ os: 'linux', architecture: 's390x' }]),
      });
      assert.equal(s390.status, 201, `create s390x runtime policy: ${s390.text}`);

      // 2. Push the index by tag.
      const ref = `${host}/team/multi:v1`;
      assert.equal(await pushImage(host, 'team/multi', 'v1', index), index.digest);

      // 3. The aggregate verdict under the index digest, once every platform is judged.
      let indexVerdict: Verdict;
      try {
        indexVerdict = await waitFor(
          `index verdict of ${index.digest} with every platform judged`,
          async () => {
            const v = await s.verdict(index.digest);
            return v && v.platforms.length > 0 && v.platforms.every((p) => judged(p.compliance)) ? v : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 50 },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; verdicts bucket holds ${show((await s.verdict(index.digest)) ?? null)}`);
      }
      t.diagnostic(`index verdict: ${show(toJson(VerdictSchema, indexVerdict))}`);
      assert.equal(indexVerdict.compliance, Compliance.NON_COMPLIANT, `index verdict: ${show(indexVerdict)}`);
      assert.equal(indexVerdict.image?.digest, index.digest);
      assert.equal(indexVerdict.platforms.length, 2, `both platforms listed: ${show(indexVerdict.platforms)}`);
      const byDigest = new Map(indexVerdict.platforms.map((p) => [p.digest, p]));
      const pAmd64 = byDigest.get(amd64.digest);
      const pArm64 = byDigest.get(arm64.digest);
      assert.ok(pAmd64, `amd64 manifest ${amd64.digest} listed: ${show(indexVerdict.platforms)}`);
      assert.ok(pArm64, `arm64 manifest ${arm64.digest} listed: ${show(indexVerdict.platforms)}`);
      assert.deepEqual(
        [pAmd64.platform?.os, pAmd64.platform?.architecture, pAmd64.platform?.variant || undefined],
        ['linux', 'amd64', undefined],
      );
      assert.deepEqual([pArm64.platform?.os, pArm64.platform?.architecture, pArm64.platform?.variant], ['linux', 'arm64', 'v8']);
      assert.equal(pAmd64.compliance, Compliance.COMPLIANT, `amd64: ${show(pAmd64)}`);
      assert.equal(pArm64.compliance, Compliance.NON_COMPLIANT, `arm64: ${show(pArm64)}`);
      assert.ok(
        pArm64.reasons.some((r) => r.policy === IMAGE_POLICY && r.message.includes(KEY_PATH)),
        `arm64 platform reasons name the key: ${show(pArm64.reasons)}`,
      );
      assert.deepEqual(pAmd64.reasons, [], 'the clean platform has no reasons');
      // The platforms' own verdicts agree with what the index lists.
      assert.equal((await s.verdict(amd64.digest))?.compliance, Compliance.COMPLIANT, 'amd64 manifest verdict');
      assert.equal((await s.verdict(arm64.digest))?.compliance, Compliance.NON_COMPLIANT, 'arm64 manifest verdict');
      const keyReason = indexVerdict.reasons.find(
        (r) => r.policy === IMAGE_POLICY && r.message.startsWith('linux/arm64/v8: ') && r.message.includes(KEY_PATH),
      );
      assert.ok(keyReason, `a top-level reason names linux/arm64 and ${KEY_PATH}: ${show(indexVerdict.reasons)}`);
      assert.ok(
        indexVerdict.reasons.every((r) => !r.message.startsWith('linux/amd64')),
        `no reason blames linux/amd64: ${show(indexVerdict.reasons)}`,
      );

      // The same verdict over REST, in its protobuf JSON form.
      const rest = await s.policyCall('GET', `/api/v1/verdicts/${index.digest}`);
      assert.equal(rest.status, 200, `GET verdict: ${rest.text}`);
      assert.equal(rest.json?.compliance, 'COMPLIANCE_NON_COMPLIANT', rest.text);
      assert.equal(rest.json?.image?.digest, index.digest, rest.text);
      const restPlatforms = new Map<string, any>((rest.json?.platforms ?? []).map((p: any) => [p.digest, p]));
      assert.equal(restPlatforms.size, 2, rest.text);
      assert.equal(restPlatforms.get(amd64.digest)?.compliance, 'COMPLIANCE_COMPLIANT', rest.text);
      assert.equal(restPlatforms.get(arm64.digest)?.compliance, 'COMPLIANCE_NON_COMPLIANT', rest.text);
      assert.deepEqual(restPlatforms.get(arm64.digest)?.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' }, rest.text);
      assert.ok(
        (rest.json?.reasons ?? []).some(
          (r: any) => typeof r.message === 'string' && r.message.startsWith('linux/arm64/v8: ') && r.message.includes(KEY_PATH),
        ),
        rest.text,
      );
      assert.deepEqual(rest.json, toJson(VerdictSchema, (await s.verdict(index.digest))!), 'REST answers what the bucket holds');
      const missing = await s.policyCall('GET', `/api/v1/verdicts/sha256:${'0'.repeat(64)}`);
      assert.equal(missing.status, 404, `GET verdict of an unknown digest: ${missing.text}`);

      // 4. Admission. Its mirrors first: the runtime policy, the tag → index digest, the verdict.
      await policyInAdmission(RUNTIME_POLICY, 1);
      await policyInAdmission(S390X_POLICY, 1);
      const canonical = formatReference(parseReference(ref));
      await waitFor(
        `admission's mirrors: ${canonical} → ${index.digest}, and its judged verdict`,
        () => {
          if (admission.tags.get(tagBucketKey(canonical)) !== index.digest) return undefined;
          const v = admission.verdicts.get(digestBucketKey(index.digest));
          return v && v.platforms.length === 2 && v.platforms.every((p) => judged(p.compliance)) ? true : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 20 },
      );
      let uid = 0;
      const review = async (namespace: string, image: string) => {
        const id = `e2e-multi-${++uid}`;
        const res = await post(s.agent, `${s.webhookUrl}/validate`, deploymentReview(id, namespace, `app${uid}`, [image]));
        assert.equal(res.status, 200, `webhook answer for ${image}: ${show(res.json)}`);
        assert.equal(res.json?.response?.uid, id);
        return res.json.response as { allowed: boolean; status?: { code?: number; message?: string }; warnings?: string[] };
      };

      // The runtime policy is in force: an image never pushed and the arm64 manifest by digest are refused.
      const ghost = await review(NAMESPACE, `${host}/team/never-pushed:v1`);
      assert.equal(ghost.allowed, false, `an unregistered image is refused: ${show(ghost)}`);
      const armByDigest = await review(NAMESPACE, `${host}/team/multi@${arm64.digest}`);
      assert.equal(armByDigest.allowed, false, `the arm64 manifest by digest is refused: ${show(armByDigest)}`);
      assert.match(armByDigest.status?.message ?? '', new RegExp(escape(KEY_PATH)), show(armByDigest));
      const amdByDigest = await review(NAMESPACE, `${host}/team/multi@${amd64.digest}`);
      assert.equal(amdByDigest.allowed, true, `the amd64 manifest by digest is admitted: ${show(amdByDigest)}`);

      // The tag: only linux/amd64 counts, and it is compliant.
      const amd64Only = await review(NAMESPACE, ref);
      assert.equal(amd64Only.allowed, true, `${ref} under a linux/amd64 policy: ${show(amd64Only)}`);
      assert.equal(amd64Only.status, undefined, show(amd64Only));

      // 5. The runtime policy now admits linux/arm64 too: the tag is refused.
      const current = await fetch(`${s.policyUrl}/api/v1/runtime-policies/${RUNTIME_POLICY}`, {
        headers: { authorization: `Bearer ${POLICY_TOKEN}` },
      });
      assert.equal(current.status, 200);
      const etag = current.headers.get('etag');
      assert.equal(etag, '"1"');
      const put = await fetch(`${s.policyUrl}/api/v1/runtime-policies/${RUNTIME_POLICY}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${POLICY_TOKEN}`, 'content-type': 'application/json', 'if-match': etag! },
        body: JSON.stringify({
          document: runtimePolicy(NAMESPACE, [
            { os: 'linux', architecture: 'amd64' },
            { os: 'linux', architecture: 'arm64' },
          ]),
        }),
      });
      const putText = await put.text();
      assert.equal(put.status, 200, `replace runtime policy: ${putText}`);
      assert.equal(put.headers.get('etag'), '"2"', putText);
      await policyInAdmission(RUNTIME_POLICY, 2);

      const both = await review(NAMESPACE, ref);
      assert.equal(both.allowed, false, `${ref} under a linux/amd64 + linux/arm64 policy: ${show(both)}`);
      assert.equal(both.status?.code, 403, show(both));
      const message = both.status?.message ?? '';
      assert.match(message, new RegExp(escape(index.digest)), `the denial names the index digest: ${message}`);
      assert.match(message, /linux\/arm64/, `the denial names the platform: ${message}`);
      assert.match(message, new RegExp(escape(`${IMAGE_POLICY}/${keyReason.control}`)), `the denial names the failed control: ${message}`);
      assert.equal(keyReason.control, 'sensitiveData', show(keyReason));
      assert.match(message, new RegExp(escape(KEY_PATH)), `the denial names the key: ${message}`);
      assert.doesNotMatch(message, /linux\/amd64:/, `the compliant platform is not blamed: ${message}`);

      // 6. A runtime policy admitting only linux/s390x: the index offers none of its platforms.
      const s390x = await review(S390X_NAMESPACE, ref);
      assert.equal(s390x.allowed, false, `${ref} under a linux/s390x policy: ${show(s390x)}`);
      assert.match(
        s390x.status?.message ?? '',
        new RegExp(`offers none of the platforms runtime policy ${S390X_POLICY} admits`),
        show(s390x),
      );
      assert.match(s390x.status?.message ?? '', /linux\/s390x/, show(s390x));
      t.diagnostic(`denied under linux/amd64+linux/arm64: ${message}`);
      t.diagnostic(`denied under linux/s390x: ${s390x.status?.message ?? ''}`);
    },
  );
});
