// Keyless verification: a Sigstore bundle's certificate chains to a trusted Fulcio root, a
// transparency-log entry (signed entry timestamp or inclusion proof) or an RFC 3161 timestamp
// places signing inside the certificate's short validity, and the certificate's key signed the
// content. @sigstore/verify does every check; this module picks the thresholds per bundle and root,
// reports which timestamp vouched and who signed (certificate SAN, OIDC issuer extension), and
// turns cosign's keyless layer annotations into a bundle so both formats are judged by one path.
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import type { KeylessResult } from '@assay/domain';
import { isObject } from '@assay/kit';
import type { Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { toSignedEntity, Verifier, type SignedEntity } from '@sigstore/verify';
import type { CosignKeylessMaterial } from './artifacts.ts';
import { BundleError, parseBundle } from './bundle.ts';
import type { TrustedRootMaterial, TrustedRoots } from './trusted-root.ts';

export const KEY_SIGNATURE_ERROR = 'no certificate: a key signature';
/** A timestamp this far ahead of `now` is refused: a clock cannot have signed in the future. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_ERROR = 2000;

/**
 * Verifies a bundle's certificate (Fulcio chain to one of `roots`), transparency-log entry (SET or
 * inclusion proof) or RFC 3161 timestamp placing signing inside the certificate's validity, and the
 * signature over `artifact` (a message-signature bundle needs the signed bytes; for DSSE the
 * envelope itself is the artifact). Never throws: a failure is { verified: false, error }.
 */
export function verifyKeyless(bundle: unknown, artifact: Buffer | undefined, roots: TrustedRoots, now = new Date()): KeylessResult {
  let parsed: Bundle;
  try {
    parsed = parseBundle(bundle).bundle;
  } catch (err) {
    return failure(err instanceof BundleError ? err.message : `unreadable bundle: ${(err as Error).message}`);
  }
  if (parsed.verificationMaterial.content.$case === 'publicKey') return failure(KEY_SIGNATURE_ERROR);
  if (parsed.content.$case === 'messageSignature' && !artifact) {
    return failure('message signature: the signed artifact is needed, the bundle holds only its digest');
  }
  if (roots.roots.length === 0) return failure('no trusted root configured for keyless signatures');

  let entity: SignedEntity;
  try {
    // The artifact is only read for a message signature; a DSSE envelope carries its payload.
    entity = toSignedEntity(parsed, artifact ?? Buffer.alloc(0));
  } catch (err) {
    return failure(`unreadable bundle: ${(err as Error).message}`);
  }
  if (entity.key.$case !== 'certificate') return failure(KEY_SIGNATURE_ERROR);
  const leaf = entity.key.certificate;
  if (!hasTimeProof(entity)) return failure(noTimestamp(leaf, now));

  const errors: string[] = [];
  for (const root of roots.roots) {
    try {
      const signer = verifierFor(root, entity).verify(entity);
      const { timestamp, signedAt } = timeProof(entity);
      if (signedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
        return failure(`signing time ${signedAt.toISOString()} is in the future`);
      }
      const identity = signer.identity?.subjectAlternativeName;
      const issuer = signer.identity?.extensions?.issuer;
      return {
        verified: true,
        ...(identity ? { identity: identity.slice(0, MAX_ERROR) } : {}),
        ...(issuer ? { issuer: issuer.slice(0, MAX_ERROR) } : {}),
        timestamp,
        signedAt,
        root: root.id,
      };
    } catch (err) {
      errors.push(roots.roots.length > 1 ? `${root.id}: ${describe(err)}` : describe(err));
    }
  }
  return failure(errors.join('; '));
}

/**
 * Thresholds per bundle and root: a time proof is always required (threshold 1); log entries are
 * required only when the bundle has any (a bundle timestamped by a TSA alone may carry none, and
 * any it carries must verify); an SCT only when the root lists CT logs (a private Fulcio may run
 * without one).
 */
function verifierFor(root: TrustedRootMaterial, entity: SignedEntity): Verifier {
  return new Verifier(root.material, {
    tlogThreshold: entity.tlogEntries.length > 0 ? 1 : 0,
    ctlogThreshold: root.hasCtlogs ? 1 : 0,
    timestampThreshold: 1,
  });
}

/** The proof that placed signing in the certificate's validity: the log's, else the TSA's. */
function timeProof(entity: SignedEntity): { timestamp: 'tlog' | 'tsa'; signedAt: Date } {
  for (const t of entity.timestamps) {
    if (t.$case === 'transparency-log' && t.tlogEntry.inclusionPromise) {
      return { timestamp: 'tlog', signedAt: new Date(Number(t.tlogEntry.integratedTime) * 1000) };
    }
  }
  for (const t of entity.timestamps) {
    if (t.$case === 'timestamp-authority') return { timestamp: 'tsa', signedAt: t.timestamp.signingTime };
  }
  // Unreachable after a successful verify (it requires one time proof); say so if it happens.
  throw new Error('no verified timestamp');
}

/** A log entry counts as a time proof only with its signed entry timestamp (what @sigstore/verify reads). */
function hasTimeProof(entity: SignedEntity): boolean {
  return entity.timestamps.some((t) => t.$case === 'timestamp-authority' || t.tlogEntry.inclusionPromise !== undefined);
}

function noTimestamp(leaf: X509Certificate, now: Date): string {
  const why = 'no transparency-log entry or RFC 3161 timestamp shows it was signed while the certificate was valid';
  if (leaf.notAfter.getTime() < now.getTime()) return `certificate expired at ${leaf.notAfter.toISOString()} and ${why}`;
  return `no time proof: ${why}`;
}

/** One line from @sigstore/verify's error and its cause ("certificate: Failed to verify certificate chain: …"). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  // Errors without a code come from parsing (an ASN.1 time @sigstore/core cannot read…).
  const area =
    typeof code !== 'string'
      ? 'unreadable bundle: '
      : code.startsWith('TLOG')
        ? 'transparency log: '
        : code === 'CERTIFICATE_ERROR'
          ? 'certificate: '
          : code === 'SIGNATURE_ERROR'
            ? 'signature: '
            : code === 'TIMESTAMP_ERROR'
              ? 'timestamp: '
              : '';
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${area}${err.message}${cause}`;
}

function failure(error: string): KeylessResult {
  return { verified: false, error: error.slice(0, MAX_ERROR) };
}

// ---- cosign's keyless annotations as a bundle ------------------------------------------------

const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/**
 * cosign's keyless layer annotations (certificate, chain, Rekor bundle with SET, RFC 3161
 * timestamp) over `signed` (a simple-signing payload with its base64 signature, or a DSSE envelope)
 * as a Sigstore bundle in the v0.1 shape (inclusion promise, certificate chain), so verifyKeyless
 * judges both alike. A simple-signing payload becomes a message signature: pass the payload as
 * verifyKeyless's artifact. An attestation's RFC 3161 timestamp is left out (cosign stamps the
 * envelope bytes, not the signature). Throws a BundleError when the annotations are not readable.
 */
export function bundleFromCosign(
  material: CosignKeylessMaterial,
  signed: { payload: Buffer; signature: string } | { envelope: Buffer },
): unknown {
  if (!material.certificate) throw new BundleError(KEY_SIGNATURE_ERROR);
  const certificates = [...pemCertificates(material.certificate, 'certificate'), ...pemCertificates(material.chain ?? '', 'chain')];
  if (certificates.length === 0) throw new BundleError('certificate annotation holds no PEM certificate');
  const verificationMaterial: Record<string, unknown> = {
    x509CertificateChain: { certificates: certificates.map((der) => ({ rawBytes: der.toString('base64') })) },
    tlogEntries: material.rekorBundle ? [tlogEntry(material.rekorBundle)] : [],
  };
  // cosign timestamps a simple-signing signature's raw bytes (what a bundle's timestamp covers),
  // but an attestation's whole envelope layer: that one cannot be checked as a bundle timestamp, so
  // an attestation counts on its log entry alone.
  if (material.rfc3161Timestamp && !('envelope' in signed)) {
    verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [rfc3161(material.rfc3161Timestamp)] };
  }
  const base = { mediaType: BUNDLE_V01, verificationMaterial };
  if ('envelope' in signed) return { ...base, dsseEnvelope: envelopeJSON(signed.envelope) };
  return {
    ...base,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(signed.payload).digest('base64') },
      signature: signed.signature,
    },
  };
}

