// Audit events the policy service emits: every policy/exception change (who, what, which
// version, the document before and after) and every verdict whose outcome or reasons changed.
import { create } from '@bufbuild/protobuf';
import { newEventMeta, publishAuditEvent, publishEvent } from '@assay/bus';
import { AuditEventSchema, Compliance, type AuditEvent, type ChangeType, type PolicyKind, type Verdict, Topics } from '@assay/proto';
import type { JetStreamClient } from 'nats';
import { PRODUCER } from '@assay/policy-engine';

export function policyChangeAudit(
  kind: PolicyKind,
  policyId: string,
  version: number,
  change: ChangeType,
  user: string,
  causationId?: string,
  documents: { before?: unknown; after?: unknown } = {},
): AuditEvent {
  const json = (d: unknown) => (d === undefined || d === null ? '' : JSON.stringify(d));
  return create(AuditEventSchema, {
    meta: newEventMeta(PRODUCER, causationId),
    event: {
      case: 'policyChange',
      value: {
        kind,
        policyId,
        version,
        change,
        user: { username: user },
        beforeJson: json(documents.before),
        afterJson: json(documents.after),
      },
    },
  });
}

export function verdictAudit(verdict: Verdict, previous: Verdict | undefined): AuditEvent {
  return create(AuditEventSchema, {
    meta: newEventMeta(PRODUCER, verdict.meta?.id),
    event: {
      case: 'verdictChange',
      value: {
        ...(verdict.image ? { image: verdict.image } : {}),
        compliance: verdict.compliance,
        previous: previous?.compliance ?? Compliance.UNSPECIFIED,
        reasons: verdict.reasons,
        policies: verdict.policies,
        vulnDbVersion: verdict.vulnDbVersion,
        reportId: verdict.reportId,
        platforms: verdict.platforms,
        ...(verdict.trust ? { trust: verdict.trust } : {}),
        suppressed: verdict.suppressed,
      },
    },
  });
}

/**
 * A verdict whose outcome changed: announced on the bus and recorded as an audit event. Both are
 * published at once (two streams, no order between them) and both acks awaited: one round trip.
 */
export async function announceVerdict(
  js: JetStreamClient,
  verdict: Verdict,
  previous: Verdict | undefined,
  /** `verdict` encoded already (as written to the bucket), so it is not encoded again. */
  encoded?: Uint8Array,
): Promise<void> {
  await Promise.all([
    publishEvent(js, Topics.verdictChanged, verdict, encoded ? { encoded } : {}),
    publishAuditEvent(js, Topics.auditPolicy, verdictAudit(verdict, previous)),
  ]);
}
