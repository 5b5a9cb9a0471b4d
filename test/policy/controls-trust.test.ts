// The supply-chain trust controls on reports whose trust sections are as the scanner writes them,
// key signatures made here with real keys: trusted signers (any-of, N-of-M, the index/platform
// rule, signatures copied from another repository), required attestations (SLSA provenance allow
// lists, subjects), and VEX statements from trusted signers suppressing findings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateImage, indexVerdict, verdictFromEvaluation, type Evaluation } from '@assay/policy-engine';
import { create } from '@bufbuild/protobuf';
import { Compliance, ImageDiscoveredSchema } from '@assay/proto';
import type { ImageAssurancePolicy, ScanReport, TrustedSigner } from '@assay/domain';
import { validateImagePolicy, ValidationError } from '@assay/domain';
import { policy, ref, report, sha, vuln } from './fixtures.ts';
import { keyAttestation, keylessSignature, keySignature, makeKey, trustSection } from './trust-fixtures.ts';

const NOW = new Date('2026-02-01T00:00:00Z');
const REPO = 'registry.example.com/team-a/api';
const release = makeKey('p256');
const ops = makeKey('ed25519');
const stranger = makeKey('p256');
const RELEASE: TrustedSigner = { name: 'release key', key: release.pem };
const OPS: TrustedSigner = { name: 'ops key', key: ops.pem };
const ALICE: TrustedSigner = { keyless: { identity: 'alice@example.com', issuer: 'https://accounts.example.com' } };

function judge(r: ScanReport, controls: ImageAssurancePolicy['controls']): Evaluation {
  return evaluateImage(r, [ref('p1', policy(controls))], [], NOW);
}

/** A report of digest `seed` with the trust section `records` builds. */
function signedReport(seed: string, records: (digest: string) => Parameters<typeof trustSection>[1], over: Partial<ScanReport> = {}) {
  const r = report(over, { digest: sha(seed) });
  r.trust = trustSection(r, records(r.image.digest));
  return r;
}

function fails(e: Evaluation, control: string, ...mentions: string[]) {
  assert.equal(e.compliant, false, `non-compliant: ${JSON.stringify(e.reasons)}`);
  const r = e.reasons.find((x) => x.control === control);
  assert.ok(r, `a ${control} reason in ${JSON.stringify(e.reasons)}`);
  for (const m of mentions) assert.ok(r.message.includes(m), `"${r.message}" names "${m}"`);
  return r;
}

function passes(e: Evaluation) {
  assert.deepEqual(e.reasons, []);
  assert.equal(e.compliant, true);
}

