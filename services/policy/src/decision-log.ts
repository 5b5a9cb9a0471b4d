// The most recent admission decisions, for the console: read from the audit stream (what the
// webhook published) by an ordered consumer, so the console lists decisions without
// Elasticsearch. Held in memory as a bounded ring, newest first.
//
// At start it reads only the tail of the stream (the last `replayMessages` stream messages),
// never its 14 days; from then on it follows the stream. The ordered consumer re-creates itself
// after a reconnect or a server restart, resuming after the last message it delivered; should it
// end anyway, the loop below starts another from there. Nothing here blocks the service's start.
import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { BusConnection } from '@assay/bus';
import { pause } from '@assay/kit';
import {
  AuditBatchSchema,
  AuditEventSchema,
  Compliance,
  Streams,
  Topics,
  type AdmissionDecision,
  type AuditEvent,
  type ImageRef,
  type VerdictReason,
} from '@assay/proto';
import type { Logger } from '@assay/telemetry';
import type { ConsumerMessages, OrderedConsumerOptions } from 'nats';
import type { DecisionPage, DecisionQuery, DecisionRecord, DecisionSource } from './decision-records.ts';

/** Decisions held: the console's window onto recent admission traffic. */
export const DECISION_LOG_CAPACITY = 2000;
/** Stream messages read back at start (the stream holds other audit events too). */
export const DECISION_LOG_REPLAY = 10_000;
export const DECISION_PAGE_DEFAULT = 50;
export const DECISION_PAGE_MAX = 500;
/** Reasons kept per image, and their length: a record stays small whatever a verdict said. */
const MAX_REASONS = 10;
const MAX_REASON_CHARS = 300;
const MAX_MESSAGE_CHARS = 2000;

const ADMISSION_SUBJECTS = [Topics.auditAdmissionBatch.subject, Topics.auditAdmission.subject];

export interface DecisionLogOptions {
  bus: Pick<BusConnection, 'js' | 'nc' | 'jetstreamManager'>;
  logger: Pick<Logger, 'warn'>;
  capacity?: number;
  replayMessages?: number;
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function reasonText(r: VerdictReason): string {
  const where = [r.policy, r.control].filter(Boolean).join(' · ');
  return cut(`${where ? `${where}: ` : ''}${r.message}${r.auditOnly ? ' (audit only)' : ''}`, MAX_REASON_CHARS);
}

function imageText(reference: string, ref: ImageRef | undefined): string {
  if (reference) return reference;
  if (!ref) return '';
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}`;
}

/** The record of one admission decision; undefined for a /mutate pinning (no decision). */
export function decisionRecordOf(ev: AuditEvent, storedAt?: Date): DecisionRecord | undefined {
  if (ev.event.case !== 'admission') return undefined;
  const d: AdmissionDecision = ev.event.value;
  if (d.webhook === 'mutate') return undefined;
  const at = ev.meta?.time ? timestampDate(ev.meta.time) : (storedAt ?? new Date(0));
  const exceptionIds = d.exceptionIds.length > 0 ? [...d.exceptionIds] : d.exceptionId ? d.exceptionId.split(',') : [];
  return {
    id: ev.meta?.id ?? '',
    at: at.toISOString(),
    // Warned: let in, but with something to say (warn mode, a break-glass, an exemption…).
    outcome: !d.allowed ? 'denied' : d.warnings.length > 0 ? 'warned' : 'allowed',
    dryRun: d.dryRun,
    namespace: d.namespace,
    kind: d.kind,
    name: d.name,
    operation: d.operation,
    user: d.user?.username ?? '',
    mode: d.mode,
    runtimePolicy: d.runtimePolicy,
    message: cut(d.message, MAX_MESSAGE_CHARS),
    images: d.images.map((i) => ({
      image: imageText(i.reference, i.image),
      digest: i.image?.digest ?? '',
      allowed: i.allowed,
      compliance: (Compliance[i.compliance] ?? 'UNSPECIFIED').toLowerCase(),
      reasons: i.reasons.slice(0, MAX_REASONS).map(reasonText),
    })),
    exceptionIds,
    warnings: d.warnings.map((w) => cut(w, MAX_REASON_CHARS)),
  };
}

/** The events of one stream message: a batch's, or the single event. Throws when undecodable. */
export function eventsOfMessage(subject: string, data: Uint8Array): AuditEvent[] {
  if (subject === Topics.auditAdmissionBatch.subject) return fromBinary(AuditBatchSchema, data).events;
  if (subject === Topics.auditAdmission.subject) return [fromBinary(AuditEventSchema, data)];
  return [];
}

/** Where to start reading: the last `replay` messages of the stream, never before its first. */
export function replayStart(state: { first_seq: number; last_seq: number }, replay: number): number {
  return Math.max(1, state.first_seq, state.last_seq - replay + 1);
}

/**
 * The consumer's subject filter. nats-server 2.10 filters on both admission subjects; 2.9 takes
 * one filter only, so it gets the audit stream's every subject and the rest is skipped here.
 */
export function admissionFilter(serverVersion: string | undefined): string[] | string {
  const [major = 0, minor = 0] = (serverVersion ?? '').split('.').map((x) => Number.parseInt(x, 10) || 0);
  return major > 2 || (major === 2 && minor >= 10) ? ADMISSION_SUBJECTS : `${Streams.audit.subjects[0]}`;
}

interface Held {
  /** Position in arrival order (the cursor). */
  n: number;
  record: DecisionRecord;
  /** What `q` searches, lower-cased once. */
  text: string;
}

export class DecisionLog implements DecisionSource {
  readonly #o: DecisionLogOptions;
  readonly #capacity: number;
  readonly #ring: (Held | undefined)[];
  readonly #ids = new Set<string>();
  /** Decisions ever added; the newest is at `#count - 1`. */
  #count = 0;
  #lastSeq = 0;
  #stopping = new AbortController();
  #messages: ConsumerMessages | undefined;
  #run: Promise<void> | undefined;

