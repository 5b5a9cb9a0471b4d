// Admission's audit events leave in batches: one stream message (AuditBatch) per up to
// ADMISSION_AUDIT_BATCH_MAX decisions, or after ADMISSION_AUDIT_BATCH_LINGER ms when traffic is
// light. Storing a message per decision cost nats-server and the webhook more than deciding did;
// every event still carries its own id, which the audit service indexes under.
import { create } from '@bufbuild/protobuf';
import { newEventMeta } from '@assay/bus';
import { AuditBatchSchema, Topics, type AuditEvent } from '@assay/proto';
import type { Outbox } from './outbox.ts';
import type { OutboundEvent } from './publisher.ts';

export interface AuditBatcherOptions {
  outbox: Outbox<OutboundEvent>;
  producer: string;
  maxEvents: number;
  lingerMs: number;
}

export class AuditBatcher {
  readonly #o: AuditBatcherOptions;
  #pending: AuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: AuditBatcherOptions) {
    this.#o = opts;
  }

  /** Events waiting for their batch. */
  get pending(): number {
    return this.#pending.length;
  }

  add(event: AuditEvent): void {
    this.#pending.push(event);
    if (this.#pending.length >= this.#o.maxEvents || this.#o.lingerMs === 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#o.lingerMs);
  }

  /** Hands what is waiting to the outbox as one batch. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const events = this.#pending;
    this.#pending = [];
    // The batch id is fixed now: a batch retried after an outage is stored once (Nats-Msg-Id).
    this.#o.outbox.push({
      kind: 'audit',
      topic: Topics.auditAdmissionBatch,
      message: create(AuditBatchSchema, { meta: newEventMeta(this.#o.producer), events }),
    });
  }
}
