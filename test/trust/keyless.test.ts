// Keyless verification, offline: bundles signed here by @sigstore/sign against @sigstore/mock's
// Fulcio, Rekor and TSA (verified against a private trusted root of the mock's keys), real
// public-good bundles from sigstore-js's and cosign's test data (verified against the public-good
// root @sigstore/tuf ships), cosign's keyless annotations converted to a bundle, and each way a
// keyless signature must be refused, with the reason.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { CosignKeylessMaterial, TrustedRoots } from '@assay/trust';
import { bundleFromCosign, KEY_SIGNATURE_ERROR, loadTrustedRoots, verifyKeyless } from '@assay/trust';
import { MOCK_IDENTITY, MOCK_ISSUER, signKeyedDsse, startMockSigstore, type MockSigstore } from './sigstore-mock.ts';

const fixture = (path: string) => readFileSync(new URL(`fixtures/${path}`, import.meta.url));
const fixtureJSON = (path: string) => JSON.parse(fixture(path).toString('utf8')) as Record<string, any>;
const STATEMENT = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"}');
const IN_TOTO = 'application/vnd.in-toto+json';

/** Flips one bit of a base64 field's bytes. */
function flip(b64: string, at = 10): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes.toString('base64');
}

describe('verifyKeyless against a mock Sigstore (private trusted root)', () => {
  let sigstore: MockSigstore;
  let roots: TrustedRoots;
  before(async () => {
    sigstore = await startMockSigstore();
    roots = loadTrustedRoots({ publicGood: false, documents: [{ name: 'mock-root.json', json: sigstore.trustedRoot }] });
  });
  after(() => sigstore.close());

  it('verifies a message signature logged in Rekor: identity, issuer, log time, root', async () => {
    const data = Buffer.from('manifest bytes');
    const before = Date.now();
    const result = verifyKeyless(await sigstore.signMessage(data), data, roots);
    assert.equal(result.error, undefined);
    assert.equal(result.verified, true);
    assert.equal(result.identity, MOCK_IDENTITY);
    assert.equal(result.issuer, MOCK_ISSUER);
    assert.equal(result.timestamp, 'tlog');
    assert.equal(result.root, roots.ids[0]);
    assert.match(result.root!, /^private@[0-9a-f]{12}$/);
    assert.ok(Math.abs(result.signedAt!.getTime() - before) < 60_000);
  });

  it('verifies a DSSE bundle timestamped by the TSA alone (no log entry)', async () => {
    const bundle = (await sigstore.signDsse(STATEMENT, IN_TOTO, { tlog: false })) as Record<string, any>;
    assert.equal(bundle.verificationMaterial.tlogEntries?.length ?? 0, 0);
    const result = verifyKeyless(bundle, undefined, roots);
    assert.equal(result.verified, true, result.error);
    assert.equal(result.timestamp, 'tsa');
    assert.equal(result.identity, MOCK_IDENTITY);
  });

  it('refuses a bundle whose signature byte was flipped', async () => {
    const bundle = (await sigstore.signDsse(STATEMENT, IN_TOTO, { tsa: false })) as Record<string, any>;
    bundle.dsseEnvelope.signatures[0].sig = flip(bundle.dsseEnvelope.signatures[0].sig);
    const result = verifyKeyless(bundle, undefined, roots);
    assert.equal(result.verified, false);
    // The log entry records the original signature, so the tampering shows there first.
    assert.match(result.error!, /^transparency log: signature .*mismatch/);
  });

  it('refuses a bundle whose payload was changed after signing', async () => {
    const bundle = (await sigstore.signDsse(STATEMENT, IN_TOTO, { tlog: false })) as Record<string, any>;
    bundle.dsseEnvelope.payload = Buffer.from(STATEMENT.toString().replace('"x"', '"y"')).toString('base64');
    const result = verifyKeyless(bundle, undefined, roots);
    assert.equal(result.verified, false);
    assert.match(result.error!, /^signature: signature verification failed/);
  });

  it('refuses a message signature checked against another artifact, and one given no artifact', async () => {
    const bundle = await sigstore.signMessage(Buffer.from('the real manifest'), { tsa: false });
    const wrong = verifyKeyless(bundle, Buffer.from('another manifest'), roots);
    assert.equal(wrong.verified, false);
    assert.match(wrong.error!, /signature verification failed/);
    assert.match(verifyKeyless(bundle, undefined, roots).error!, /the signed artifact is needed/);
  });

  it('refuses a mock certificate under the public-good root only: the chain leads to no trusted CA', async () => {
    const bundle = await sigstore.signDsse(STATEMENT, IN_TOTO, { tsa: false });
    const result = verifyKeyless(bundle, undefined, loadTrustedRoots({ publicGood: true }));
    assert.equal(result.verified, false);
    assert.match(result.error!, /^certificate: Failed to verify certificate chain: no valid certificate path found/);
    // With the mock's TSA timestamp too, the timestamp (checked first) is the one refused.
    const stamped = verifyKeyless(await sigstore.signDsse(STATEMENT, IN_TOTO), undefined, loadTrustedRoots({ publicGood: true }));
    assert.match(stamped.error!, /^timestamp: /);
  });

  it('names each root that refused when several are configured', async () => {
    const both = loadTrustedRoots({ publicGood: true, documents: [{ name: 'mock-root.json', json: sigstore.trustedRoot }] });
    const data = Buffer.from('x');
    const ok = verifyKeyless(await sigstore.signMessage(data), data, both);
    assert.equal(ok.root, both.ids[1]);
    const bad = verifyKeyless(await sigstore.signMessage(data), Buffer.from('y'), both);
    assert.equal(bad.verified, false);
    assert.ok(bad.error!.includes(both.ids[0]!) && bad.error!.includes(both.ids[1]!), bad.error);
  });

  it('refuses an expired certificate when the bundle holds no log entry or timestamp', async () => {
    const bundle = (await sigstore.signDsse(STATEMENT, IN_TOTO)) as Record<string, any>;
    bundle.verificationMaterial.tlogEntries = [];
    delete bundle.verificationMaterial.timestampVerificationData;
    bundle.mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    const chain = bundle.verificationMaterial.x509CertificateChain;
    if (chain) {
      delete bundle.verificationMaterial.x509CertificateChain;
      bundle.verificationMaterial.certificate = chain.certificates[0];
    }
    const leaf = new X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'));
    const later = new Date(Date.parse(leaf.validTo) + 3_600_000);
    const result = verifyKeyless(bundle, undefined, roots, later);
    assert.equal(result.verified, false);
    assert.match(result.error!, /^certificate expired at .* no transparency-log entry or RFC 3161 timestamp/);
  });

  it('reports a keyed bundle (no certificate) as a key signature, for the policy to check', async () => {
    const { bundle } = await signKeyedDsse(STATEMENT, IN_TOTO, 'release');
    assert.deepEqual(verifyKeyless(bundle, undefined, roots), { verified: false, error: KEY_SIGNATURE_ERROR });
  });

  it('never throws on garbage', () => {
    for (const junk of [undefined, null, 42, 'x', Buffer.from('{'), { mediaType: 'x' }]) {
      const result = verifyKeyless(junk, undefined, roots);
      assert.equal(result.verified, false);
      assert.ok(result.error && result.error.length > 0);
    }
  });

  it("judges cosign's keyless annotations on a simple-signing payload like the bundle they came from", async () => {
    const payload = Buffer.from('{"critical":{"type":"cosign container image signature"},"optional":null}');
    const bundle = (await sigstore.signMessage(payload)) as Record<string, any>;
    const material = cosignMaterialOf(bundle);
    const signature = bundle.messageSignature.signature as string;
    const result = verifyKeyless(bundleFromCosign(material, { payload, signature }), payload, roots);
    assert.equal(result.verified, true, result.error);
    assert.equal(result.identity, MOCK_IDENTITY);
    assert.equal(result.timestamp, 'tlog');

    const tampered = {
      ...material,
      rekorBundle: material.rekorBundle!.replace(/"SignedEntryTimestamp":"([^"]+)"/, (_, s) => `"SignedEntryTimestamp":"${flip(s, 20)}"`),
    };
    const refused = verifyKeyless(bundleFromCosign(tampered, { payload, signature }), payload, roots);
    assert.equal(refused.verified, false);
    assert.match(refused.error!, /transparency log/);
    assert.throws(() => bundleFromCosign({}, { payload, signature }), /no certificate/);
    assert.throws(() => bundleFromCosign({ ...material, rekorBundle: '{' }, { payload, signature }), /Rekor bundle annotation: not JSON/);
  });
});

