// in-toto statements (v0.1 from cosign's and slsa-github-generator's envelopes, v1 from the SLSA
// GitHub Actions build type example), subject matching by digest, cosign's `--type` names and
// predicate-type kinds (versioned URIs included).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { kindOfPredicate, parseEnvelope, parseStatement, predicateTypeOf, statementNames, TrustFormatError } from '@assay/trust';

const fixture = (name: string) => readFileSync(new URL(`fixtures/formats/${name}`, import.meta.url));
const cosignDigest = 'sha256:3c19aa980a9c5709a2c96c2d0779febf6e5e453b92b172ce84cb85fdaf695373';

describe('parseStatement', () => {
  it("reads cosign's v0.1 statement and names its subject digest only", () => {
    const env = parseEnvelope(fixture('cosign-vuln.dsse.json'));
    const st = parseStatement(env.payload, env.payloadType);
    assert.equal(st.type, 'https://in-toto.io/Statement/v0.1');
    assert.equal(st.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
    assert.deepEqual(st.subjects, [{ name: 'registry.local:5000/knative/demo', digest: { sha256: cosignDigest.slice(7) } }]);
    assert.equal(statementNames(st, cosignDigest), true);
    assert.equal(statementNames(st, cosignDigest.toUpperCase().replace('SHA256', 'sha256')), true, 'hex case does not matter');
    assert.equal(statementNames(st, `sha256:${'0'.repeat(64)}`), false, 'a statement about another digest');
    assert.equal(statementNames(st, `sha512:${cosignDigest.slice(7)}`), false, 'the algorithm must match too');
    assert.equal(statementNames(st, cosignDigest.slice(7)), false, 'a bare hex is not a digest');
  });

  it('reads a v1 statement (SLSA GitHub Actions build type example)', () => {
    const st = parseStatement(fixture('slsa-v1-github-workflow.json'));
    assert.equal(st.type, 'https://in-toto.io/Statement/v1');
    assert.equal(st.predicateType, 'https://slsa.dev/provenance/v1');
    assert.equal(statementNames(st, 'sha256:fe4fe40ac7250263c5dbe1cf3138912f3f416140aa248637a60d65fe22c47da4'), true);
  });

  it('refuses a statement under a payload type other than in-toto', () => {
    const env = parseEnvelope(fixture('cosign-vuln.dsse.json'));
    assert.throws(() => parseStatement(env.payload, 'application/vnd.cncf.notary.payload+json'), /payload type/);
  });

  it('refuses malformed statements, naming the field', () => {
    const base = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'x', digest: { sha256: 'ab' } }],
      predicateType: 'p',
      predicate: {},
    };
    const cases: [unknown, RegExp][] = [
      ['{', /not JSON/],
      [{ ...base, _type: 'https://in-toto.io/Statement/v2' }, /_type/],
      [{ ...base, subject: [] }, /subject is missing or empty/],
      [{ ...base, subject: [{ name: 'x' }] }, /subject\[0\]\.digest/],
      [{ ...base, subject: [{ name: 'x', digest: { sha256: 1 } }] }, /subject\[0\]\.digest\.sha256/],
      [{ ...base, predicateType: '' }, /predicateType/],
    ];
    for (const [doc, message] of cases) {
      const bytes = Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
      assert.throws(
        () => parseStatement(bytes),
        (err: Error) => err instanceof TrustFormatError && message.test(err.message),
        String(message),
      );
    }
  });
});

describe('predicate types', () => {
  it("maps cosign's --type names as cosign does (options/predicate.go)", () => {
    assert.equal(predicateTypeOf('slsaprovenance'), 'https://slsa.dev/provenance/v0.2');
    assert.equal(predicateTypeOf('slsaprovenance02'), 'https://slsa.dev/provenance/v0.2');
    assert.equal(predicateTypeOf('slsaprovenance1'), 'https://slsa.dev/provenance/v1');
    assert.equal(predicateTypeOf('cyclonedx'), 'https://cyclonedx.org/bom');
    assert.equal(predicateTypeOf('spdx'), 'https://spdx.dev/Document');
    assert.equal(predicateTypeOf('spdxjson'), 'https://spdx.dev/Document');
    assert.equal(predicateTypeOf('openvex'), 'https://openvex.dev/ns');
    assert.equal(predicateTypeOf('vuln'), 'https://cosign.sigstore.dev/attestation/vuln/v1');
    assert.equal(predicateTypeOf('custom'), 'https://cosign.sigstore.dev/attestation/v1');
    assert.equal(predicateTypeOf('link'), 'https://in-toto.io/Link/v1');
    assert.equal(predicateTypeOf('https://example.com/my-predicate/v1'), 'https://example.com/my-predicate/v1');
    assert.throws(() => predicateTypeOf('provenance'), /unknown attestation type "provenance"/);
    assert.throws(() => predicateTypeOf('toString'), /unknown attestation type/, 'no prototype names');
  });

  it('knows the kinds, versioned URIs included', () => {
    const kinds: [string, string][] = [
      ['https://slsa.dev/provenance/v0.2', 'slsa-provenance'],
      ['https://slsa.dev/provenance/v1', 'slsa-provenance'],
      ['https://slsa.dev/provenance/v1.1', 'slsa-provenance'],
      ['https://slsa.dev/provenance/v0.1', 'other'],
      ['https://cyclonedx.org/bom', 'cyclonedx'],
      ['https://cyclonedx.org/bom/v1.5', 'cyclonedx'],
      ['https://spdx.dev/Document', 'spdx'],
      ['https://spdx.dev/Document/v2.3', 'spdx'],
      ['https://openvex.dev/ns', 'openvex'],
      ['https://openvex.dev/ns/v0.2.0', 'openvex'],
      ['https://cosign.sigstore.dev/attestation/vuln/v1', 'vuln'],
      ['cosign.sigstore.dev/attestation/vuln/v1', 'other'],
      ['https://cosign.sigstore.dev/attestation/v1', 'other'],
      ['https://cyclonedx.org/bomb', 'other'],
      ['https://evil.example/https://openvex.dev/ns', 'other'],
    ];
    for (const [type, kind] of kinds) assert.equal(kindOfPredicate(type), kind, type);
  });

  it("cosign's malformed fixture (a predicate type that is not a URI) is an `other` attestation", () => {
    const st = parseStatement(parseEnvelope(fixture('cosign-vuln-malformed.dsse.json')).payload);
    assert.equal(kindOfPredicate(st.predicateType), 'other');
  });
});
