// Sigstore bundles read: real public-good bundles of each media type (sigstore-js and cosign test
// fixtures, see fixtures/*/README.md), bundles made here by @sigstore/sign, and what a keyed
// bundle gives a policy's key to check.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BundleError, bundleKeyedMaterial, parseBundle, parsePublicKey, verifySignature } from '@assay/trust';
import { signKeyedDsse, startMockSigstore, type MockSigstore } from './sigstore-mock.ts';

const fixture = (path: string) => readFileSync(new URL(`fixtures/${path}`, import.meta.url));

describe('parseBundle', () => {
  let sigstore: MockSigstore;
  before(async () => {
    sigstore = await startMockSigstore();
  });
  after(() => sigstore.close());

  for (const [file, mediaType] of [
    ['sigstore-js/bundleV01-dsse-with-proof.sigstore.json', 'application/vnd.dev.sigstore.bundle+json;version=0.1'],
    ['sigstore-js/bundleV02-intoto.sigstore.json', 'application/vnd.dev.sigstore.bundle+json;version=0.2'],
    ['sigstore-js/bundleV03-dsse.sigstore.json', 'application/vnd.dev.sigstore.bundle+json;version=0.3'],
    ['cosign/oci-attestation.sigstore.json', 'application/vnd.dev.sigstore.bundle.v0.3+json'],
  ] as const) {
    it(`reads ${file} (${mediaType}) as a DSSE envelope holding an in-toto statement`, () => {
      const parsed = parseBundle(fixture(file));
      assert.equal(parsed.mediaType, mediaType);
      assert.equal(parsed.content.kind, 'dsse');
      if (parsed.content.kind !== 'dsse') return;
      assert.equal(parsed.content.envelope.payloadType, 'application/vnd.in-toto+json');
      const statement = JSON.parse(parsed.content.envelope.payload.toString('utf8'));
      assert.match(statement._type, /^https:\/\/in-toto\.io\/Statement\/v/);
      assert.equal(parsed.content.envelope.signatures.length, 1);
      assert.ok(parsed.content.envelope.signatures[0]!.sig.length > 60);
    });
  }

  it('accepts already-parsed JSON, and an already-decoded bundle, as well as bytes', () => {
    const json = JSON.parse(fixture('sigstore-js/bundleV03-intoto.sigstore.json').toString('utf8'));
    const parsed = parseBundle(json);
    assert.equal(parsed.content.kind, 'dsse');
    const again = parseBundle(parsed.bundle);
    assert.deepEqual(again.content, parsed.content);
    // A decoded bundle is validated too: one without a signature is refused.
    const broken = {
      ...parsed.bundle,
      content: { $case: 'dsseEnvelope', dsseEnvelope: { payload: Buffer.from('x'), payloadType: 't', signatures: [] } },
    };
    assert.throws(() => parseBundle(broken), /not a valid Sigstore bundle/);
  });

  it('reads a message signature: the digest of the signed artifact and the signature', async () => {
    const data = Buffer.from('an artifact');
    const parsed = parseBundle(await sigstore.signMessage(data, { tsa: false }));
    assert.equal(parsed.content.kind, 'message');
    if (parsed.content.kind !== 'message') return;
    assert.equal(parsed.content.digest.algorithm, 'sha256');
    assert.deepEqual(parsed.content.digest.value, createHash('sha256').update(data).digest());
    assert.ok(parsed.content.signature.length > 60);
  });

  it('refuses what is not a bundle, saying why', () => {
    assert.throws(
      () => parseBundle(Buffer.from('{not json')),
      (err: Error) => err instanceof BundleError && /not JSON/.test(err.message),
    );
    assert.throws(() => parseBundle([1, 2]), /not a JSON object/);
    const bundle = JSON.parse(fixture('sigstore-js/bundleV02-intoto.sigstore.json').toString('utf8'));
    delete bundle.dsseEnvelope;
    assert.throws(
      () => parseBundle(bundle),
      (err: Error) => err instanceof BundleError && /not a valid Sigstore bundle.*content/.test(err.message),
    );
  });
});

describe('bundleKeyedMaterial', () => {
  it("gives a keyed DSSE bundle's PAE and signature, which the signer's key verifies", async () => {
    const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const { bundle, publicKeyPem } = await signKeyedDsse(payload, 'application/vnd.in-toto+json', 'release-key');
    const keyed = bundleKeyedMaterial(bundle);
    assert.equal(keyed.keyHint, 'release-key');
    // DSSE v1 pre-authentication encoding, as the spec writes it.
    const pae = `DSSEv1 28 application/vnd.in-toto+json ${payload.length} ${payload.toString()}`;
    assert.equal(keyed.signed.toString(), pae);
    assert.equal(keyed.signatures.length, 1);
    assert.equal(verifySignature(parsePublicKey(publicKeyPem), keyed.signed, keyed.signatures[0]!), true);
    const other = parsePublicKey((await signKeyedDsse(payload, 'text/plain', 'x')).publicKeyPem);
    assert.equal(verifySignature(other, keyed.signed, keyed.signatures[0]!), false);
  });

  it('needs the artifact of a message signature, and refuses another artifact', async () => {
    const sigstore = await startMockSigstore();
    try {
      const data = Buffer.from('signed bytes');
      const bundle = await sigstore.signMessage(data, { tsa: false });
      assert.throws(() => bundleKeyedMaterial(bundle), /the signed artifact is needed/);
      assert.throws(() => bundleKeyedMaterial(bundle, Buffer.from('other bytes')), /over another artifact/);
      const keyed = bundleKeyedMaterial(bundle, data);
      assert.deepEqual(keyed.signed, data);
      assert.equal(keyed.signatures.length, 1);
    } finally {
      await sigstore.close();
    }
  });
});