  constructor(o: DecisionLogOptions) {
    this.#o = o;
    this.#capacity = Math.max(1, o.capacity ?? DECISION_LOG_CAPACITY);
    this.#ring = new Array<Held | undefined>(this.#capacity);
  }

  get size(): number {
    return Math.min(this.#count, this.#capacity);
  }

  /** The stream sequence of the last message read (0 before the first). */
  get lastSequence(): number {
    return this.#lastSeq;
  }

  /** Starts following the stream in the background; returns at once. */
  start(): void {
    this.#run ??= this.#follow();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#messages?.stop();
    // A consumer being (re)created waits out its own backoff; stopping does not wait for that.
    if (this.#run) await Promise.race([this.#run, pause(2000)]);
  }

  /** Adds one decision (the newest); a decision already held (a republished batch) is skipped. */
  add(record: DecisionRecord): void {
    if (record.id && this.#ids.has(record.id)) return;
    const slot = this.#count % this.#capacity;
    const old = this.#ring[slot];
    if (old?.record.id) this.#ids.delete(old.record.id);
    const text = [record.name, record.user, record.message, record.kind, ...record.images.map((i) => `${i.image} ${i.digest}`)]
      .join('\n')
      .toLowerCase();
    this.#ring[slot] = { n: this.#count, record, text };
    if (record.id) this.#ids.add(record.id);
    this.#count++;
  }

  list(q: DecisionQuery): DecisionPage {
    const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? DECISION_PAGE_DEFAULT)), DECISION_PAGE_MAX);
    const needle = q.q?.trim().toLowerCase() || undefined;
    const after = q.cursor !== undefined ? Number.parseInt(q.cursor, 36) : Number.NaN;
    const oldest = Math.max(0, this.#count - this.#capacity);
    const items: DecisionRecord[] = [];
    let last = -1;
    for (let n = Number.isFinite(after) ? Math.min(after - 1, this.#count - 1) : this.#count - 1; n >= oldest; n--) {
      const h = this.#ring[n % this.#capacity]!;
      const r = h.record;
      if (q.outcome && r.outcome !== q.outcome) continue;
      if (q.namespace && r.namespace !== q.namespace) continue;
      if (needle && !h.text.includes(needle)) continue;
      if (items.length === limit) return { items, next: last.toString(36) };
      items.push(r);
      last = n;
    }
    return { items };
  }

  #ingest(subject: string, data: Uint8Array, storedAt: Date, seq: number): void {
    let events: AuditEvent[];
    try {
      events = eventsOfMessage(subject, data);
    } catch (err) {
      this.#o.logger.warn({ err, subject, seq }, 'decision log: an audit message could not be decoded; skipped');
      return;
    }
    for (const ev of events) {
      const r = decisionRecordOf(ev, storedAt);
      if (r) this.add(r);
    }
  }

  async #follow(): Promise<void> {
    const signal = this.#stopping.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        if (await this.#consume()) attempt = 0;
      } catch (err) {
        if (signal.aborted) return;
        this.#o.logger.warn({ err, attempt }, 'decision log: reading the audit stream failed; retrying');
      }
      await pause(Math.min(500 * 2 ** Math.min(attempt, 6), 30_000), signal);
    }
  }

  /** One ordered consumer, until it ends; true when it delivered anything. */
  async #consume(): Promise<boolean> {
    const { js, nc } = this.#o.bus;
    const stream = Streams.audit.name;
    let start = this.#lastSeq + 1;
    if (this.#lastSeq === 0) {
      const info = await (await this.#o.bus.jetstreamManager()).streams.info(stream);
      start = replayStart(info.state, this.#o.replayMessages ?? DECISION_LOG_REPLAY);
    }
    const opts: Partial<OrderedConsumerOptions> = { filterSubjects: admissionFilter(nc.info?.version), opt_start_seq: start };
    const consumer = await js.consumers.get(stream, opts);
    const messages = await consumer.consume({ max_messages: 256 });
    this.#messages = messages;
    if (this.#stopping.signal.aborted) {
      messages.stop();
      return false;
    }
    let delivered = false;
    for await (const m of messages) {
      delivered = true;
      this.#lastSeq = m.seq;
      if (!ADMISSION_SUBJECTS.includes(m.subject)) continue;
      this.#ingest(m.subject, m.data, new Date(Math.floor(m.info.timestampNanos / 1e6)), m.seq);
    }
    return delivered;
  }
}