describe('signatures', () => {
  it('a signature by a trusted key passes; by another key it fails, naming the keys it was checked against', () => {
    passes(
      judge(
        signedReport('k1', (d) => ({ signatures: [keySignature(release, REPO, d)] })),
        { signatures: { signers: [RELEASE] } },
      ),
    );
    const r = fails(
      judge(
        signedReport('k2', (d) => ({ signatures: [keySignature(stranger, REPO, d)] })),
        { signatures: { signers: [RELEASE] } },
      ),
      'signatures',
      'signed with a key this policy does not trust (a key signature; checked against release key)',
    );
    assert.equal(r.severity, 'high');
    assert.deepEqual(r.items, ['signature']);
    assert.match(r.remediation, /cosign sign --key <private key of release key> registry\.example\.com\/team-a\/api@sha256:/);
    assert.equal(r.evidence.items[0]!['scope'], 'image');
    assert.equal(r.evidence.items[0]!['source'], 'cosign-tag');
  });

  it('an unsigned image fails naming its digest; a report from before trust verification asks for a scan', () => {
    const unsigned = signedReport('u1', () => ({}));
    fails(
      judge(unsigned, { signatures: { signers: [RELEASE] } }),
      'signatures',
      `not signed: no signature found for ${unsigned.image.digest.slice(0, 19)}`,
    );
    fails(
      judge(report({}, { digest: sha('u2') }), { signatures: { signers: [RELEASE] } }),
      'signatures',
      'signatures not verified for this image (scan again)',
    );
  });

  it('keyless: the identity and the issuer must both match a verified certificate', () => {
    const by = (keyless: Record<string, unknown>) =>
      signedReport(`kl-${JSON.stringify(keyless)}`, (d) => ({ signatures: [keylessSignature(d, keyless)] }));
    passes(judge(by({ identity: 'alice@example.com', issuer: 'https://accounts.example.com' }), { signatures: { signers: [ALICE] } }));
    fails(
      judge(by({ identity: 'mallory@example.com', issuer: 'https://accounts.example.com' }), { signatures: { signers: [ALICE] } }),
      'signatures',
      'signed by mallory@example.com (https://accounts.example.com), which this policy does not trust (it trusts alice@example.com (issuer https://accounts.example.com))',
    );
    fails(
      judge(by({ identity: 'alice@example.com', issuer: 'https://evil.example.com' }), { signatures: { signers: [ALICE] } }),
      'signatures',
      'signed by alice@example.com (https://evil.example.com), which this policy does not trust (it trusts alice@example.com (issuer https://accounts.example.com))',
    );
    const regexp: TrustedSigner = { keyless: { identityRegexp: '.*@example\\.com', issuer: 'https://accounts.example.com' } };
    passes(judge(by({ identity: 'bob@example.com', issuer: 'https://accounts.example.com' }), { signatures: { signers: [regexp] } }));
    fails(
      judge(by({ verified: false, error: 'certificate has expired and no timestamp places signing in its validity' }), {
        signatures: { signers: [ALICE] },
      }),
      'signatures',
      'a keyless certificate that did not verify: certificate has expired and no timestamp',
    );
  });

  it('a payload naming another digest does not count, whoever signed it', () => {
    const other = sha('another-image');
    fails(
      judge(
        signedReport('pd', (d) => ({ signatures: [keySignature(release, REPO, d, { payloadDigest: other })] })),
        {
          signatures: { signers: [RELEASE] },
        },
      ),
      'signatures',
      `payload is for ${other}`,
    );
  });

  it('a signature copied from another repository does not count, unless matchReference is off; Docker Hub names normalise', () => {
    const copied = signedReport('cp', (d) => ({ signatures: [keySignature(release, 'docker.io/other/repo:v1', d)] }));
    fails(
      judge(copied, { signatures: { signers: [RELEASE] } }),
      'signatures',
      'signature for docker.io/other/repo copied to this repository',
    );
    passes(judge(copied, { signatures: { signers: [RELEASE], matchReference: false } }));
    const hub = signedReport('hub', (d) => ({ signatures: [keySignature(release, 'nginx:1.27', d)] }));
    hub.image.registry = 'docker.io';
    hub.image.repository = 'library/nginx';
    passes(judge(hub, { signatures: { signers: [RELEASE] } }));
    const byDigest = signedReport('byd', (d) => ({ signatures: [keySignature(release, `${REPO}@${d}`, d)] }));
    passes(judge(byDigest, { signatures: { signers: [RELEASE] } }));
  });

  it('N of M: two distinct signers are needed; one short names who signed and who is missing', () => {
    const both = signedReport('nm2', (d) => ({ signatures: [keySignature(release, REPO, d), keySignature(ops, REPO, d)] }));
    passes(judge(both, { signatures: { signers: [RELEASE, OPS], required: 2 } }));
    const one = signedReport('nm1', (d) => ({ signatures: [keySignature(release, REPO, d), keySignature(release, REPO, d)] }));
    const r = fails(
      judge(one, { signatures: { signers: [RELEASE, OPS], required: 2 } }),
      'signatures',
      '1 of 2 required signers (release key); missing: ops key',
    );
    assert.match(r.remediation, /ops key/);
    assert.doesNotMatch(r.remediation, /release key/, 'only the missing signer is asked for');
  });

  it('the index/platform rule: which signed digest counts for a platform image', () => {
    const index = sha('the-index');
    const onIndex = signedReport('pl-idx', () => ({ index, signatures: [keySignature(release, REPO, index, { scope: 'index' })] }));
    const onPlatform = signedReport('pl-own', (d) => ({ index, signatures: [keySignature(release, REPO, d)] }));
    passes(judge(onIndex, { signatures: { signers: [RELEASE] } }));
    passes(judge(onPlatform, { signatures: { signers: [RELEASE] } }));
    passes(judge(onIndex, { signatures: { signers: [RELEASE], signedDigest: 'index' } }));
    passes(judge(onPlatform, { signatures: { signers: [RELEASE], signedDigest: 'platform' } }));
    fails(
      judge(onIndex, { signatures: { signers: [RELEASE], signedDigest: 'platform' } }),
      'signatures',
      'signature on the index does not count (signedDigest: platform)',
    );
    const r = fails(
      judge(onPlatform, { signatures: { signers: [RELEASE], signedDigest: 'index' } }),
      'signatures',
      'signature on the platform image does not count (signedDigest: index)',
    );
    assert.ok(r.remediation.includes(index), 'asks for the index to be signed');
    // A single-arch image has no index: its own signature is the one a user signs, under `index` too.
    passes(
      judge(
        signedReport('single', (d) => ({ signatures: [keySignature(release, REPO, d)] })),
        { signatures: { signers: [RELEASE], signedDigest: 'index' } },
      ),
    );
  });
});

