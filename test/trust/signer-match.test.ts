// Signer matching: a policy's key verifies the kept signed bytes (ECDSA P-256/P-384, Ed25519,
// RSA, keys made here with node:crypto); a keyless identity matches only a verified certificate,
// exactly or by a regexp anchored to the whole string; and reasons name both sides.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TrustedSigner } from '@assay/domain';
import { describeSignature, matchSigner, parsePublicKey, signerLabel, type SignedRecord } from '@assay/trust';

interface TestKey {
  pem: string;
  privateKey: KeyObject;
  hash: string | null;
}

function makeKey(kind: 'p256' | 'p384' | 'ed25519' | 'rsa'): TestKey {
  const pair =
    kind === 'p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : kind === 'p384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : kind === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const hash = kind === 'ed25519' ? null : kind === 'p384' ? 'sha384' : 'sha256';
  return { pem, privateKey: pair.privateKey, hash };
}

function signed(key: TestKey, payload: Buffer): SignedRecord {
  return { keyed: { signed: payload.toString('base64'), signatures: [sign(key.hash, payload, key.privateKey).toString('base64')] } };
}

const payload = Buffer.from(
  '{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"sha256:' +
    'a'.repeat(64) +
    '"},"type":"cosign container image signature"},"optional":null}',
);

describe('matchSigner with keys', () => {
  for (const kind of ['p256', 'p384', 'ed25519', 'rsa'] as const) {
    it(`${kind}: the signing key matches, another key of the same type does not`, () => {
      const key = makeKey(kind);
      const other = makeKey(kind);
      const record = signed(key, payload);
      assert.equal(matchSigner({ key: key.pem }, record), true);
      assert.equal(matchSigner({ key: key.pem }, record), true, 'memoised answer is the same');
      assert.equal(matchSigner({ key: other.pem }, record), false);
    });
  }

  it('a tampered payload or signature is refused; one good signature among several is enough', () => {
    const key = makeKey('p256');
    const record = signed(key, payload);
    const tampered = Buffer.from(payload.toString().replace('registry.example/app', 'registry.example/evil'));
    assert.equal(matchSigner({ key: key.pem }, { keyed: { ...record.keyed!, signed: tampered.toString('base64') } }), false);
    const sig = Buffer.from(record.keyed!.signatures[0]!, 'base64');
    sig[sig.length - 1]! ^= 1;
    assert.equal(matchSigner({ key: key.pem }, { keyed: { ...record.keyed!, signatures: [sig.toString('base64')] } }), false);
    assert.equal(matchSigner({ key: key.pem }, { keyed: { ...record.keyed!, signatures: ['bm90IGEgc2lnbmF0dXJl'] } }), false);
    const both = { keyed: { ...record.keyed!, signatures: [sig.toString('base64'), record.keyed!.signatures[0]!] } };
    assert.equal(matchSigner({ key: key.pem }, both), true);
  });

  it('a record with an error, no signatures, or only a keyless result matches no key', () => {
    const key = makeKey('ed25519');
    const record = signed(key, payload);
    assert.equal(matchSigner({ key: key.pem }, { ...record, error: 'payload names sha256:bbbb…' }), false);
    assert.equal(matchSigner({ key: key.pem }, { keyed: { signed: record.keyed!.signed, signatures: [] } }), false);
    assert.equal(matchSigner({ key: key.pem }, { keyless: { verified: true, identity: 'a@example.com', issuer: 'x' } }), false);
  });

  it('an unusable PEM signs nothing and is labelled as such', () => {
    const bad = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----';
    assert.equal(matchSigner({ key: bad }, signed(makeKey('p256'), payload)), false);
    assert.match(signerLabel({ key: bad }), /not a usable public key/);
  });
});

