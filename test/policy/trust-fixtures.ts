// Trust sections for the policy tests, as the scanner writes them: key signatures with REAL
// material (keys made here with node:crypto; cosign simple-signing payloads laid out as cosign
// marshals them, in-toto statements in DSSE envelopes signed over their pre-authentication
// encoding), and keyless records with what the scanner verified about the certificate.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { AttestationRecord, KeylessResult, ScanReport, SignatureRecord, TrustSection } from '@assay/domain';
import { pae, simpleSigningPayload } from '../support/cosign-artifacts.ts';

export interface TestKey {
  pem: string;
  privateKey: KeyObject;
  hash: string | null;
}

export function makeKey(kind: 'p256' | 'ed25519' = 'p256'): TestKey {
  const pair = kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return {
    pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: pair.privateKey,
    hash: kind === 'p256' ? 'sha256' : null,
  };
}

function signedBy(key: TestKey, bytes: Buffer) {
  return { signed: bytes.toString('base64'), signatures: [sign(key.hash, bytes, key.privateKey).toString('base64')] };
}

const artifactOf = (n: number) => `sha256:${String(n).padStart(64, 'a')}`;
let artifacts = 0;

/**
 * A cosign key signature of `digest` (scope image unless given), with the payload naming
 * `reference`; `payloadDigest` another digest makes the scanner's error, as it writes it.
 */
export function keySignature(
  key: TestKey,
  reference: string,
  digest: string,
  over: { scope?: 'image' | 'index'; payloadDigest?: string } = {},
): SignatureRecord {
  const named = over.payloadDigest ?? digest;
  return {
    subject: digest,
    scope: over.scope ?? 'image',
    source: 'cosign-tag',
    format: 'cosign',
    artifact: artifactOf(++artifacts),
    keyed: signedBy(key, simpleSigningPayload(reference, named)),
    payloadDigest: named,
    dockerReference: reference,
    ...(named !== digest ? { error: `payload is for ${named}, not ${digest}` } : {}),
  };
}

/** A keyless (Sigstore bundle) signature with what the scanner verified about its certificate. */
export function keylessSignature(digest: string, keyless: Partial<KeylessResult>, scope: 'image' | 'index' = 'image'): SignatureRecord {
  return {
    subject: digest,
    scope,
    source: 'referrer',
    format: 'sigstore-bundle',
    artifact: artifactOf(++artifacts),
    keyless: { verified: true, timestamp: 'tlog', root: 'public-good@test', ...keyless },
    payloadDigest: digest,
  };
}

const STATEMENT = 'https://in-toto.io/Statement/v1';

/** An in-toto statement about `subjects` in a DSSE envelope signed by `key`, as an attestation record. */
export function keyAttestation(
  key: TestKey,
  digest: string,
  predicateType: string,
  kind: AttestationRecord['kind'],
  over: Partial<AttestationRecord> & { subjects?: string[] } = {},
): AttestationRecord {
  const { subjects = [digest], ...rest } = over;
  const statement = {
    _type: STATEMENT,
    subject: subjects.map((d) => ({ name: 'image', digest: { sha256: d.slice('sha256:'.length) } })),
    predicateType,
    predicate: {},
  };
  const matches = subjects.includes(digest);
  return {
    subject: digest,
    scope: 'image',
    source: 'cosign-tag',
    format: 'cosign',
    artifact: artifactOf(++artifacts),
    keyed: signedBy(key, pae('application/vnd.in-toto+json', Buffer.from(JSON.stringify(statement)))),
    predicateType,
    kind,
    subjectMatches: matches,
    ...(matches ? {} : { error: `attestation is about ${subjects.join(', ')}, not ${digest}` }),
    ...rest,
  };
}

export function trustSection(
  report: ScanReport,
  records: { signatures?: SignatureRecord[]; attestations?: AttestationRecord[]; index?: string } = {},
): TrustSection {
  return {
    verifiedAt: new Date('2026-01-01T00:00:00Z'),
    subjects: [
      { digest: report.image.digest, scope: 'image' },
      ...(records.index ? [{ digest: records.index, scope: 'index' as const }] : []),
    ],
    roots: ['public-good@test'],
    signatures: records.signatures ?? [],
    attestations: records.attestations ?? [],
    warnings: [],
  };
}