describe('index verdict over platforms judged by the index/platform rule', () => {
  it('signedDigest index: a platform carrying only its own signature makes the index non-compliant; platform: an index signature alone does too', () => {
    const index = sha('mp-index');
    const platforms = ['amd64', 'arm64'].map((arch) => {
      const r = report({}, { digest: sha(`mp-${arch}`), platform: { os: 'linux', architecture: arch } as never });
      return r;
    });
    const discovered = create(ImageDiscoveredSchema, {
      image: { registry: 'registry.example.com', repository: 'team-a/api', digest: index },
      manifests: platforms.map((p) => ({ digest: p.image.digest })),
    });
    const aggregate = (signedDigest: 'index' | 'platform', sign: (r: ScanReport) => Parameters<typeof trustSection>[1]) => {
      const p = ref('p1', policy({ signatures: { signers: [RELEASE], signedDigest } }));
      const verdicts = new Map(
        platforms.map((r) => {
          const signed = { ...r, trust: trustSection(r, sign(r)) };
          return [r.image.digest, verdictFromEvaluation(signed, evaluateImage(signed, [p], [], NOW), [p], NOW)] as const;
        }),
      );
      return indexVerdict(discovered, verdicts, NOW);
    };
    const indexSig = (): Parameters<typeof trustSection>[1] => ({
      index,
      signatures: [keySignature(release, REPO, index, { scope: 'index' })],
    });
    // amd64 carries only its own signature, arm64 the index's.
    const mixed = (r: ScanReport) =>
      r.image.digest === platforms[0]!.image.digest ? { index, signatures: [keySignature(release, REPO, r.image.digest)] } : indexSig();
    const underIndex = aggregate('index', mixed);
    assert.equal(underIndex.compliance, Compliance.NON_COMPLIANT);
    assert.deepEqual(
      underIndex.platforms.map((p) => p.compliance),
      [Compliance.NON_COMPLIANT, Compliance.COMPLIANT],
    );
    assert.match(underIndex.platforms[0]!.reasons[0]!.message, /signature on the platform image does not count \(signedDigest: index\)/);
    const underPlatform = aggregate('platform', mixed);
    assert.deepEqual(
      underPlatform.platforms.map((p) => p.compliance),
      [Compliance.COMPLIANT, Compliance.NON_COMPLIANT],
    );
    assert.match(underPlatform.platforms[1]!.reasons[0]!.message, /signature on the index does not count \(signedDigest: platform\)/);
    assert.equal(aggregate('index', indexSig).compliance, Compliance.COMPLIANT, 'every platform reached through the signed index');
  });
});

const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const BUILDER = 'https://github.com/acme/builders/.github/workflows/build.yml@refs/heads/main';

