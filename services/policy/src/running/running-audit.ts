// The audit event of a running image turning non-compliant: one per workload running the digest
// when its verdict changes to non-compliant (a new vulnerability, a stricter policy), so the
// people who run it learn it without waiting for the next deployment. Reasons go as a summary
// (policy, control, severity, short message), never with their evidence.
import { create } from '@bufbuild/protobuf';
import { newEventMeta } from '@assay/bus';
import { AuditEventSchema, Compliance, type AuditEvent, type ImageRef, type RunningWorkload, type Verdict } from '@assay/proto';
import { PRODUCER } from '@assay/policy-engine';
import { shortMessage } from './report-results.ts';

/** True when this verdict change is a turn to non-compliant (not a re-evaluation that stays so). */
export function turnedNonCompliant(verdict: Verdict, previous: Verdict | undefined): boolean {
  return verdict.compliance === Compliance.NON_COMPLIANT && previous?.compliance !== Compliance.NON_COMPLIANT;
}

export function runningNonCompliantAudit(
  verdict: Verdict,
  previous: Verdict | undefined,
  image: ImageRef | undefined,
  workload: RunningWorkload,
): AuditEvent {
  const ref = verdict.image ?? image;
  return create(AuditEventSchema, {
    meta: newEventMeta(PRODUCER, verdict.meta?.id),
    event: {
      case: 'runningNonCompliant',
      value: {
        ...(ref ? { image: ref } : {}),
        namespace: workload.namespace,
        workloadKind: workload.kind,
        workloadName: workload.name,
        pods: workload.pods,
        compliance: verdict.compliance,
        previous: previous?.compliance ?? Compliance.UNSPECIFIED,
        reasons: verdict.reasons.map((r) => ({
          policy: r.policy,
          control: r.control,
          severity: r.severity,
          message: shortMessage(r.message),
          auditOnly: r.auditOnly,
          evidenceOmitted: r.evidence.length + r.evidenceOmitted,
        })),
        reportId: verdict.reportId,
      },
    },
  });
}
