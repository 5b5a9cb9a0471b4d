// What a report's trust section amounts to in one line, for verdicts, audit documents and
// dashboards: whether the scan found a usable signature for the digest, who signed, and which
// kinds of attestation it carries. It says what was there; whether a policy trusted the signer is
// the signatures / attestations controls' business.
import type { AttestationKind, KeyedMaterial, KeylessResult, TrustSection } from '@assay/domain';

export interface TrustOverview {
  signed: boolean;
  /** Verified keyless identities, `key` or `key <hint>` for key signatures; sorted, distinct. */
  signers: string[];
  /** Kinds of usable attestations about the digest; sorted, distinct. */
  attestationKinds: AttestationKind[];
}

/** Signers and kinds kept in an overview: it travels in bounded KV values and audit documents. */
const MAX_ENTRIES = 50;
const MAX_LENGTH = 500;

/**
 * Who signed a record, when it is usable: a keyless certificate the scanner verified names its
 * identity; a key signature names no key until a policy's key verifies it, so it is `key` (with
 * the signer's key id hint when it gave one). Undefined for an artifact that cannot count.
 */
export function signerOf(record: {
  keyless?: KeylessResult | undefined;
  keyed?: KeyedMaterial | undefined;
  error?: string | undefined;
}): string | undefined {
  if (record.error !== undefined) return undefined;
  if (record.keyless) return record.keyless.verified ? (record.keyless.identity ?? 'keyless') : undefined;
  if (record.keyed && record.keyed.signatures.length > 0) return record.keyed.keyHint ? `key ${record.keyed.keyHint}` : 'key';
  return undefined;
}

/** Distinct, sorted, each value and the list capped. */
export function boundedList<T extends string>(values: Iterable<T>): T[] {
  const out = [...new Set([...values].map((v) => (v.length > MAX_LENGTH ? (`${v.slice(0, MAX_LENGTH - 1)}…` as T) : v)))];
  return out.sort().slice(0, MAX_ENTRIES);
}

/** The overview of a trust section. */
export function summariseTrust(trust: TrustSection): TrustOverview {
  const signers = boundedList(trust.signatures.flatMap((s) => signerOf(s) ?? []));
  const kinds = trust.attestations.filter((a) => a.subjectMatches && signerOf(a) !== undefined).map((a) => a.kind);
  return { signed: signers.length > 0, signers, attestationKinds: boundedList(kinds) };
}