describe('attestations', () => {
  const provenance = (builderId: string, sourceRepository = 'https://github.com/acme/api') => ({
    slsaVersion: '1' as const,
    builderId,
    buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
    sourceRepository,
  });
  const requirement = {
    type: 'slsaprovenance',
    signers: [RELEASE],
    builderIds: [BUILDER],
    sourceRepositories: ['https://github.com/acme/*'],
  };

  it('SLSA provenance signed by a trusted key from an allowed builder and source passes', () => {
    const r = signedReport('att-ok', (d) => ({
      attestations: [keyAttestation(release, d, SLSA_V1, 'slsa-provenance', { provenance: provenance(BUILDER) })],
    }));
    passes(judge(r, { attestations: [requirement] }));
    passes(judge(r, { attestations: [{ type: SLSA_V1, signers: [RELEASE] }] }));
  });

  it('a builder not on the allow list, or a source repository outside the globs, fails naming it', () => {
    const other = 'https://github.com/x/y/.github/workflows/b.yml@refs/heads/main';
    fails(
      judge(
        signedReport('att-b', (d) => ({
          attestations: [keyAttestation(release, d, SLSA_V1, 'slsa-provenance', { provenance: provenance(other) })],
        })),
        {
          attestations: [requirement],
        },
      ),
      'attestations',
      `provenance by builder ${other}, which is not in the allow list`,
    );
    fails(
      judge(
        signedReport('att-s', (d) => ({
          attestations: [
            keyAttestation(release, d, SLSA_V1, 'slsa-provenance', { provenance: provenance(BUILDER, 'https://github.com/evil/api') }),
          ],
        })),
        { attestations: [requirement] },
      ),
      'attestations',
      'provenance from source repository https://github.com/evil/api, which matches none of https://github.com/acme/*',
    );
  });

  it('an attestation about another digest, or signed by an untrusted key, or missing, fails with its reason', () => {
    const elsewhere = sha('attested-elsewhere');
    fails(
      judge(
        signedReport('att-subj', (d) => ({
          attestations: [
            keyAttestation(release, d, SLSA_V1, 'slsa-provenance', { subjects: [elsewhere], provenance: provenance(BUILDER) }),
          ],
        })),
        { attestations: [requirement] },
      ),
      'attestations',
      `attestation is about ${elsewhere}, not`,
    );
    fails(
      judge(
        signedReport('att-key', (d) => ({
          attestations: [keyAttestation(stranger, d, SLSA_V1, 'slsa-provenance', { provenance: provenance(BUILDER) })],
        })),
        {
          attestations: [requirement],
        },
      ),
      'attestations',
      'attestation signed with a key this policy does not trust (a key signature; checked against release key)',
    );
    const none = signedReport('att-none', () => ({}));
    fails(
      judge(none, { attestations: [requirement] }),
      'attestations',
      `no slsaprovenance attestation found for ${none.image.digest.slice(0, 19)}`,
    );
    // An SBOM is not provenance.
    fails(
      judge(
        signedReport('att-sbom', (d) => ({ attestations: [keyAttestation(release, d, 'https://cyclonedx.org/bom', 'cyclonedx')] })),
        {
          attestations: [requirement],
        },
      ),
      'attestations',
      'no slsaprovenance attestation found',
    );
  });
});

