// Verdict audit events leave in batches: one AuditBatch message on `assay.audit.policy.batch` for
// up to VERDICT_AUDIT_BATCH_MAX events. A re-evaluation that changes thousands of verdicts stored
// and acknowledged one audit message per verdict, and those messages (published, acked, and read
// again by the decision log's consumer) cost this process more than judging the images did.
// Every event keeps its own id, which the audit service indexes it under.
//
// Nothing is lost or weakened by waiting: a caller's promise settles with the publish of the
// batch holding its event, resolved once JetStream acknowledged it, rejected when it failed; it
// is not retried here, so whatever retried a failed single publish retries this one.
import { create } from '@bufbuild/protobuf';
import { derivedEventId, newEventMeta, publishAuditBatch } from '@assay/bus';
import { AuditBatchSchema, Topics, type AuditEvent } from '@assay/proto';
import type { JetStreamClient } from 'nats';

/** Events per batch: a re-evaluation has up to WRITE_WINDOW (256) verdict writes under way at once. */
export const VERDICT_AUDIT_BATCH_MAX = 256;
/**
 * How long the first waiting event waits for others, in ms. Short: a verdict write (and the
 * message that caused it) is settled only once its event is stored, and a single verdict (a scan
 * judged) should not wait long; long enough for the writes of a re-evaluation issued together,
 * whose acknowledgements arrive together, to add their events to one batch.
 */
export const VERDICT_AUDIT_LINGER_MS = 10;

export interface AuditBatchesOptions {
  js: JetStreamClient;
  producer: string;
  maxEvents?: number;
  lingerMs?: number;
}

interface Waiting {
  event: AuditEvent;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * The id of a batch of `events`: fixed by the events it holds, so the same batch published again
 * is the same message to JetStream (Nats-Msg-Id, stored once), and so is every part a batch too
 * large for one message is split into (their ids derive from this one).
 */
export function auditBatchId(events: readonly AuditEvent[]): string {
  return derivedEventId(`audit batch\0${events.map((e) => e.meta?.id ?? '').join('\0')}`);
}

/** Collects audit events and publishes them as batches; `add` settles with its batch's publish. */
export class AuditBatches {
  readonly #js: JetStreamClient;
  readonly #producer: string;
  readonly #max: number;
  readonly #linger: number;
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #publishing = new Set<Promise<void>>();
  #stopped = false;

  constructor(o: AuditBatchesOptions) {
    this.#js = o.js;
    this.#producer = o.producer;
    this.#max = Math.max(1, o.maxEvents ?? VERDICT_AUDIT_BATCH_MAX);
    this.#linger = o.lingerMs ?? VERDICT_AUDIT_LINGER_MS;
  }

  /** Events waiting for their batch to leave. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves once the batch holding `event` is stored; rejects when publishing it failed. */
  add(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ event, resolve, reject });
      // After stop nothing is held back: no timer would be left to publish it.
      if (this.#waiting.length >= this.#max || this.#linger <= 0 || this.#stopped) this.#send();
      else this.#timer ??= setTimeout(() => this.#send(), this.#linger);
    });
  }

  /** Publishes what is waiting now, and waits until every batch under way has settled. */
  async flush(): Promise<void> {
    this.#send();
    await Promise.all(this.#publishing);
  }

  /** Flushes; events added later leave at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.flush();
  }

  #send(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiting.length === 0) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    const events = waiting.map((w) => w.event);
    const batch = create(AuditBatchSchema, { meta: { ...newEventMeta(this.#producer), id: auditBatchId(events) }, events });
    const sent: Promise<void> = publishAuditBatch(this.#js, Topics.auditPolicyBatch, batch)
      .then(
        () => {
          for (const w of waiting) w.resolve();
        },
        (err: unknown) => {
          for (const w of waiting) w.reject(err);
        },
      )
      .finally(() => this.#publishing.delete(sent));
    this.#publishing.add(sent);
  }
}