describe('verifyKeyless on real public-good bundles', () => {
  const publicGood = loadTrustedRoots({ publicGood: true });

  for (const [file, identity] of [
    ['sigstore-js/bundleV01-dsse-with-proof.sigstore.json', 'brian@dehamer.com'],
    ['sigstore-js/bundleV02-intoto.sigstore.json', 'brian@dehamer.com'],
    ['sigstore-js/bundleV03-dsse.sigstore.json', 'brian@dehamer.com'],
    ['sigstore-js/bundleV03-intoto.sigstore.json', 'brian@dehamer.com'],
    ['cosign/oci-attestation.sigstore.json', 'cody@soyland.com'],
  ] as const) {
    it(`verifies ${file} against the public-good root`, () => {
      const result = verifyKeyless(fixture(file), undefined, publicGood);
      assert.equal(result.error, undefined);
      assert.equal(result.verified, true);
      assert.equal(result.identity, identity);
      assert.equal(result.issuer, 'https://github.com/login/oauth');
      assert.equal(result.timestamp, 'tlog');
      assert.equal(result.root, publicGood.ids[0]);
      assert.ok(result.signedAt! < new Date('2026-01-01'));
    });
  }

  it('verifies against a private copy of the public-good root (cosign test data), naming it', () => {
    const roots = loadTrustedRoots({
      publicGood: false,
      documents: [{ name: 'trusted_root_pgi.json', json: fixture('cosign/trusted_root_pgi.json').toString('utf8') }],
    });
    const result = verifyKeyless(fixture('cosign/oci-attestation.sigstore.json'), undefined, roots);
    assert.equal(result.verified, true, result.error);
    assert.match(result.root!, /^private@/);
  });

  it('refuses a tampered copy: a payload byte changed', () => {
    const bundle = fixtureJSON('sigstore-js/bundleV03-dsse.sigstore.json');
    bundle.dsseEnvelope.payload = flip(bundle.dsseEnvelope.payload, 40);
    const result = verifyKeyless(bundle, undefined, publicGood);
    assert.equal(result.verified, false);
    assert.match(result.error!, /transparency log|signature/);
  });

  it('refuses a tampered copy: the signature changed', () => {
    const bundle = fixtureJSON('sigstore-js/bundleV02-intoto.sigstore.json');
    bundle.dsseEnvelope.signatures[0].sig = flip(bundle.dsseEnvelope.signatures[0].sig, 12);
    const result = verifyKeyless(bundle, undefined, publicGood);
    assert.equal(result.verified, false);
    assert.match(result.error!, /transparency log|signature/);
  });

  it('refuses a real bundle under a root that does not hold its CA', async () => {
    const sigstore = await startMockSigstore();
    try {
      const mockOnly = loadTrustedRoots({ publicGood: false, documents: [{ name: 'mock.json', json: sigstore.trustedRoot }] });
      const result = verifyKeyless(fixture('sigstore-js/bundleV03-intoto.sigstore.json'), undefined, mockOnly);
      assert.equal(result.verified, false);
      assert.match(result.error!, /certificate|transparency log/);
    } finally {
      await sigstore.close();
    }
  });

  it("judges a public-good attestation carried as cosign's annotations (certificate + Rekor bundle)", () => {
    const bundle = fixtureJSON('sigstore-js/bundleV01-dsse-with-proof.sigstore.json');
    const envelope = Buffer.from(JSON.stringify(bundle.dsseEnvelope));
    const result = verifyKeyless(bundleFromCosign(cosignMaterialOf(bundle), { envelope }), undefined, publicGood);
    assert.equal(result.verified, true, result.error);
    assert.equal(result.identity, 'brian@dehamer.com');
  });
});

/** What cosign would have put in a layer's annotations for the signature a bundle holds. */
function cosignMaterialOf(bundle: Record<string, any>): CosignKeylessMaterial {
  const vm = bundle.verificationMaterial;
  const certs: { rawBytes: string }[] = vm.x509CertificateChain?.certificates ?? [vm.certificate];
  const pem = (c: { rawBytes: string }) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')).toString();
  const entry = vm.tlogEntries[0];
  const material: CosignKeylessMaterial = { certificate: pem(certs[0]!) };
  if (certs.length > 1) material.chain = certs.slice(1).map(pem).join('');
  if (entry) {
    material.rekorBundle = JSON.stringify({
      SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
      Payload: {
        body: entry.canonicalizedBody,
        integratedTime: Number(entry.integratedTime),
        logIndex: Number(entry.logIndex),
        logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
      },
    });
  }
  const ts = vm.timestampVerificationData?.rfc3161Timestamps?.[0];
  if (ts) material.rfc3161Timestamp = JSON.stringify({ SignedRFC3161Timestamp: ts.signedTimestamp });
  return material;
}
