// A report's trust section as the scanner writes it, for the report-format and audit tests: one
// verified keyless signature, one key signature (a real ECDSA P-256 signature over a cosign
// simple-signing payload built as cosign documents it), one record that cannot count (payload
// of another digest), one SLSA v1 provenance attestation and one OpenVEX attestation. The signed
// payloads and signatures are exported so tests can search their output for them: none may leak.
import { generateKeyPairSync, sign } from 'node:crypto';
import { TrustSectionSchema, type TrustSection } from '@assay/domain';
import { simpleSigningPayload } from './cosign-artifacts.ts';

export const KEYLESS_IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
export const KEYLESS_ISSUER = 'https://token.actions.githubusercontent.com';
export const BUILDER_ID =
  'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0';
export const SOURCE_REPOSITORY = 'git+https://github.com/acme/app';
export const SOURCE_DIGEST = 'sha1:4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface TrustFixture {
  section: TrustSection;
  /** Every signed payload (base64) and signature (base64) in the section: must never appear in output. */
  secrets: string[];
}

/** The trust section of `registry/repository@digest`, verified at `verifiedAt`. */
export function trustFixture(image: { registry: string; repository: string; digest: string }): TrustFixture {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const reference = `${image.registry}/${image.repository}`;
  const payload = simpleSigningPayload(reference, image.digest);
  const signed = payload.toString('base64');
  const signature = sign('sha256', payload, privateKey).toString('base64');
  const other = simpleSigningPayload(reference, `sha256:${'9'.repeat(64)}`);
  const otherSigned = other.toString('base64');
  const otherSignature = sign('sha256', other, privateKey).toString('base64');
  const tag = (suffix: string) => `${reference}:${image.digest.replace(':', '-')}.${suffix}`;
  const dsse = Buffer.from('DSSEv1 28 application/vnd.in-toto+json 2 {}').toString('base64');
  const dsseSignature = sign('sha256', Buffer.from(dsse, 'base64'), privateKey).toString('base64');
  const section = TrustSectionSchema.parse({
    verifiedAt: '2026-11-26T10:00:00Z',
    subjects: [{ digest: image.digest, scope: 'image' }],
    roots: ['public-good@5f1a'],
    signatures: [
      {
        subject: image.digest,
        scope: 'image',
        source: 'referrer',
        format: 'sigstore-bundle',
        artifact: `${reference}@sha256:${'b'.repeat(64)}`,
        keyless: {
          verified: true,
          identity: KEYLESS_IDENTITY,
          issuer: KEYLESS_ISSUER,
          timestamp: 'tlog',
          signedAt: '2026-11-26T09:00:00Z',
          root: 'public-good@5f1a',
        },
      },
      {
        subject: image.digest,
        scope: 'image',
        source: 'cosign-tag',
        format: 'cosign',
        artifact: tag('sig'),
        keyed: { signed, signatures: [signature], keyHint: 'release' },
        payloadDigest: image.digest,
        dockerReference: reference,
      },
      {
        subject: image.digest,
        scope: 'image',
        source: 'cosign-tag',
        format: 'cosign',
        artifact: tag('sig'),
        keyed: { signed: otherSigned, signatures: [otherSignature] },
        payloadDigest: `sha256:${'9'.repeat(64)}`,
        dockerReference: reference,
        error: `payload names sha256:${'9'.repeat(64)}, not this image`,
      },
    ],
    attestations: [
      {
        subject: image.digest,
        scope: 'image',
        source: 'referrer',
        format: 'sigstore-bundle',
        artifact: `${reference}@sha256:${'c'.repeat(64)}`,
        keyless: { verified: true, identity: KEYLESS_IDENTITY, issuer: KEYLESS_ISSUER, timestamp: 'tlog' },
        predicateType: 'https://slsa.dev/provenance/v1',
        kind: 'slsa-provenance',
        subjectMatches: true,
        provenance: {
          slsaVersion: '1',
          builderId: BUILDER_ID,
          buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
          sourceRepository: SOURCE_REPOSITORY,
          sourceRef: 'refs/heads/main',
          sourceDigest: SOURCE_DIGEST,
        },
      },
      {
        subject: image.digest,
        scope: 'image',
        source: 'cosign-tag',
        format: 'cosign',
        artifact: tag('att'),
        keyed: { signed: dsse, signatures: [dsseSignature] },
        predicateType: 'https://openvex.dev/ns/v0.2.0',
        kind: 'openvex',
        subjectMatches: true,
        vex: [{ vulnerability: 'CVE-2024-0002', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }],
      },
    ],
    warnings: [],
  });
  return { section, secrets: [signed, signature, otherSigned, otherSignature, dsse, dsseSignature] };
}
