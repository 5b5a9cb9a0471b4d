// Elasticsearch delivery: one bulk request per batch, every document created with op_type
// `create` and `_id` = the event id, so a retried batch (or a redelivered message) can never
// index an event twice — a 409 version_conflict on create means "already indexed" and counts as
// success. A message is acked only after its item succeeded. Whole-request failures (connection
// refused, timeouts, 429, 5xx) and per-item 429/5xx are retried with capped exponential backoff
// for as long as the service runs; any other per-item failure (mapping errors, 400s) is
// permanent: the message goes to the dead-letter stream with the reason, then is terminated.
import { readFileSync } from 'node:fs';
import { create, fromBinary } from '@bufbuild/protobuf';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import type { JetStreamClient, JsMsg } from 'nats';
import { HEADER_ASSAY_TYPE, headersToRecord, newEventMeta, publishEvent, type BusLogger } from '@assay/bus';
import { AuditEventSchema, DeadLetterSchema, deadLetterTopic } from '@assay/proto';
import { type EcsDocument, toEcs } from './ecs.ts';
import type { Held } from './batch-consumer.ts';
import { deadLetterMsgId, partIndex } from './batch-message.ts';

export interface EsClientSettings {
  urls: readonly string[];
  apiKey?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** CA certificate file (PEM) for https URLs. */
  caFile?: string | undefined;
  /** Skip server certificate verification (tests only). */
  insecure?: boolean | undefined;
  requestTimeoutMs: number;
}

/** The official client, with its own retries off: this module owns retrying. */
export function createEsClient(s: EsClientSettings): Client {
  const opts: ClientOptions = {
    nodes: [...s.urls],
    maxRetries: 0,
    requestTimeout: s.requestTimeoutMs,
    compression: false,
  };
  if (s.apiKey) opts.auth = { apiKey: s.apiKey };
  else if (s.username) opts.auth = { username: s.username, password: s.password ?? '' };
  if (s.caFile || s.insecure) {
    opts.tls = {
      ...(s.caFile ? { ca: readFileSync(s.caFile) } : {}),
      ...(s.insecure ? { rejectUnauthorized: false } : {}),
    };
  }
  return new Client(opts);
}

/** A message ready for a bulk request, or the reason it cannot be one. */
export type Prepared = { id: string; line: string; doc: EcsDocument } | { error: string };

export interface EsSinkStats {
  indexed(n: number): void;
  duplicates(n: number): void;
  retry(reason: string): void;
  deadLettered(reason: string): void;
}

export interface EsSinkOptions {
  client: Client;
  js: JetStreamClient;
  dataStream: string;
  stream: string;
  consumer: string;
  logger: BusLogger;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Aborted at stop: retries end and the batch's unfinished messages go back to the server. */
  signal: AbortSignal;
  stats?: EsSinkStats;
  /** `producer` of dead letters. */
  producer?: string;
}

/** Decodes, maps and serialises one message; never throws. */
export function prepareAuditMessage(m: JsMsg, stream: string): { item: Prepared; bytes: number } {
  const type = m.headers?.get(HEADER_ASSAY_TYPE);
  if (type && type !== AuditEventSchema.typeName) {
    return { item: { error: `message type ${type} is not ${AuditEventSchema.typeName}` }, bytes: m.data.length };
  }
  try {
    const ev = fromBinary(AuditEventSchema, m.data);
    const origin = {
      subject: m.subject,
      stream,
      streamSequence: m.seq,
      storedAt: new Date(Math.floor(m.info.timestampNanos / 1e6)),
    };
    const doc = toEcs(ev, origin);
    // Without an event id, the stream position (and place in its batch) is the next most stable identity.
    const part = partIndex(m);
    const id = ev.meta?.id || `${stream}-${m.seq}${part === undefined ? '' : `-${part}`}`;
    if (!ev.meta?.id) (doc.event as Record<string, unknown>).id = id;
    const line = JSON.stringify(doc);
    return { item: { id, line, doc }, bytes: line.length + id.length + 40 };
  } catch (err) {
    return { item: { error: `cannot decode as ${AuditEventSchema.typeName}: ${err instanceof Error ? err.message : String(err)}` }, bytes: m.data.length };
  }
}

interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string; meta?: { statusCode?: number } };
  return `${e.name ?? 'Error'}${e.meta?.statusCode ? ` ${e.meta.statusCode}` : ''}: ${e.message ?? String(err)}`;
}

export class EsSink {
  readonly #o: EsSinkOptions;
  readonly #dlTopic;