describe('matchSigner with keyless identities', () => {
  const verified = {
    keyless: {
      verified: true,
      identity: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
      issuer: 'https://token.actions.githubusercontent.com',
    },
  };
  const gh = 'https://token.actions.githubusercontent.com';

  it('exact identity and issuer match; a different identity or issuer does not', () => {
    assert.equal(matchSigner({ keyless: { identity: verified.keyless.identity, issuer: gh } }, verified), true);
    assert.equal(
      matchSigner(
        { keyless: { identity: 'https://github.com/acme/other/.github/workflows/release.yml@refs/heads/main', issuer: gh } },
        verified,
      ),
      false,
    );
    assert.equal(matchSigner({ keyless: { identity: verified.keyless.identity, issuer: 'https://accounts.google.com' } }, verified), false);
  });

  it('a regexp must match the whole identity, not a substring', () => {
    const whole: TrustedSigner = { keyless: { identityRegexp: 'https://github\\.com/acme/.*', issuer: gh } };
    assert.equal(matchSigner(whole, verified), true);
    const substring: TrustedSigner = { keyless: { identityRegexp: 'github\\.com/acme/app', issuer: gh } };
    assert.equal(matchSigner(substring, verified), false);
    const alternation: TrustedSigner = { keyless: { identityRegexp: 'nobody|github\\.com/acme', issuer: gh } };
    assert.equal(matchSigner(alternation, verified), false, 'alternation is anchored as a group');
    const issuerRe: TrustedSigner = { keyless: { identity: verified.keyless.identity, issuerRegexp: 'https://token\\.actions\\..*' } };
    assert.equal(matchSigner(issuerRe, verified), true);
    const issuerSub: TrustedSigner = { keyless: { identity: verified.keyless.identity, issuerRegexp: 'token\\.actions' } };
    assert.equal(matchSigner(issuerSub, verified), false);
  });

  it('an unverified keyless result, or a record with an error, never matches', () => {
    const signer: TrustedSigner = { keyless: { identity: verified.keyless.identity, issuer: gh } };
    assert.equal(matchSigner(signer, { keyless: { ...verified.keyless, verified: false, error: 'certificate expired' } }), false);
    assert.equal(matchSigner(signer, { ...verified, error: 'statement subject is another digest' }), false);
    assert.equal(matchSigner(signer, { keyed: { signed: 'e30=', signatures: ['AAAA'] } }), false);
  });
});

describe('labels for reasons', () => {
  it('a signer is named by its name, key fingerprint (12 hex) or identity and issuer', () => {
    const key = makeKey('p256');
    assert.equal(signerLabel({ name: 'release key', key: key.pem }), 'release key');
    const fp = parsePublicKey(key.pem).fingerprint;
    assert.equal(signerLabel({ key: key.pem }), `key ${fp.slice(0, 19)}…`);
    assert.match(signerLabel({ key: key.pem }), /^key sha256:[0-9a-f]{12}…$/);
    assert.equal(
      signerLabel({ keyless: { identity: 'alice@example.com', issuer: 'https://accounts.google.com' } }),
      'alice@example.com (issuer https://accounts.google.com)',
    );
    assert.equal(
      signerLabel({ keyless: { identityRegexp: '.*@example\\.com', issuerRegexp: 'https://.*' } }),
      'identity matching .*@example\\.com (issuer matching https://.*)',
    );
  });

  it('a found signature is described by what it is', () => {
    assert.equal(describeSignature({ keyed: { signed: 'e30=', signatures: ['AAAA'] } }), 'a key signature');
    assert.equal(
      describeSignature({ keyless: { verified: true, identity: 'alice@example.com', issuer: 'https://github.com/login/oauth' } }),
      'alice@example.com (https://github.com/login/oauth)',
    );
    assert.equal(
      describeSignature({ keyless: { verified: false, error: 'certificate chain does not reach a trusted root' } }),
      'a keyless certificate that did not verify: certificate chain does not reach a trusted root',
    );
    assert.match(describeSignature({ error: 'payload names another digest' }), /payload names another digest/);
  });
});
