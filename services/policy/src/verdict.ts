// The Verdict message (protobuf, the value in the verdicts bucket) built from an evaluation,
// and what counts as a change worth announcing.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { newEventMeta } from '@assay/bus';
import { Compliance, ImageRefSchema, VerdictSchema, type Verdict } from '@assay/proto';
import type { ScanReport } from '@assay/store';
import type { Evaluation, PolicyRef } from './evaluate.ts';

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

/** The verdict for an evaluated report. Reasons of audit-only policies say so in their message. */
export function verdictFromEvaluation(
  report: ScanReport,
  evaluation: Evaluation,
  policies: readonly PolicyRef[],
  now: Date,
  causationId?: string,
): Verdict {
  return create(VerdictSchema, {
    meta: newEventMeta(PRODUCER, causationId),
    image: imageRef(report.image),
    compliance: evaluation.compliant ? Compliance.COMPLIANT : Compliance.NON_COMPLIANT,
    reasons: evaluation.reasons.map((r) => ({
      policy: r.policy,
      control: r.control,
      message: `${r.action === 'audit' ? 'audit only: ' : ''}${r.message} — ${r.remediation}`,
      severity: r.severity,
    })),
    policies: [...policies].sort((a, b) => (a.id < b.id ? -1 : 1)).map((p) => ({ id: p.id, version: p.version })),
    vulnDbVersion: report.vulnDbVersion ?? '',
    evaluatedAt: timestampFromDate(now),
    reportId: report.reportId,
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
    v.reasons.map((r) => [r.policy, r.control, r.message, r.severity]),
    v.platforms.map((p) => [p.digest, p.compliance]),
  ]);
const inputsKey = (v: Verdict) =>
  JSON.stringify([v.policies.map((p) => [p.id, p.version]), v.reportId, v.vulnDbVersion]);

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
