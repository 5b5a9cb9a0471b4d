// A verdict's trust summary: whether the scan found a usable signature for the digest, who signed,
// and which kinds of attestation it carries. Audit documents index it (assay.trust.*) so a
// dashboard can ask "unsigned images admitted" without reading reasons. It says what was there;
// whether a policy trusted the signer is the `signatures` / `attestations` reasons' business.
import { create } from '@bufbuild/protobuf';
import { TrustSummarySchema, type TrustSummary } from '@assay/proto';
import type { AttestationRecord, ScanReport, SignatureRecord } from '@assay/domain';

/** Signers and kinds kept in a summary: a verdict is a bounded KV value. */
const MAX_ENTRIES = 50;
const MAX_LENGTH = 500;

type Signed = Pick<SignatureRecord, 'keyless' | 'keyed' | 'error'>;

/**
 * Who signed a record, when it is usable: a keyless certificate the scanner verified names its
 * identity; a key signature names no key until a policy's key verifies it, so it is `key`
 * (with the signer's key id hint when it gave one). Undefined for an artifact that cannot count.
 */
export function signerOf(record: Signed): string | undefined {
  if (record.error !== undefined) return undefined;
  if (record.keyless) return record.keyless.verified ? (record.keyless.identity ?? 'keyless') : undefined;
  if (record.keyed && record.keyed.signatures.length > 0) return record.keyed.keyHint ? `key ${record.keyed.keyHint}` : 'key';
  return undefined;
}

function attestationCounts(a: AttestationRecord): boolean {
  return a.subjectMatches && signerOf(a) !== undefined;
}

function bounded(values: Iterable<string>): string[] {
  const out = [...new Set([...values].map((v) => (v.length > MAX_LENGTH ? `${v.slice(0, MAX_LENGTH - 1)}…` : v)))];
  return out.sort().slice(0, MAX_ENTRIES);
}

/** The summary of a report's trust section; undefined when the report has none (not verified). */
export function trustSummaryOf(report: Pick<ScanReport, 'trust'>): TrustSummary | undefined {
  const trust = report.trust;
  if (!trust) return undefined;
  const signers = bounded(trust.signatures.flatMap((s) => signerOf(s) ?? []));
  return create(TrustSummarySchema, {
    signed: signers.length > 0,
    signers,
    attestationKinds: bounded(trust.attestations.filter(attestationCounts).map((a) => a.kind)),
  });
}

/**
 * An index's summary over its platforms' verdicts: signed when every platform is (a pod may run
 * any of them), with every signer and attestation kind found on any platform; undefined until a
 * platform has a summary.
 */
export function aggregateTrust(platforms: Iterable<{ trust?: TrustSummary | undefined }>): TrustSummary | undefined {
  const summaries = [...platforms].map((p) => p.trust);
  if (!summaries.some((t) => t !== undefined)) return undefined;
  return create(TrustSummarySchema, {
    signed: summaries.every((t) => t?.signed === true),
    signers: bounded(summaries.flatMap((t) => t?.signers ?? [])),
    attestationKinds: bounded(summaries.flatMap((t) => t?.attestationKinds ?? [])),
  });
}
