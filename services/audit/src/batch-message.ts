// An AuditBatch stream message (admission publishes its per-decision events in batches) expanded
// into one part per event, so the sinks handle each event as if it were its own message: its own
// bytes, its own outcome (indexed, retried, dead-lettered). The stream message is settled once
// every part is: acked when all parts were acked or terminated (a terminated part has been
// dead-lettered on its own), otherwise nak'ed so the whole batch comes back. A redelivered batch
// is harmless for Elasticsearch (create with `_id` = event id; 409 counts as already indexed).
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { JsMsg } from 'nats';
import { eventHeaders, HEADER_ASSAY_TYPE, headersToRecord } from '@assay/bus';
import { AuditBatchSchema, AuditEventSchema, Topics } from '@assay/proto';

/** One event of a batch, standing in for a message of its own. */
export interface BatchPart extends JsMsg {
  /** Index of the event in its batch: parts of one batch share `seq`. */
  readonly part: number;
}

/** The part index of `m`, when it is a part of a batch. */
export function partIndex(m: JsMsg): number | undefined {
  return (m as Partial<BatchPart>).part;
}

/** Deterministic Nats-Msg-Id of a dead letter: a repeated dead-lettering is stored once. */
export function deadLetterMsgId(consumer: string, m: JsMsg): string {
  const part = partIndex(m);
  return `dl-${consumer}-${m.seq}${part === undefined ? '' : `-${part}`}`;
}

function isBatch(m: JsMsg): boolean {
  const type = m.headers?.get(HEADER_ASSAY_TYPE);
  return type ? type === AuditBatchSchema.typeName : m.subject === Topics.auditAdmissionBatch.subject;
}

/**
 * `[m]` for anything but a decodable AuditBatch; otherwise one part per event. An empty batch is
 * acked here and yields nothing.
 */
export function expandAuditBatch(m: JsMsg): JsMsg[] {
  if (!isBatch(m)) return [m];
  let events;
  try {
    events = fromBinary(AuditBatchSchema, m.data).events;
  } catch {
    // Left whole: preparing it fails, and it is dead-lettered as it came.
    return [m];
  }
  if (events.length === 0) {
    m.ack();
    return [];
  }
  let open = events.length;
  let naked = false;
  let nakDelay = 0;
  let lastWorking = 0;
  const settle = (outcome: 'ack' | 'nak', delay?: number) => {
    if (outcome === 'nak') {
      naked = true;
      nakDelay = Math.max(nakDelay, delay ?? 0);
    }
    if (--open > 0) return;
    if (naked) {
      if (nakDelay > 0) m.nak(nakDelay);
      else m.nak();
    } else m.ack();
  };
  // The batch's headers (trace context, ids), typed as the single event a part carries.
  const h = eventHeaders(AuditEventSchema, undefined, headersToRecord(m.headers));
  return events.map((ev, i): BatchPart => {
    const data = toBinary(AuditEventSchema, ev);
    let settled = false;
    const once = (outcome: 'ack' | 'nak', delay?: number) => {
      if (settled) return;
      settled = true;
      settle(outcome, delay);
    };
    return {
      part: i,
      subject: m.subject,
      seq: m.seq,
      sid: m.sid,
      info: m.info,
      redelivered: m.redelivered,
      headers: h,
      data,
      ack: () => once('ack'),
      term: () => once('ack'),
      nak: (millis?: number) => once('nak', millis),
      working() {
        // Every held part is kept alive on each tick: one working() per batch is enough.
        if (settled || open === 0) return;
        const now = Date.now();
        if (now - lastWorking < 100) return;
        lastWorking = now;
        m.working();
      },
      next() {
        throw new Error('next() is not supported on a part of an AuditBatch');
      },
      async ackAck() {
        throw new Error('ackAck() is not supported on a part of an AuditBatch');
      },
      json<T>(): T {
        return JSON.parse(new TextDecoder().decode(data)) as T;
      },
      string() {
        return new TextDecoder().decode(data);
      },
    };
  });
}
