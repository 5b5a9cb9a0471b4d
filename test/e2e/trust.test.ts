// Supply-chain trust end to end on the real stack (real nats-server, real registry notifying
// registry-watcher, scanner, policy, admission, audit): an image under a "trusted signers" policy
// is denied while unsigned; its cosign signature pushed afterwards makes the watcher ask for a
// trust refresh, the scanner verifies again WITHOUT scanning the layers again, the verdict turns
// compliant and admission allows. An unsigned image in scope stays denied, one out of scope is
// not concerned. A multi-platform index signed on the index only is compliant while the policy
// lets an index signature count for its platforms, and not once only a platform's own signature
// counts; rotating the policy's key makes the signed image non-compliant, naming the signature.
// Signatures are cosign's simple-signing format (test/support/cosign-artifacts.ts), stored under
// cosign's `sha256-<hex>.sig` tag as cosign stores them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Admission } from '@assay/admission';
import { formatReference, parseReference } from '@assay/image-ref';
import { Compliance, digestBucketKey, tagBucketKey, type Verdict, type VerdictReason } from '@assay/proto';
import type { Scanner } from '@assay/scanner';
import { post } from '../admission/helpers.ts';
import { deploymentReview } from '../../scripts/demo/walkthrough.ts';
import { cosignTagOf, ecdsaKeyPair, pushCosignManifest, signatureLayer } from '../support/cosign-artifacts.ts';
import { buildImage, buildIndex, pushImage, type BuiltImage, type BuiltIndex } from '../support/oci-image.ts';
import { waitFor } from '../support/processes.ts';
import { finalVerdict, show, startStack, type Stack } from './stack.ts';

const NAMESPACE = 'trusted';
const IMAGE_POLICY = 'trusted-signers';
const RUNTIME_POLICY = 'trusted-signers-gate';
const SIGNED_REPO = 'signed/app';
const UNSIGNED_REPO = 'signed/unsigned';
const MULTI_REPO = 'signed/multi';
const OTHER_REPO = 'other/app';

type SignedDigest = 'platform' | 'index' | 'either';

function imagePolicy(keyPem: string, signedDigest: SignedDigest): Record<string, unknown> {
  return {
    name: 'Images under signed/ must be signed by the release key',
    enabled: true,
    action: 'block',
    scope: { repositories: ['signed/*'] },
    controls: { signatures: { signers: [{ name: 'release key', key: keyPem }], signedDigest } },
  };
}

/** The platform the runtime policy admits, and single-platform images are built for. */
const AMD64 = { os: 'linux', architecture: 'amd64' };

const runtimePolicy = {
  name: 'trusted signers enforced',
  enabled: true,
  enforcement: 'enforce',
  scope: { namespaces: [NAMESPACE] },
  imagePolicies: [IMAGE_POLICY],
  blockUnregistered: true,
  blockPending: true,
  platforms: [AMD64],
};

/** A small image whose content names `what`, so each has its own digest. */
const smallImage = (what: string, platform: { os: string; architecture: string; variant?: string } = AMD64) =>
  buildImage({
    platform,
    config: { User: '1000', Cmd: ['/app/hello'] },
    layers: [
      [
        { path: 'app', type: 'dir' },
        { path: 'app/hello', mode: 0o755, content: `#!/bin/sh\necho ${what}\n` },
      ],
    ],
  });

/** A report timestamp (a Date, or its ISO text) as ISO text, to compare. */
const iso = (d: Date | string) => new Date(d).toISOString();

const signatureReasons = (v: Pick<Verdict, 'reasons'> | undefined): VerdictReason[] =>
  (v?.reasons ?? []).filter((r) => r.policy === IMAGE_POLICY && r.control === 'signatures');