/** The DER of each PEM certificate in `text` (at most 10: a leaf and its chain). */
function pemCertificates(text: string, what: string): Buffer[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.slice(0, 10).map((pem) => {
    try {
      return new NodeX509(pem).raw;
    } catch (err) {
      throw new BundleError(`${what} annotation: not a PEM certificate (${(err as Error).message})`);
    }
  });
}

/** cosign's `dev.sigstore.cosign/bundle`: {SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}. */
function tlogEntry(text: string): Record<string, unknown> {
  const json = parseJSON(text, 'Rekor bundle annotation');
  const payload = json.Payload;
  if (!isObject(payload)) throw new BundleError('Rekor bundle annotation: no Payload');
  const { body, integratedTime, logIndex, logID } = payload;
  if (typeof body !== 'string' || typeof logID !== 'string' || typeof json.SignedEntryTimestamp !== 'string') {
    throw new BundleError('Rekor bundle annotation: Payload.body, Payload.logID and SignedEntryTimestamp are required');
  }
  if (!Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex)) {
    throw new BundleError('Rekor bundle annotation: Payload.integratedTime and Payload.logIndex must be integers');
  }
  // The entry's kind and version live in its body; the bundle repeats them.
  const entry = parseJSON(Buffer.from(body, 'base64').toString('utf8'), 'Rekor bundle annotation Payload.body');
  if (typeof entry.kind !== 'string' || typeof entry.apiVersion !== 'string') {
    throw new BundleError('Rekor bundle annotation: Payload.body has no kind/apiVersion');
  }
  return {
    logIndex: String(logIndex),
    logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
    kindVersion: { kind: entry.kind, version: entry.apiVersion },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: json.SignedEntryTimestamp },
    canonicalizedBody: body,
  };
}

/** cosign's `dev.sigstore.cosign/rfc3161timestamp`: {SignedRFC3161Timestamp: base64 DER}. */
function rfc3161(text: string): { signedTimestamp: string } {
  const json = parseJSON(text, 'RFC 3161 timestamp annotation');
  if (typeof json.SignedRFC3161Timestamp !== 'string') {
    throw new BundleError('RFC 3161 timestamp annotation: SignedRFC3161Timestamp is required');
  }
  return { signedTimestamp: json.SignedRFC3161Timestamp };
}

/** A DSSE envelope layer ({payloadType, payload, signatures}) in the bundle's JSON form. */
function envelopeJSON(bytes: Buffer): Record<string, unknown> {
  const env = parseJSON(bytes.toString('utf8'), 'DSSE envelope');
  if (typeof env.payloadType !== 'string' || typeof env.payload !== 'string' || !Array.isArray(env.signatures)) {
    throw new BundleError('DSSE envelope: payloadType, payload and signatures are required');
  }
  return { payloadType: env.payloadType, payload: env.payload, signatures: env.signatures };
}

function parseJSON(text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${what}: not JSON (${(err as Error).message})`);
  }
  if (!isObject(json)) throw new BundleError(`${what}: not a JSON object`);
  return json;
}
