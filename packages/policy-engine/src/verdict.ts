// The Verdict message (protobuf, the value in the verdicts bucket) built from an evaluation,
// and what counts as a change worth announcing.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { newEventMeta } from '@assay/proto';
import {
  Compliance,
  ImageRefSchema,
  VerdictEvidenceSchema,
  VerdictReasonSchema,
  VerdictSchema,
  VerdictSuppressionSchema,
  type Verdict,
  type VerdictEvidence,
  type VerdictReason,
} from '@assay/proto';
import type { ScanReport } from '@assay/domain';
import type { Evaluation, PolicyRef, Reason, SuppressedFinding } from './evaluate.ts';
import { trustSummaryOf } from './trust-summary.ts';

export const PRODUCER = 'policy';

export interface ImageIdentity {
  registry: string;
  repository: string;
  digest: string;
  tag?: string;
  mediaType?: string;
}

function imageRef(image: ImageIdentity) {
  return create(ImageRefSchema, {
    registry: image.registry,
    repository: image.repository,
    digest: image.digest,
    tag: image.tag ?? '',
    mediaType: image.mediaType ?? '',
  });
}

// A verdict is a KV value read by every admission replica: its evidence is bounded. A reason
// keeps its first findings (most severe first), a verdict at most MAX_EVIDENCE_PER_VERDICT over
// all its reasons; what is left out is counted in evidence_omitted. With field values capped too,
// a verdict stays in the low hundreds of KiB whatever the report (NATS refuses values over 1 MiB).
export const MAX_EVIDENCE_PER_REASON = 100;
export const MAX_EVIDENCE_PER_VERDICT = 1000;
const MAX_FIELD_LENGTH = 500;

/**
 * Evidence fields a control may carry into a verdict, where a control's evidence could hold more
 * than the verdict should: a sensitive-data finding's masked match still shows part of the
 * secret, so only its rule, path and layer are kept.
 */
const KEPT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  sensitiveData: ['rule', 'path', 'layer'],
};

function fieldValue(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s =
    typeof v === 'string'
      ? v
      : Array.isArray(v)
        ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  return s.length > MAX_FIELD_LENGTH ? `${s.slice(0, MAX_FIELD_LENGTH - 1)}…` : s;
}

/** A finding as the verdict carries it: its item and its evidence, values as strings. */
export function verdictEvidence(control: string, item: string, evidence: Record<string, unknown>): VerdictEvidence {
  const kept = KEPT_FIELDS[control];
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(evidence)) {
    if (kept && !kept.includes(k)) continue;
    const s = fieldValue(v);
    if (s !== undefined) fields[k] = s;
  }
  return create(VerdictEvidenceSchema, { item: fieldValue(item) ?? '', fields });
}

/** Reasons with their evidence cut to the per-reason cap and a shared per-verdict budget. */
export function boundEvidence(reasons: readonly VerdictReason[], budget = MAX_EVIDENCE_PER_VERDICT): VerdictReason[] {
  let left = budget;
  return reasons.map((r) => {
    const keep = Math.min(r.evidence.length, MAX_EVIDENCE_PER_REASON, left);
    left -= keep;
    if (keep === r.evidence.length) return r;
    return create(VerdictReasonSchema, {
      ...r,
      evidence: r.evidence.slice(0, keep),
      evidenceOmitted: r.evidenceOmitted + r.evidence.length - keep,
    });
  });
}

function reasonOf(r: Reason): VerdictReason {
  const all = r.evidence.items;
  const keep = Math.min(all.length, MAX_EVIDENCE_PER_REASON);
  return create(VerdictReasonSchema, {
    policy: r.policy,
    control: r.control,
    message: `${r.action === 'audit' ? 'audit only: ' : ''}${r.message} — ${r.remediation}`,
    severity: r.severity,
    remediation: r.remediation,
    auditOnly: r.action === 'audit',
    evidence: all.slice(0, keep).map((e, i) => verdictEvidence(r.control, r.items[i] ?? '', e)),
    evidenceOmitted: all.length - keep,
  });
}

/** The evaluation's suppressions as the verdict carries them, the first MAX_EVIDENCE_PER_VERDICT. */
function suppressionsOf(all: readonly SuppressedFinding[] | undefined) {
  if (!all || all.length === 0) return {};
  const kept = all.slice(0, MAX_EVIDENCE_PER_VERDICT).map((s) =>
    create(VerdictSuppressionSchema, {
      policy: s.policy,
      control: s.control,
      item: fieldValue(s.item) ?? '',
      by: s.by,
      status: s.status,
      justification: fieldValue(s.justification) ?? '',
      signer: fieldValue(s.signer) ?? '',
      attestation: fieldValue(s.attestation) ?? '',
      document: fieldValue(s.document) ?? '',
      statement: fieldValue(s.statement) ?? '',
      detail: fieldValue(s.detail) ?? '',
    }),
  );
  return { suppressed: kept, suppressedOmitted: all.length - kept.length };
}

