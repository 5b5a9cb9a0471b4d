// What admission publishes through its outbox, and how: typed JetStream publishes whose event
// id doubles as Nats-Msg-Id, so a publish retried after an outage is stored once.
import type { DescMessage } from '@bufbuild/protobuf';
import { publishAuditBatch, publishEvent, type BusConnection } from '@assay/bus';
import type { AuditBatch, ScanRequested, Topics } from '@assay/proto';

export type OutboundEvent =
  | { kind: 'audit'; topic: typeof Topics.auditAdmissionBatch; message: AuditBatch }
  | { kind: 'scan'; topic: typeof Topics.scanRequested; message: ScanRequested };

/** Events an outbound message carries (a batch: its decisions). */
export function eventsIn(e: OutboundEvent): number {
  return e.kind === 'audit' ? e.message.events.length : 1;
}

export function publisherFor(bus: Pick<BusConnection, 'js'>, timeoutMs = 5000): (e: OutboundEvent) => Promise<void> {
  return async (e) => {
    // Audit batches go through the audit publisher: one too large for a message is split.
    if (e.kind === 'audit') {
      await publishAuditBatch(bus.js, e.topic, e.message, { timeoutMs });
      return;
    }
    // Each kind pairs its topic with its own message type; publishEvent's one type parameter
    // cannot name that pairing across the union, so it is published as a message of its topic.
    await publishEvent<DescMessage>(bus.js, e.topic, e.message, { timeoutMs });
  };
}
