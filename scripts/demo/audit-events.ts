// The audit events a demo run added to the ASSAY_AUDIT stream (used when no Elasticsearch is
// configured). A stream message is not an event: admission publishes its decisions in batches
// (AuditBatch, one message for up to ADMISSION_AUDIT_BATCH_MAX decisions), so each message is
// decoded and its events counted, by kind, with the AdmissionReview uids of the decisions.
import { fromBinary } from '@bufbuild/protobuf';
import type { JetStreamManager, StoredMsg } from 'nats';
import { AuditBatchSchema, AuditEventSchema, Streams, Topics, type AuditEvent } from '@assay/proto';

export interface AuditTally {
  /** Audit events, whatever message carried them. */
  events: number;
  /** Stream messages read. */
  messages: number;
  /** Events by kind: admission, scan, policyChange, verdictChange (unknown: undecodable or empty). */
  byKind: Record<string, number>;
  /** AdmissionReview uids of the admission decisions seen. */
  admissionUids: Set<string>;
}

/** The events one stored message carries: an AuditBatch its events, any other audit message itself. */
export function eventsOf(subject: string, data: Uint8Array): AuditEvent[] {
  if (subject === Topics.auditAdmissionBatch.subject) return fromBinary(AuditBatchSchema, data).events;
  return [fromBinary(AuditEventSchema, data)];
}

/**
 * Counts, from the stream's current end onwards, every audit event published after it was made.
 * `update` reads what arrived since the last call.
 */
export class AuditStreamTally {
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  #next: number;
  readonly tally: AuditTally = { events: 0, messages: 0, byKind: {}, admissionUids: new Set() };

  private constructor(jsm: JetStreamManager, stream: string, next: number) {
    this.#jsm = jsm;
    this.#stream = stream;
    this.#next = next;
  }

  /** Starts after the stream's last message now. */
  static async fromNow(jsm: JetStreamManager, stream: string = Streams.audit.name): Promise<AuditStreamTally> {
    const info = await jsm.streams.info(stream);
    return new AuditStreamTally(jsm, stream, info.state.last_seq + 1);
  }

  /** Reads every message stored since the previous call and adds its events. */
  async update(): Promise<AuditTally> {
    const last = (await this.#jsm.streams.info(this.#stream)).state.last_seq;
    for (; this.#next <= last; this.#next++) {
      let m: StoredMsg;
      try {
        m = await this.#jsm.streams.getMessage(this.#stream, { seq: this.#next });
      } catch (err) {
        // A sequence can be missing (removed by the stream's limits): nothing to count there.
        if (/no message found/i.test((err as Error).message)) continue;
        throw err;
      }
      this.#add(m.subject, m.data);
    }
    return this.tally;
  }

  #add(subject: string, data: Uint8Array): void {
    const t = this.tally;
    t.messages++;
    let events: AuditEvent[];
    try {
      events = eventsOf(subject, data);
    } catch {
      // Not an audit message we can read: still one event as far as a sink is concerned.
      t.events++;
      t.byKind.unknown = (t.byKind.unknown ?? 0) + 1;
      return;
    }
    for (const e of events) {
      t.events++;
      const kind = e.event.case ?? 'unknown';
      t.byKind[kind] = (t.byKind[kind] ?? 0) + 1;
      if (e.event.case === 'admission') t.admissionUids.add(e.event.value.uid);
    }
  }
}