describe('e2e: supply-chain trust, from a pushed signature to admission', { timeout: 180_000 }, () => {
  let stack: Stack | undefined;
  let images: { signed: BuiltImage; unsigned: BuiltImage; other: BuiltImage; amd64: BuiltImage; arm64: BuiltImage; index: BuiltIndex };

  before(
    async () => {
      const [signed, unsigned, other, amd64, arm64] = await Promise.all([
        smallImage('signed'),
        smallImage('unsigned'),
        smallImage('out of scope'),
        smallImage('multi amd64', { os: 'linux', architecture: 'amd64' }),
        smallImage('multi arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      ]);
      images = { signed, unsigned, other, amd64, arm64, index: buildIndex([amd64, arm64]) };
      stack = await startStack();
    },
    { timeout: 90_000 },
  );

  after(async () => {
    await stack?.close();
  });

  it('denies unsigned, re-verifies a pushed signature without rescanning, judges index signatures and key rotation', async (t) => {
    const s = stack!;
    const host = s.registry.host;
    const admission = s.services.admission!.api as Admission;
    const scanner = s.services.scanner!.api as Scanner;
    const { signed, unsigned, other, amd64, arm64, index } = images;
    const release = ecdsaKeyPair();
    const rotated = ecdsaKeyPair();

    // Policies: trusted signers over signed/*, enforced in one namespace.
    const ip = await s.policyCall('POST', '/api/v1/policies', { id: IMAGE_POLICY, document: imagePolicy(release.publicKeyPem, 'either') });
    assert.equal(ip.status, 201, `create image policy: ${ip.text}`);
    const rp = await s.policyCall('POST', '/api/v1/runtime-policies', { id: RUNTIME_POLICY, document: runtimePolicy });
    assert.equal(rp.status, 201, `create runtime policy: ${rp.text}`);
    let policyVersion = 1;
    const replacePolicy = async (keyPem: string, signedDigest: SignedDigest) => {
      const r = await s.policyCall('PUT', `/api/v1/policies/${IMAGE_POLICY}`, {
        document: imagePolicy(keyPem, signedDigest),
        expectedVersion: policyVersion,
      });
      assert.equal(r.status, 200, `replace image policy: ${r.text}`);
      policyVersion = r.json.version;
    };
    await waitFor(
      'the runtime policy in admission',
      () => [...admission.runtimePolicies.entries()].some(([, p]) => p.id === RUNTIME_POLICY) || undefined,
      { timeoutMs: 20_000, intervalMs: 20 },
    );

    // Everything pushed by tag at once; the watcher announces each.
    await Promise.all([
      pushImage(host, SIGNED_REPO, 'v1', signed),
      pushImage(host, UNSIGNED_REPO, 'v1', unsigned),
      pushImage(host, OTHER_REPO, 'v1', other),
      pushImage(host, MULTI_REPO, 'v1', index),
    ]);
    const refOf = (repo: string) => `${host}/${repo}:v1`;

    let uid = 0;
    const reviews: { uid: string; image: string }[] = [];
    const review = async (image: string) => {
      const id = `e2e-trust-${++uid}`;
      reviews.push({ uid: id, image });
      const res = await post(s.agent, `${s.webhookUrl}/validate`, deploymentReview(id, NAMESPACE, `app${uid}`, [image]));
      assert.equal(res.status, 200, `webhook answer for ${image}: ${show(res.json)}`);
      return { uid: id, ...(res.json.response as { allowed: boolean; status?: { code?: number; message?: string } }) };
    };
    /** Admission's answer for `image` once it satisfies `ok` (its mirrors follow the verdicts). */
    const reviewUntil = async (image: string, what: string, ok: (r: Awaited<ReturnType<typeof review>>) => boolean) => {
      let last: Awaited<ReturnType<typeof review>> | undefined;
      try {
        return await waitFor(
          `admission: ${image} ${what}`,
          async () => {
            last = await review(image);
            return ok(last) ? last : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 100 },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; last answer ${show(last)}`);
      }
    };
    const verdictUntil = async (digest: string, what: string, ok: (v: Verdict) => boolean, timeoutMs = 60_000) => {
      try {
        return await waitFor(
          `verdict of ${digest}: ${what}`,
          async () => {
            const v = await s.verdict(digest);
            return v && ok(v) ? v : undefined;
          },
          { timeoutMs, intervalMs: 50 },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; verdicts bucket holds ${show((await s.verdict(digest)) ?? null)}`);
      }
    };

    // 1. Unsigned in scope: non-compliant, "not signed", denied naming the reason.
    const first = await finalVerdict(s, signed.digest, 60_000, 'the to-be-signed');
    assert.equal(first.compliance, Compliance.NON_COMPLIANT, show(first));
    const notSigned = signatureReasons(first);
    assert.ok(
      notSigned.some((r) => r.message.includes('not signed: no signature found')),
      `a "not signed" reason: ${show(first.reasons)}`,
    );
    assert.equal(first.trust?.signed, false, `trust summary: ${show(first.trust)}`);
    const denied = await reviewUntil(
      refOf(SIGNED_REPO),
      'denied',
      (r) => r.allowed === false && /not signed/.test(r.status?.message ?? ''),
    );
    assert.equal(denied.status?.code, 403, show(denied));
    assert.match(denied.status?.message ?? '', new RegExp(`${IMAGE_POLICY}/signatures`), show(denied));

    // Every image judged first, so the scanner's counters below count only what the signature causes.
    const platformsJudged = (v: Verdict) =>
      v.platforms.length === 2 && v.platforms.every((p) => p.compliance !== Compliance.PENDING && p.compliance !== Compliance.UNSPECIFIED);
    const [unsignedVerdict, otherVerdict, unsignedIndex] = await Promise.all([
      finalVerdict(s, unsigned.digest, 60_000, 'the unsigned'),
      finalVerdict(s, other.digest, 60_000, 'the out-of-scope'),
      verdictUntil(index.digest, 'both platforms judged', platformsJudged),
    ]);

    // The signature is pushed after the image: a trust refresh, no layer scanned again.
    const reportBefore = await scanner.store.reports.get(signed.digest);
    assert.ok(reportBefore?.trust, 'the report has a trust section');
    assert.equal(reportBefore.trust.signatures.length, 0, show(reportBefore.trust));
    const scansBefore = scanner.jobs.scansRun;
    const layersBefore = scanner.jobs.counters.layersWalked + scanner.jobs.counters.layersCached;
    await pushCosignManifest(s.registry.url, SIGNED_REPO, cosignTagOf(signed.digest, '.sig'), [
      signatureLayer(release.privateKey, `${host}/${SIGNED_REPO}`, signed.digest),
    ]);
    const compliant = await verdictUntil(signed.digest, 'compliant once signed', (v) => v.compliance === Compliance.COMPLIANT);
    assert.deepEqual(signatureReasons(compliant), [], show(compliant.reasons));
    assert.equal(compliant.trust?.signed, true, show(compliant.trust));
    const reportAfter = await scanner.store.reports.get(signed.digest);
    assert.equal(reportAfter?.trust?.signatures.length, 1, show(reportAfter?.trust));
    assert.equal(reportAfter.trust.signatures[0]!.source, 'cosign-tag');
    assert.equal(iso(reportAfter.scannedAt), iso(reportBefore.scannedAt), 'the image was not scanned again');
    assert.notEqual(iso(reportAfter.trust.verifiedAt), iso(reportBefore.trust.verifiedAt), 'its trust was verified again');
    assert.equal(scanner.jobs.scansRun, scansBefore, 'no scan ran for the signature');
    assert.equal(scanner.jobs.counters.layersWalked + scanner.jobs.counters.layersCached, layersBefore, 'no layer read again');
    const allowed = await reviewUntil(refOf(SIGNED_REPO), 'allowed once signed', (r) => r.allowed);
    assert.equal(allowed.status?.message ?? '', '', show(allowed));

    // 2. An unsigned image in scope stays denied; one out of scope is not concerned.
    assert.equal(unsignedVerdict.compliance, Compliance.NON_COMPLIANT, show(unsignedVerdict));
    assert.ok(
      signatureReasons(unsignedVerdict).some((r) => r.message.includes('not signed: no signature found')),
      show(unsignedVerdict.reasons),
    );
    const unsignedDenied = await reviewUntil(refOf(UNSIGNED_REPO), 'denied', (r) => r.allowed === false);
    assert.match(unsignedDenied.status?.message ?? '', /not signed/, show(unsignedDenied));
    assert.equal(otherVerdict.compliance, Compliance.COMPLIANT, show(otherVerdict));
    assert.deepEqual(signatureReasons(otherVerdict), [], show(otherVerdict.reasons));
    const otherAllowed = await reviewUntil(refOf(OTHER_REPO), 'allowed', (r) => r.allowed);
    assert.equal(otherAllowed.allowed, true);

    // 3. The index signed on the index only (pushed once the platforms are judged).
    assert.equal(unsignedIndex.compliance, Compliance.NON_COMPLIANT, show(unsignedIndex));
    await pushCosignManifest(s.registry.url, MULTI_REPO, cosignTagOf(index.digest, '.sig'), [
      signatureLayer(release.privateKey, `${host}/${MULTI_REPO}`, index.digest),
    ]);
    const signedIndex = await verdictUntil(
      index.digest,
      'compliant with the index signature counting for its platforms',
      (v) => platformsJudged(v) && v.compliance === Compliance.COMPLIANT && v.platforms.every((p) => p.compliance === Compliance.COMPLIANT),
    );
    t.diagnostic(`index signed, signedDigest either: ${show(signedIndex.platforms.map((p) => [p.digest, p.compliance]))}`);
    for (const p of [amd64, arm64]) {
      const v = await s.verdict(p.digest);
      assert.equal(v?.compliance, Compliance.COMPLIANT, `platform ${p.digest}: ${show(v)}`);
      const r = await scanner.store.reports.get(p.digest);
      assert.deepEqual(
        r?.trust?.signatures.map((x) => [x.scope, x.subject]),
        [['index', index.digest]],
        `platform ${p.digest} carries the index's signature: ${show(r?.trust)}`,
      );
    }

    // Only a platform's own signature counts: the platforms and the index turn non-compliant.
    const otherRevision = (await s.verdicts.get(digestBucketKey(other.digest)))?.revision;
    await replacePolicy(release.publicKeyPem, 'platform');
    const platformRule = await verdictUntil(
      index.digest,
      'non-compliant once only platform signatures count',
      (v) => platformsJudged(v) && v.compliance === Compliance.NON_COMPLIANT,
    );
    for (const p of [amd64, arm64]) {
      const v = await verdictUntil(p.digest, 'non-compliant (signedDigest: platform)', (x) => x.compliance === Compliance.NON_COMPLIANT);
      assert.ok(
        signatureReasons(v).some((r) => /signature on the index does not count \(signedDigest: platform\)/.test(r.message)),
        `platform ${p.digest}: ${show(v.reasons)}`,
      );
    }
    assert.ok(
      platformRule.platforms.every((p) => p.compliance === Compliance.NON_COMPLIANT),
      show(platformRule.platforms.map((p) => [p.digest, p.compliance])),
    );
    // The image signed on its own digest still passes; the image out of scope was not judged again.
    assert.equal((await s.verdict(signed.digest))?.compliance, Compliance.COMPLIANT);
    assert.equal((await s.verdicts.get(digestBucketKey(other.digest)))?.revision, otherRevision, 'the out-of-scope verdict untouched');

    // 4. Key rotation: the policy trusts another key; the signed image is signed by one it does not trust.
    await replacePolicy(rotated.publicKeyPem, 'either');
    const rotatedVerdict = await verdictUntil(
      signed.digest,
      'non-compliant after the key rotation',
      (v) => v.compliance === Compliance.NON_COMPLIANT,
    );
    const untrusted = signatureReasons(rotatedVerdict).find((r) => /signed with a key this policy does not trust/.test(r.message));
    assert.ok(untrusted, `an untrusted-key reason: ${show(rotatedVerdict.reasons)}`);
    // A cosign signature carries no key: the reason says a key nobody trusted verifies it.
    assert.match(untrusted.message, /a key signature; checked against release key/, untrusted.message);
    assert.ok(
      untrusted.evidence.some((e) => e.fields.subject === signed.digest),
      `the evidence names the signature's subject: ${show(untrusted.evidence)}`,
    );
    const rotatedDenied = await reviewUntil(refOf(SIGNED_REPO), 'denied after the key rotation', (r) => r.allowed === false);
    assert.match(rotatedDenied.status?.message ?? '', /signed with a key this policy does not trust/, show(rotatedDenied));

    // 5. Audit: the denials' documents carry the trust summary and the reasons' trust evidence.
    type Doc = {
      event?: { action?: string };
      kubernetes?: { admission?: { uid?: string } };
      assay?: {
        trust?: { signed?: boolean; signers?: string[] };
        reasons?: { control?: string; trust?: { subject?: string[] } }[];
      };
    };
    const docOf = (u: string) =>
      waitFor(
        `audit document of admission ${u}`,
        () =>
          (s.standin.documents(s.dataStream) as Doc[]).find((d) => d.event?.action === 'admission' && d.kubernetes?.admission?.uid === u),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    const unsignedDoc = await docOf(denied.uid);
    assert.equal(unsignedDoc.assay?.trust?.signed, false, show(unsignedDoc.assay));
    const unsignedReason = unsignedDoc.assay?.reasons?.find((r) => r.control === 'signatures');
    assert.deepEqual(unsignedReason?.trust?.subject, [signed.digest], show(unsignedDoc.assay?.reasons));
    // The signature's re-verification is a scan event of its own, saying no scan ran.
    type ScanDoc = {
      event?: { action?: string };
      container?: { image?: { hash?: { all?: string[] } } };
      assay?: { scan?: { trust_only?: boolean }; trust?: { signed?: boolean } };
    };
    const refreshDoc = await waitFor(
      'the audit document of the trust re-verification',
      () =>
        (s.standin.documents(s.dataStream) as ScanDoc[]).find(
          (d) => d.event?.action === 'scan' && d.assay?.scan?.trust_only === true && d.container?.image?.hash?.all?.includes(signed.digest),
        ),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    assert.equal(refreshDoc.assay?.trust?.signed, true, show(refreshDoc.assay));
    const rotatedDoc = await docOf(rotatedDenied.uid);
    assert.equal(rotatedDoc.assay?.trust?.signed, true, `signed, by a key the policy does not trust: ${show(rotatedDoc.assay)}`);
    assert.deepEqual(
      rotatedDoc.assay?.reasons?.find((r) => r.control === 'signatures')?.trust?.subject,
      [signed.digest],
      show(rotatedDoc.assay?.reasons),
    );

    // 6. A trust refresh arriving while the digest is being scanned does not join that scan (it may
    // have verified before the signature existed): it verifies again once the scan is done.
    const target = { registry: host, repository: SIGNED_REPO, digest: signed.digest, mediaType: signed.mediaType, platform: AMD64 };
    const scansBeforeForced = scanner.jobs.scansRun;
    const forced = scanner.jobs.scan(target, { force: true });
    const refresh = scanner.jobs.scan(target, { refreshTrust: true });
    assert.notEqual(refresh, forced, 'the refresh does not join the scan in flight');
    const [forcedOutcome, refreshOutcome] = await Promise.all([forced, refresh]);
    assert.equal(forcedOutcome.scanned, true, show(forcedOutcome));
    assert.equal(refreshOutcome.scanned, false, `the refresh reused the report the scan stored: ${show(refreshOutcome)}`);
    assert.equal(refreshOutcome.reportId, forcedOutcome.reportId);
    assert.equal(scanner.jobs.scansRun, scansBeforeForced + 1, 'only the forced scan ran');
    assert.equal(refreshOutcome.report.trust?.signatures.length, 1, show(refreshOutcome.report.trust));

    // Admission's mirror names the tag's digest (a sanity check that the tag was what was judged).
    assert.equal(admission.tags.get(tagBucketKey(formatReference(parseReference(refOf(SIGNED_REPO))))), signed.digest);
  });
});
