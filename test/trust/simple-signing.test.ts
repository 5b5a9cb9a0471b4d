// cosign simple-signing payloads: the exact JSON cosign signs (specs/SIGNATURE_SPEC.md in
// sigstore/cosign), signed here with keys made by node:crypto the way cosign signs it (ECDSA
// P-256 over SHA-256 of the payload bytes), and everything that is not one refused by name.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { matchSigner, parseSimpleSigning, TrustFormatError } from '@assay/trust';

const digest = `sha256:${'3c19aa980a9c5709a2c96c2d0779febf6e5e453b92b172ce84cb85fdaf695373'}`;
/** Byte for byte what `cosign sign` writes (Go's encoding/json, no spaces, `optional` null without annotations). */
const cosignPayload = `{"critical":{"identity":{"docker-reference":"registry.local:5000/knative/demo"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`;

describe('parseSimpleSigning', () => {
  it('reads the reference and digest of a payload as cosign writes it', () => {
    const p = parseSimpleSigning(Buffer.from(cosignPayload));
    assert.deepEqual(p, {
      dockerReference: 'registry.local:5000/knative/demo',
      manifestDigest: digest,
      type: 'cosign container image signature',
    });
  });

  it('keeps the signer annotations of `optional`', () => {
    const withAnnotations = cosignPayload.replace('"optional":null', '"optional":{"creator":"ci","sha":"abc"}');
    assert.deepEqual(parseSimpleSigning(Buffer.from(withAnnotations)).optional, { creator: 'ci', sha: 'abc' });
  });

  it("accepts the spec example's capitalised Docker-manifest-digest (Go matches names without case), refuses two spellings", () => {
    const spec = `{"critical":{"identity":{"docker-reference":"testing/manifest"},"image":{"Docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"creator":"atomic","timestamp":1458239713}}`;
    assert.equal(parseSimpleSigning(Buffer.from(spec)).manifestDigest, digest);
    const both = spec.replace('"Docker-manifest-digest"', `"docker-Manifest-digest":"${digest}","Docker-manifest-digest"`);
    assert.throws(() => parseSimpleSigning(Buffer.from(both)), /given twice/);
  });

  it('refuses what is not a cosign payload, naming the field', () => {
    const cases: [string, RegExp][] = [
      ['{"critical":', /not JSON/],
      ['[]', /not a JSON object/],
      ['{}', /critical is missing/],
      [cosignPayload.replace('cosign container image signature', 'atomic container signature'), /critical\.type/],
      [cosignPayload.replace(digest, 'sha256:abc'), /docker-manifest-digest "sha256:abc" is not a digest/],
      [
        cosignPayload.replace(`"docker-manifest-digest":"${digest}"`, '"docker-manifest-digest":7'),
        /docker-manifest-digest is missing or not a string/,
      ],
      [cosignPayload.replace('"identity":{"docker-reference":"registry.local:5000/knative/demo"},', ''), /critical\.identity is missing/],
      [cosignPayload.replace('"optional":null', '"optional":"x"'), /optional is neither/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseSimpleSigning(Buffer.from(text)),
        (err: Error) => err instanceof TrustFormatError && message.test(err.message),
        text,
      );
    }
  });

  it('refuses an oversized payload before parsing it', () => {
    const big = Buffer.from(cosignPayload.replace('"optional":null', `"optional":{"pad":"${'x'.repeat(70_000)}"}`));
    assert.throws(() => parseSimpleSigning(big), /larger than/);
  });
});

describe('a key signature over a simple-signing payload', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const payload = Buffer.from(cosignPayload);
  const signature = sign('sha256', payload, privateKey).toString('base64');

  it('verifies with the signing key over the exact payload bytes, not over a re-serialisation', () => {
    const record = { keyed: { signed: payload.toString('base64'), signatures: [signature] } };
    assert.equal(matchSigner({ key: pem }, record), true);
    // Same meaning, different bytes (pretty-printed): the signature is over bytes, so it fails.
    const pretty = Buffer.from(JSON.stringify(JSON.parse(cosignPayload), null, 2));
    assert.equal(matchSigner({ key: pem }, { keyed: { signed: pretty.toString('base64'), signatures: [signature] } }), false);
  });

  it('a payload naming another digest does not verify under the original signature', () => {
    const other = Buffer.from(cosignPayload.replace(digest, `sha256:${'b'.repeat(64)}`));
    assert.equal(matchSigner({ key: pem }, { keyed: { signed: other.toString('base64'), signatures: [signature] } }), false);
    assert.equal(parseSimpleSigning(other).manifestDigest, `sha256:${'b'.repeat(64)}`);
  });
});
