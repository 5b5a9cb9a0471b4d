// DSSE envelopes: parsed from cosign's and slsa-github-generator's real envelopes, and the
// pre-authentication encoding checked byte for byte against the DSSE v1 spec and against a real
// signature (a public-good bundle from cosign's test data, verified with its certificate's key).
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { matchSigner, pae, parseEnvelope, TrustFormatError } from '@assay/trust';

const fixture = (name: string) => readFileSync(new URL(`fixtures/formats/${name}`, import.meta.url));

describe('pae', () => {
  it('is DSSEv1 SP len(type) SP type SP len(body) SP body, lengths in bytes', () => {
    // The DSSE protocol document's test vector.
    assert.equal(
      pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    assert.equal(pae('t', Buffer.from('é')).toString(), 'DSSEv1 1 t 2 é', 'multi-byte characters count as bytes');
    assert.equal(pae('', Buffer.alloc(0)).toString(), 'DSSEv1 0  0 ');
  });

  it("reproduces the bytes a real public-good signature covers (cosign's oci-attestation bundle)", () => {
    const bundle = JSON.parse(fixture('cosign-oci-attestation.sigstore.json').toString());
    const env = parseEnvelope(bundle.dsseEnvelope);
    assert.equal(env.payloadType, 'application/vnd.in-toto+json');
    const cert = new X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'));
    assert.equal(verify('sha256', pae(env.payloadType, env.payload), cert.publicKey, env.signatures[0]!.sig), true);
    assert.equal(verify('sha256', env.payload, cert.publicKey, env.signatures[0]!.sig), false, 'the payload alone is not what is signed');
    const tampered = Buffer.from(env.payload.toString().replace('"foo', '"fOo'));
    assert.equal(verify('sha256', pae(env.payloadType, tampered), cert.publicKey, env.signatures[0]!.sig), false);
  });
});

describe('parseEnvelope', () => {
  it("reads cosign's envelope (an empty keyid is no key id)", () => {
    const env = parseEnvelope(fixture('cosign-vuln.dsse.json'));
    assert.equal(env.payloadType, 'application/vnd.in-toto+json');
    assert.match(env.payload.toString(), /^\{"_type":"https:\/\/in-toto\.io\/Statement\/v0\.1"/);
    assert.equal(env.signatures.length, 1);
    assert.equal(env.signatures[0]!.keyid, undefined);
    assert.equal(env.signatures[0]!.sig.length, 71, 'a DER ECDSA P-256 signature');
  });

  it("reads slsa-github-generator's envelope", () => {
    const env = parseEnvelope(fixture('slsa-v02-go-builder.intoto.jsonl'));
    assert.match(env.payload.toString(), /"predicateType":"https:\/\/slsa\.dev\/provenance\/v0\.2"/);
  });

  it('accepts URL-safe base64 and keeps a key id', () => {
    const payload = Buffer.from([0xfb, 0xff, 0xfe, 0x7b]);
    const env = parseEnvelope({ payloadType: 't', payload: payload.toString('base64url'), signatures: [{ keyid: 'k1', sig: 'AQID' }] });
    assert.deepEqual(env.payload, payload);
    assert.deepEqual(env.signatures, [{ keyid: 'k1', sig: Buffer.from([1, 2, 3]) }]);
  });

  it('refuses malformed envelopes, naming the field', () => {
    const good = { payloadType: 't', payload: 'e30=', signatures: [{ sig: 'AQID' }] };
    const cases: [unknown, RegExp][] = [
      [Buffer.from('{"payloadType":'), /not JSON/],
      [[], /not a JSON object/],
      [{ ...good, payloadType: undefined }, /payloadType/],
      [{ ...good, payload: 'not base64!' }, /payload is not base64/],
      [{ ...good, payload: '' }, /payload is empty/],
      [{ ...good, signatures: [] }, /signatures is missing or empty/],
      [{ ...good, signatures: [{ sig: '%%' }] }, /signatures\[0\]\.sig is not base64/],
      [{ ...good, signatures: [{ sig: 'AQID', keyid: 3 }] }, /signatures\[0\]\.keyid/],
      [{ ...good, signatures: Array.from({ length: 21 }, () => ({ sig: 'AQID' })) }, /more than 20 signatures/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseEnvelope(input),
        (err: Error) => err instanceof TrustFormatError && message.test(err.message),
        String(message),
      );
    }
  });
});

describe('a key signature over a DSSE envelope', () => {
  for (const [kind, make, hash] of [
    ['ECDSA P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'sha384'],
    ['Ed25519', () => generateKeyPairSync('ed25519'), null],
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
  ] as const) {
    it(`${kind}: signed over the PAE, checked by the key; the wrong key and a tampered payload are refused`, () => {
      const { publicKey, privateKey } = make();
      const other = make().publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"}');
      const signed = pae('application/vnd.in-toto+json', statement);
      const env = parseEnvelope(
        Buffer.from(
          JSON.stringify({
            payloadType: 'application/vnd.in-toto+json',
            payload: statement.toString('base64'),
            signatures: [{ keyid: '', sig: sign(hash, signed, privateKey).toString('base64') }],
          }),
        ),
      );
      const record = (payload: Buffer) => ({
        keyed: {
          signed: pae(env.payloadType, payload).toString('base64'),
          signatures: env.signatures.map((s) => s.sig.toString('base64')),
        },
      });
      assert.equal(matchSigner({ key: pem }, record(env.payload)), true);
      assert.equal(matchSigner({ key: other }, record(env.payload)), false);
      assert.equal(matchSigner({ key: pem }, record(Buffer.from(env.payload.toString().replace('"x"', '"y"')))), false);
    });
  }
});
