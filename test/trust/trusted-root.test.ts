// Trusted roots: the public-good root read from @sigstore/tuf's embedded seeds (no network),
// private trusted_root.json documents named by their hash, and a clear error naming the document
// and the field when a private root is not valid.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { loadTrustedRoots, TrustedRootError } from '@assay/trust';

const PGI = readFileSync(new URL('fixtures/cosign/trusted_root_pgi.json', import.meta.url), 'utf8');
const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** A copy of the cosign test root with one change, loaded as a private document. */
function loadEdited(edit: (root: Record<string, any>) => void) {
  const root = JSON.parse(PGI);
  edit(root);
  return () => loadTrustedRoots({ publicGood: false, documents: [{ name: 'corp-root.json', json: JSON.stringify(root) }] });
}

describe('loadTrustedRoots', () => {
  it('names the public-good root by the hash of the trusted_root.json @sigstore/tuf embeds', () => {
    const seeds = createRequire(import.meta.url)('@sigstore/tuf/seeds.json');
    const embedded = Buffer.from(seeds['https://tuf-repo-cdn.sigstore.dev'].targets['trusted_root.json'], 'base64').toString('utf8');
    const roots = loadTrustedRoots({ publicGood: true });
    assert.deepEqual(roots.ids, [`public-good@${short(embedded)}`]);
    assert.equal(roots.roots.length, 1);
    assert.ok(roots.roots[0]!.material.certificateAuthorities.length >= 2, 'public-good has its CA history');
    assert.equal(roots.roots[0]!.hasCtlogs, true);
  });

  it('adds private documents after the public-good root, each named by its hash', () => {
    const roots = loadTrustedRoots({ publicGood: true, documents: [{ name: 'a.json', json: PGI }] });
    assert.equal(roots.ids.length, 2);
    assert.equal(roots.ids[1], `private@${short(PGI)}`);
    assert.deepEqual(loadTrustedRoots({ publicGood: false }).ids, []);
  });

  it('refuses a private root that is not JSON, naming the document', () => {
    assert.throws(
      () => loadTrustedRoots({ publicGood: false, documents: [{ name: 'corp-root.json', json: '{"mediaType":' }] }),
      (err: Error) => err instanceof TrustedRootError && /^corp-root\.json: not JSON/.test(err.message),
    );
  });

  it('refuses a wrong media type', () => {
    assert.throws(
      loadEdited((r) => (r.mediaType = 'application/json')),
      /^TrustedRootError: corp-root\.json: mediaType: expected application\/vnd\.dev\.sigstore\.trustedroot/,
    );
  });

  it('refuses a root without a certificate authority', () => {
    assert.throws(
      loadEdited((r) => (r.certificateAuthorities = [])),
      /^TrustedRootError: corp-root\.json: certificateAuthorities: empty/,
    );
  });

  it('refuses a CA certificate that is not a certificate, naming the field', () => {
    assert.throws(
      loadEdited((r) => (r.certificateAuthorities[1].certChain.certificates[0].rawBytes = Buffer.from('not a cert').toString('base64'))),
      /^TrustedRootError: corp-root\.json: certificateAuthorities\[1\]\.certChain\.certificates\[0\]\.rawBytes: not a DER X\.509 certificate/,
    );
  });

  it('refuses a log without its public key, and a bad validity date', () => {
    assert.throws(
      loadEdited((r) => delete r.tlogs[0].publicKey),
      /^TrustedRootError: corp-root\.json: tlogs\[0\]\.publicKey: expected an object/,
    );
    assert.throws(
      loadEdited((r) => (r.ctlogs[0].publicKey.validFor.start = 'yesterday')),
      /^TrustedRootError: corp-root\.json: ctlogs\[0\]\.publicKey\.validFor\.start: expected an RFC 3339 timestamp/,
    );
    assert.throws(
      loadEdited((r) => (r.tlogs[0].logId.keyId = '%%%')),
      /^TrustedRootError: corp-root\.json: tlogs\[0\]\.logId\.keyId: expected base64/,
    );
  });
});
