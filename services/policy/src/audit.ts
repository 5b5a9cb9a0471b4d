// Audit events the policy service emits: every policy/exception change (who, what, which
// version) and every verdict whose outcome changed. AuditEvent has no verdict case yet, so a
// verdict change travels as a ScanAudit whose status is `verdict:<compliance>` (see the report).
import { create } from '@bufbuild/protobuf';
import { newEventMeta } from '@assay/bus';
import {
  AuditEventSchema,
  Compliance,
  type AuditEvent,
  type ChangeType,
  type PolicyKind,
  type Verdict,
} from '@assay/proto';
import { PRODUCER } from './verdict.ts';

export function policyChangeAudit(
  kind: PolicyKind,
  policyId: string,
  version: number,
  change: ChangeType,
  user: string,
  causationId?: string,
): AuditEvent {
  return create(AuditEventSchema, {
    meta: newEventMeta(PRODUCER, causationId),
    event: { case: 'policyChange', value: { kind, policyId, version, change, user: { username: user } } },
  });
}

const COMPLIANCE_WORD: Record<number, string> = {
  [Compliance.COMPLIANT]: 'compliant',
  [Compliance.NON_COMPLIANT]: 'non_compliant',
  [Compliance.PENDING]: 'pending',
  [Compliance.ERROR]: 'error',
};

export function verdictAudit(verdict: Verdict, previous: Verdict | undefined): AuditEvent {
  const word = (v: Verdict | undefined) => (v ? (COMPLIANCE_WORD[v.compliance] ?? 'unspecified') : 'none');
  return create(AuditEventSchema, {
    meta: newEventMeta(PRODUCER, verdict.meta?.id),
    event: {
      case: 'scan',
      value: {
        image: verdict.image,
        status: `verdict:${word(verdict)}`,
        reportId: verdict.reportId,
        // Why, in one line: the previous outcome and the reasons now.
        error: `was ${word(previous)}; ${verdict.reasons.map((r) => `${r.policy}/${r.control}: ${r.message}`).join(' | ')}`.slice(0, 4000),
      },
    },
  });
}