function scanTime(report: ScanReport) {
  const at: unknown = report.scannedAt;
  const d = at instanceof Date ? at : typeof at === 'string' ? new Date(at) : undefined;
  return d && !Number.isNaN(d.getTime()) ? { scannedAt: timestampFromDate(d) } : {};
}

/**
 * The verdict for an evaluated report: each reason with its findings (bounded), remediation and
 * whether it is audit-only (its message says so too), when the report was scanned, and the
 * summary of its trust section (signatures and attestations found) when it has one.
 */
export function verdictFromEvaluation(
  report: ScanReport,
  evaluation: Evaluation,
  policies: readonly PolicyRef[],
  now: Date,
  causationId?: string,
): Verdict {
  const trust = trustSummaryOf(report);
  return create(VerdictSchema, {
    meta: newEventMeta(PRODUCER, causationId),
    image: imageRef(report.image),
    compliance: evaluation.compliant ? Compliance.COMPLIANT : Compliance.NON_COMPLIANT,
    reasons: boundEvidence(evaluation.reasons.map(reasonOf)),
    policies: [...policies].sort((a, b) => (a.id < b.id ? -1 : 1)).map((p) => ({ id: p.id, version: p.version })),
    vulnDbVersion: report.vulnDbVersion ?? '',
    evaluatedAt: timestampFromDate(now),
    reportId: report.reportId,
    ...scanTime(report),
    ...suppressionsOf(evaluation.suppressed),
    ...(trust ? { trust } : {}),
  });
}

/** A failed scan: the image is not known to be compliant. */
export function errorVerdict(image: ImageIdentity, error: string, reportId: string, now: Date, causationId?: string): Verdict {
  return create(VerdictSchema, {
    meta: newEventMeta(PRODUCER, causationId),
    image: imageRef(image),
    compliance: Compliance.ERROR,
    reasons: [{ policy: '', control: 'scan', message: `scan failed: ${error || 'no reason given'}`, severity: 'unknown' }],
    evaluatedAt: timestampFromDate(now),
    reportId,
  });
}

// An index's platforms count as outcome: one platform turning compliant while another is still
// pending leaves the aggregate as it was, but changes what a runtime policy naming it decides.
const reasonKey = (v: Verdict) =>
  JSON.stringify([
    v.compliance,
    v.reasons.map((r) => [r.policy, r.control, r.message, r.severity, r.auditOnly]),
    v.platforms.map((p) => [p.digest, p.compliance]),
  ]);
// Evidence and scan time are written when they differ (a verdict written before they were
// recorded gains them on its next evaluation) without being announced.
const detailKey = (rs: readonly VerdictReason[]) =>
  rs.map((r) => [
    r.remediation,
    r.evidenceOmitted,
    r.evidence.map((e) => [e.item, Object.entries(e.fields).sort(([a], [b]) => (a < b ? -1 : 1))]),
  ]);
const inputsKey = (v: Verdict) =>
  JSON.stringify([
    v.policies.map((p) => [p.id, p.version]),
    v.reportId,
    v.vulnDbVersion,
    String(v.scannedAt?.seconds ?? ''),
    v.scannedAt?.nanos ?? 0,
    detailKey(v.reasons),
    v.platforms.map((p) => detailKey(p.reasons)),
    v.suppressed.map((s) => [
      s.policy,
      s.control,
      s.item,
      s.by,
      s.status,
      s.justification,
      s.signer,
      s.attestation,
      s.document,
      s.statement,
      s.detail,
    ]),
    v.suppressedOmitted,
    v.trust ? [v.trust.signed, v.trust.signers, v.trust.attestationKinds] : null,
  ]);

/** Compliance or reasons differ: announce (verdictChanged, audit). */
export function outcomeChanged(prev: Verdict | undefined, next: Verdict): boolean {
  return !prev || reasonKey(prev) !== reasonKey(next);
}

/** Anything recorded differs: write. */
export function verdictChanged(prev: Verdict | undefined, next: Verdict): boolean {
  return outcomeChanged(prev, next) || !prev || inputsKey(prev) !== inputsKey(next);
}

/**
 * Whether `prev` was computed from a newer version of a policy `next` also used: then `next`
 * is stale (its evaluation started before a change another writer already saw) and must not
 * replace it.
 */
export function isStale(prev: Verdict | undefined, next: Verdict): boolean {
  if (!prev) return false;
  const seen = new Map(prev.policies.map((p) => [p.id, p.version]));
  return next.policies.some((p) => (seen.get(p.id) ?? 0) > p.version);
}
