// The policy service's audit events as ASSAY_AUDIT stores them: single AuditEvents on
// assay.audit.policy (policy, exception and running-workload audits) and AuditBatches on
// assay.audit.policy.batch (verdict changes), read as one sequence of events.
import { fromBinary } from '@bufbuild/protobuf';
import { AuditBatchSchema, AuditEventSchema, Streams, Topics, type AuditEvent } from '@assay/proto';
import type { JetStreamManager, StoredMsg } from 'nats';

const SUBJECTS = [Topics.auditPolicy.subject, Topics.auditPolicyBatch.subject];

/** The events of one stored policy audit message, in their order. */
export function policyEventsOf(m: Pick<StoredMsg, 'subject' | 'data'>): AuditEvent[] {
  if (m.subject === Topics.auditPolicyBatch.subject) return fromBinary(AuditBatchSchema, m.data).events;
  if (m.subject === Topics.auditPolicy.subject) return [fromBinary(AuditEventSchema, m.data)];
  return [];
}

/** Every policy audit event in the stream, in the order stored (a batch's in its order). */
export async function policyAuditEvents(jsm: JetStreamManager): Promise<AuditEvent[]> {
  const info = await jsm.streams.info(Streams.audit.name);
  const out: AuditEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(Streams.audit.name, { seq }).catch(() => undefined);
    if (m && SUBJECTS.includes(m.subject)) out.push(...policyEventsOf(m));
  }
  return out;
}

/** The policy audit event stored last, whichever of the two subjects carried it. */
export async function lastPolicyAuditEvent(jsm: JetStreamManager): Promise<AuditEvent> {
  const last = await Promise.all(
    SUBJECTS.map((s) => jsm.streams.getMessage(Streams.audit.name, { last_by_subj: s }).catch(() => undefined)),
  );
  const newest = last.filter((m) => m !== undefined).sort((a, b) => b.seq - a.seq)[0];
  const event = newest ? policyEventsOf(newest).at(-1) : undefined;
  if (!event) throw new Error('no policy audit event stored');
  return event;
}