describe('VEX suppression', () => {
  const OPENVEX = 'https://openvex.dev/ns/v0.2.0';
  const findings = [
    vuln('CVE-2024-100', 'critical'),
    vuln('CVE-2024-200', 'critical', { aliases: ['GHSA-aaaa-bbbb-cccc'] }),
    vuln('CVE-2024-300', 'critical'),
  ];
  const packages = [
    {
      name: 'openssl',
      version: '3.0.11',
      type: 'deb',
      purl: 'pkg:deb/debian/openssl@3.0.11?arch=amd64&distro=debian-12',
      licences: ['Apache-2.0'],
    },
  ];
  const vexReport = (seed: string, key: typeof release) =>
    signedReport(
      seed,
      (d) => ({
        attestations: [
          keyAttestation(key, d, OPENVEX, 'openvex', {
            vex: [
              { vulnerability: 'CVE-2024-100', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
              { vulnerability: 'GHSA-aaaa-bbbb-cccc', status: 'fixed', products: ['pkg:deb/debian/openssl@3.0.11?arch=arm64'] },
              { vulnerability: 'CVE-2024-300', status: 'affected' },
            ],
          }),
        ],
      }),
      { vulnerabilities: findings, packages } as Partial<ScanReport>,
    );

  it('not_affected and fixed statements from a trusted signer suppress their findings (by id, alias, product without qualifiers), recorded in the verdict', () => {
    const r = vexReport('vex-ok', release);
    const e = judge(r, { vulnerabilities: { maxSeverity: 'high', vex: { signers: [RELEASE] } } });
    const reason = fails(e, 'vulnerabilities', 'CVE-2024-300');
    assert.deepEqual(reason.items, ['CVE-2024-300'], 'the affected one still fails');
    assert.deepEqual(
      e.suppressed?.map((s) => [s.policy, s.control, s.item, s.by, s.status, s.justification, s.signer]),
      [
        ['p1', 'vulnerabilities', 'CVE-2024-100', 'vex', 'not_affected', 'vulnerable_code_not_in_execute_path', 'release key'],
        ['p1', 'vulnerabilities', 'CVE-2024-200', 'vex', 'fixed', undefined, 'release key'],
      ],
    );
    const p = ref('p1', policy({ vulnerabilities: { maxSeverity: 'high', vex: { signers: [RELEASE] } } }));
    const verdict = verdictFromEvaluation(r, e, [p], NOW);
    assert.deepEqual(
      verdict.suppressed.map((s) => [s.item, s.status, s.signer, s.attestation]),
      [
        ['CVE-2024-100', 'not_affected', 'release key', r.trust!.attestations[0]!.artifact],
        ['CVE-2024-200', 'fixed', 'release key', r.trust!.attestations[0]!.artifact],
      ],
    );
    // Only not_affected when the policy says so.
    const strict = judge(r, { vulnerabilities: { maxSeverity: 'high', vex: { signers: [RELEASE], statuses: ['not_affected'] } } });
    assert.deepEqual(strict.reasons[0]!.items, ['CVE-2024-200', 'CVE-2024-300']);
  });

  it('VEX from an untrusted signer suppresses nothing', () => {
    const e = judge(vexReport('vex-untrusted', stranger), { vulnerabilities: { maxSeverity: 'high', vex: { signers: [RELEASE] } } });
    assert.deepEqual(fails(e, 'vulnerabilities').items, ['CVE-2024-100', 'CVE-2024-200', 'CVE-2024-300']);
    assert.equal(e.suppressed, undefined);
  });

  it('a statement limited to another package does not suppress; the block list is not overruled', () => {
    const r = vexReport('vex-prod', release);
    r.packages = [{ name: 'openssl', version: '3.0.11', type: 'deb', purl: 'pkg:deb/debian/libssl3@3.0.11' }] as ScanReport['packages'];
    const e = judge(r, { vulnerabilities: { maxSeverity: 'high', deny: ['CVE-2024-100'], vex: { signers: [RELEASE] } } });
    assert.deepEqual(fails(e, 'vulnerabilities').items, ['CVE-2024-100', 'CVE-2024-200', 'CVE-2024-300']);
  });
});

describe('policy documents with trust controls', () => {
  it('are accepted as valid; a bad PEM or regexp is refused naming the field', () => {
    const doc = policy({
      signatures: { signers: [RELEASE, ALICE], required: 2, signedDigest: 'index' },
      attestations: [{ type: 'slsaprovenance', signers: [RELEASE], builderIds: [BUILDER] }],
      vulnerabilities: { maxSeverity: 'high', vex: { signers: [OPS] } },
    });
    assert.deepEqual(validateImagePolicy(doc).controls.signatures?.required, 2);
    const bad = (controls: unknown, field: RegExp) => {
      assert.throws(
        () => validateImagePolicy({ ...doc, controls }),
        (err: unknown) => err instanceof ValidationError && field.test(err.message),
      );
    };
    bad(
      { signatures: { signers: [{ key: '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----' }] } },
      /controls\.signatures\.signers\[0\]\.key: not a usable PEM public key/,
    );
    bad(
      { signatures: { signers: [{ keyless: { identityRegexp: '(unclosed', issuer: 'x' } }] } },
      /controls\.signatures\.signers\[0\]\.keyless\.identityRegexp: not a valid regular expression/,
    );
    bad({ signatures: { signers: [RELEASE], required: 2 } }, /required is more than the number of signers/);
  });
});
