// Trusted signers through the running policy service: the REST API takes policies with the trust
// controls (and refuses a key or regexp that cannot work, naming the field); changing a policy's
// signers re-judges exactly the images the policy covers, and a signed image flips.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import type { ImageAssurancePolicy, TrustedSigner } from '@assay/domain';
import { startHarness, type Harness } from './harness.ts';
import { report, sha } from './fixtures.ts';
import { keySignature, makeKey, trustSection } from './trust-fixtures.ts';

const oldKey = makeKey('p256');
const newKey = makeKey('ed25519');

const signedPolicy = (signers: TrustedSigner[]): ImageAssurancePolicy => ({
  name: 'signed images',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-s/*'] },
  controls: { signatures: { signers } },
});

describe('trusted signers in the policy service', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('refuses a policy whose key or identity regexp cannot work, naming the field', async () => {
    const badKey = await h.call('POST', '/api/v1/policies', {
      id: 'bad-key',
      document: signedPolicy([{ key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }]),
    });
    assert.equal(badKey.status, 400, badKey.text);
    assert.match(badKey.json.error, /signatures\.signers\[0\]\.key/);
    const badRegexp = await h.call('POST', '/api/v1/policies', {
      id: 'bad-regexp',
      document: signedPolicy([{ keyless: { identityRegexp: '[a-', issuer: 'https://accounts.example.com' } }]),
    });
    assert.equal(badRegexp.status, 400, badRegexp.text);
    assert.match(badRegexp.json.error, /signatures\.signers\[0\]\.keyless\.identityRegexp: not a valid regular expression/);
  });

  it('changing the trusted signers re-judges the images in scope only', async () => {
    const created = await h.call('POST', '/api/v1/policies', {
      id: 'signed',
      document: {
        ...signedPolicy([{ name: 'old key', key: oldKey.pem }]),
        controls: {
          signatures: { signers: [{ name: 'old key', key: oldKey.pem }], signedDigest: 'either' },
          attestations: [{ type: 'slsaprovenance', signers: [{ key: oldKey.pem }], builderIds: ['https://builder.example/b'] }],
          vulnerabilities: { maxSeverity: 'critical', vex: { signers: [{ key: oldKey.pem }] } },
        },
      },
    });
    assert.equal(created.status, 201, created.text);
    const inScope = report({}, { repository: 'team-s/app', digest: sha('trust-in-scope') });
    inScope.trust = trustSection(inScope, { signatures: [keySignature(newKey, 'registry.example.com/team-s/app', inScope.image.digest)] });
    const outOfScope = report({}, { repository: 'team-o/app', digest: sha('trust-out-of-scope') });
    outOfScope.trust = trustSection(outOfScope, {
      signatures: [keySignature(newKey, 'registry.example.com/team-o/app', outOfScope.image.digest)],
    });
    for (const r of [inScope, outOfScope]) await h.storeAndAnnounce(r);
    const first = await h.waitVerdict(inScope.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT);
    assert.match(
      first.verdict.reasons.find((r) => r.control === 'signatures')!.message,
      /signed with a key this policy does not trust \(a key signature; checked against /,
    );
    assert.ok(first.verdict.reasons.some((r) => r.control === 'attestations' && /no slsaprovenance attestation found/.test(r.message)));
    await h.waitVerdict(outOfScope.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    await h.settled();
    const outBefore = (await h.verdict(outOfScope.image.digest))!;
    const reevaluated = async () => {
      const text = await (await fetch(`${h.url}/metrics`)).text();
      return Number(/assay_policy_reevaluations_total\{trigger="policy"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const count0 = await reevaluated();

    const put = await h.call(
      'PUT',
      '/api/v1/policies/signed',
      { document: signedPolicy([{ name: 'new key', key: newKey.pem }]) },
      { 'if-match': `"${created.json.version}"` },
    );
    assert.equal(put.status, 200, put.text);
    const flipped = await h.waitVerdict(inScope.image.digest, (v) => v.policies[0]?.version === put.json.version);
    assert.equal(flipped.verdict.compliance, Compliance.COMPLIANT, JSON.stringify(flipped.verdict.reasons));
    await h.settled();
    assert.equal((await reevaluated()) - count0, 1, 'one image re-evaluated: the one in scope');
    const outAfter = (await h.verdict(outOfScope.image.digest))!;
    assert.equal(outAfter.revision, outBefore.revision, 'the image out of scope was not re-written');
    assert.deepEqual(outAfter.verdict.evaluatedAt, outBefore.verdict.evaluatedAt, 'nor re-evaluated');
  });
});