  constructor(opts: EsSinkOptions) {
    this.#o = opts;
    this.#dlTopic = deadLetterTopic(opts.stream);
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#o.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #backoff(attempt: number): number {
    const cap = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** Math.min(attempt, 20));
    // Full jitter on the upper half, so replicas do not retry in step.
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  async #deadLetter(h: Held<Prepared>, reason: string): Promise<void> {
    const m = h.msg;
    const id = 'id' in h.item ? h.item.id : undefined;
    const record = create(DeadLetterSchema, {
      meta: newEventMeta(this.#o.producer ?? 'audit', id),
      stream: this.#o.stream,
      consumer: this.#o.consumer,
      subject: m.subject,
      streamSequence: BigInt(m.seq),
      deliveries: m.info.deliveryCount,
      reason,
      data: m.data,
      headers: headersToRecord(m.headers),
    });
    try {
      // Deterministic Nats-Msg-Id: a repeated dead-lettering of the same message is stored once
      // (the events of one batch share its seq, so their index tells them apart).
      await publishEvent(this.#o.js, this.#dlTopic, record, { msgId: deadLetterMsgId(this.#o.consumer, m) });
    } catch (err) {
      this.#o.logger.error({ seq: m.seq, part: partIndex(m), reason, err }, 'could not publish the dead letter; the message will be retried');
      m.nak(5_000);
      return;
    }
    m.term();
    this.#o.stats?.deadLettered(reason.split(':')[0] ?? 'error');
    this.#o.logger.warn({ seq: m.seq, part: partIndex(m), id, reason, deadLetterSubject: this.#dlTopic.subject }, 'audit event dead-lettered');
  }

  /** Delivers one batch; returns when every message is acked, dead-lettered, or (at stop) handed back. */
  async deliver(batch: Held<Prepared>[]): Promise<void> {
    const ready: Held<Prepared>[] = [];
    for (const h of batch) {
      if ('error' in h.item) await this.#deadLetter(h, h.item.error);
      else ready.push(h);
    }
    if (ready.length > 0) await this.#deliverPart(ready);
  }

  async #deliverPart(part: Held<Prepared>[]): Promise<void> {
    const { client, logger, signal } = this.#o;
    let pending = part;
    let attempt = 0;
    while (pending.length > 0) {
      if (signal.aborted) {
        for (const h of pending) h.msg.nak();
        return;
      }
      const operations: string[] = [];
      for (const h of pending) {
        const it = h.item as { id: string; line: string };
        operations.push(JSON.stringify({ create: { _index: this.#o.dataStream, _id: it.id } }), it.line);
      }
      let items: Array<Record<string, BulkItemResult>>;
      try {
        const res = await client.bulk({ operations: operations as never[] }, { signal });
        items = res.items as Array<Record<string, BulkItemResult>>;
        if (items.length !== pending.length) throw new Error(`bulk answered ${items.length} items for ${pending.length} operations`);
      } catch (err) {
        if (signal.aborted) continue;
        const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
        if (status === 413 || status === 400) {
          // The request as a whole is refused (too large, or a line it cannot parse): halve it
          // until the culprit is alone, then dead-letter that one.
          if (pending.length === 1) {
            await this.#deadLetter(pending[0]!, `bulk request refused (${status}): ${describeError(err)}`);
            return;
          }
          const mid = Math.ceil(pending.length / 2);
          await this.#deliverPart(pending.slice(0, mid));
          await this.#deliverPart(pending.slice(mid));
          return;
        }
        const delay = this.#backoff(attempt++);
        this.#o.stats?.retry(status ? String(status) : 'connection');
        if (attempt === 1 || attempt % 10 === 0) {
          logger.warn({ err: describeError(err), docs: pending.length, attempt, retryInMs: delay }, 'bulk request failed; retrying');
        }
        await this.#sleep(delay);
        continue;
      }
      const retry: Held<Prepared>[] = [];
      let indexed = 0;
      let duplicates = 0;
      for (let i = 0; i < pending.length; i++) {
        const h = pending[i]!;
        const r = Object.values(items[i]!)[0] ?? {};
        const status = r.status ?? 500;
        if (status >= 200 && status < 300) {
          indexed++;
          h.msg.ack();
        } else if (status === 409 && r.error?.type === 'version_conflict_engine_exception') {
          duplicates++;
          h.msg.ack();
        } else if (retryableStatus(status)) {
          retry.push(h);
        } else {
          const cause = r.error?.caused_by?.reason ? ` (caused by ${r.error.caused_by.type}: ${r.error.caused_by.reason})` : '';
          await this.#deadLetter(h, `${r.error?.type ?? `status ${status}`}: elasticsearch refused the document (${status}): ${r.error?.reason ?? ''}${cause}`);
        }
      }
      if (indexed > 0) this.#o.stats?.indexed(indexed);
      if (duplicates > 0) this.#o.stats?.duplicates(duplicates);
      pending = retry;
      if (pending.length > 0) {
        const delay = this.#backoff(attempt++);
        this.#o.stats?.retry('item');
        logger.warn({ docs: pending.length, attempt, retryInMs: delay }, 'bulk items rejected for now; retrying them');
        await this.#sleep(delay);
      }
    }
  }
}
