// Other SIEM sinks besides Elasticsearch: Splunk HTTP Event Collector, syslog (RFC 5424 over TCP
// or TLS, octet-counting framing of RFC 6587) and a generic HTTPS webhook. Each configured sink
// gets its own durable consumer (`audit-<name>`), so a slow or unreachable one never holds up
// another. Delivery is at-least-once: a batch is acked once the destination accepted it (HTTP
// 2xx; for syslog, once the bytes are written to the connection), retried on network errors,
// timeouts, 408/429/5xx; a batch refused for good (other 4xx) is split until the refused event is
// alone, which then goes to the dead-letter stream. These destinations do not de-duplicate by
// themselves: every event carries its `event.id` (syslog: structured data `id`) for that.
import { readFileSync } from 'node:fs';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { create } from '@bufbuild/protobuf';
import type { JetStreamClient } from 'nats';
import { headersToRecord, newEventMeta, publishEvent, type BusLogger } from '@assay/bus';
import { DeadLetterSchema, deadLetterTopic } from '@assay/proto';
import type { Held } from './batch-consumer.ts';
import { deadLetterMsgId, partIndex } from './batch-message.ts';
import type { EcsDocument } from './ecs.ts';
import type { Prepared } from './es-sink.ts';
import type { SinkMetrics } from './metrics.ts';

export type SinkType = 'splunk' | 'syslog' | 'webhook';

export interface SinkSpec {
  /** Lower-case letters, digits and dashes; the consumer is `audit-<name>`. */
  name: string;
  type: SinkType;
  /** splunk: HEC base URL (https://splunk:8088); webhook: the endpoint. */
  url?: string;
  /** splunk: HEC token; webhook: sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** webhook: extra headers. */
  headers?: Record<string, string>;
  /** splunk: index, sourcetype, source. */
  index?: string;
  sourcetype?: string;
  source?: string;
  /** syslog: host, port, TLS. */
  host?: string;
  port?: number;
  tls?: boolean;
  /** CA file (PEM) for https/TLS; `insecure` skips verification (tests only). */
  ca?: string;
  insecure?: boolean;
  /** syslog facility number (default 13, log audit) and APP-NAME (default assay). */
  facility?: number;
  appName?: string;
  batchMaxDocs?: number;
  batchMaxBytes?: number;
  lingerMs?: number;
  timeoutMs?: number;
}

export class SinkSpecError extends Error {}

const NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;

/** Checks a parsed sink list (from AUDIT_SINKS). */
export function parseSinkSpecs(data: unknown): SinkSpec[] {
  if (!Array.isArray(data)) throw new SinkSpecError('expected a list of sinks');
  const seen = new Set<string>();
  return data.map((raw, i) => {
    if (!raw || typeof raw !== 'object') throw new SinkSpecError(`sink ${i}: expected an object`);
    const s = raw as SinkSpec;
    if (typeof s.name !== 'string' || !NAME.test(s.name)) throw new SinkSpecError(`sink ${i}: name must match ${NAME.source}`);
    if (s.name === 'elasticsearch') throw new SinkSpecError(`sink ${i}: the name elasticsearch is taken`);
    if (seen.has(s.name)) throw new SinkSpecError(`sink ${s.name}: name used twice`);
    seen.add(s.name);
    if (s.type === 'splunk' || s.type === 'webhook') {
      try {
        const u = new URL(s.url ?? '');
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
      } catch {
        throw new SinkSpecError(`sink ${s.name}: url must be an http(s) URL`);
      }
      if (s.type === 'splunk' && !s.token) throw new SinkSpecError(`sink ${s.name}: a HEC token is required`);
    } else if (s.type === 'syslog') {
      if (!s.host || !Number.isInteger(s.port) || s.port! < 1 || s.port! > 65535) throw new SinkSpecError(`sink ${s.name}: host and port are required`);
      if (s.facility !== undefined && (!Number.isInteger(s.facility) || s.facility < 0 || s.facility > 23)) {
        throw new SinkSpecError(`sink ${s.name}: facility must be 0-23`);
      }
    } else {
      throw new SinkSpecError(`sink ${String((s as { name: unknown }).name)}: type must be splunk, syslog or webhook`);
    }
    return s;
  });
}

export function sinkDurable(name: string): string {
  return `audit-${name}`;
}

/** A failure of one send: `retryable` for transient trouble, otherwise the batch was refused. */
export class SendError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

export interface Sendable {
  id: string;
  line: string;
  doc: EcsDocument;
}

/** A destination: sends a batch, resolving once it is accepted. */
export interface Destination {
  send(items: readonly Sendable[]): Promise<void>;
  close(): Promise<void>;
}

// --- HTTP -----------------------------------------------------------------------------------

interface HttpOptions {
  ca?: string | undefined;
  insecure?: boolean | undefined;
  timeoutMs: number;
}

function httpPoster(opts: HttpOptions) {
  const ca = opts.ca ? readFileSync(opts.ca) : undefined;
  const httpAgent = new HttpAgent({ keepAlive: true });
  const httpsAgent = new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}), ...(opts.insecure ? { rejectUnauthorized: false } : {}) });
  return {
    post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
      const u = new URL(url);
      const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise((resolve, reject) => {
        const r = req(
          u,
          {
            method: 'POST',
            agent: u.protocol === 'https:' ? httpsAgent : httpAgent,
            headers: { 'content-length': Buffer.byteLength(body), ...headers },
            timeout: opts.timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', (e) => reject(new SendError(e.message, true)));
          },
        );
        r.on('timeout', () => r.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
        r.on('error', (e) => reject(new SendError(e.message, true)));
        r.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function checkStatus(what: string, r: { status: number; body: string }): void {
  if (r.status >= 200 && r.status < 300) return;
  const retryable = r.status === 408 || r.status === 429 || r.status >= 500;
  throw new SendError(`${what} answered ${r.status}: ${r.body.slice(0, 300)}`, retryable);
}

function epochSeconds(doc: EcsDocument): number {
  const t = Date.parse(String(doc['@timestamp'] ?? ''));
  return Number.isNaN(t) ? Date.now() / 1000 : t / 1000;
}

/** Splunk HTTP Event Collector: `POST /services/collector/event`, one JSON object per event. */
export function splunkDestination(spec: SinkSpec): Destination {
  const http = httpPoster({ ca: spec.ca, insecure: spec.insecure, timeoutMs: spec.timeoutMs ?? 30_000 });
  const url = `${spec.url!.replace(/\/+$/, '')}/services/collector/event`;
  const host = hostname();
  return {
    async send(items) {
      const body = items
        .map((it) =>
          JSON.stringify({
            time: epochSeconds(it.doc),
            host,
            source: spec.source ?? 'assay',
            sourcetype: spec.sourcetype ?? 'assay:audit',
            ...(spec.index ? { index: spec.index } : {}),
            event: it.doc,
          }),
        )
        .join('\n');
      const r = await http.post(url, body, { authorization: `Splunk ${spec.token}`, 'content-type': 'application/json' });
      checkStatus('Splunk HEC', r);
    },
    async close() {
      http.close();
    },
  };
}

/** Generic webhook: `POST <url>` with `{"events": [...]}`. */
export function webhookDestination(spec: SinkSpec): Destination {
  const http = httpPoster({ ca: spec.ca, insecure: spec.insecure, timeoutMs: spec.timeoutMs ?? 30_000 });
  return {
    async send(items) {
      const body = `{"events":[${items.map((i) => i.line).join(',')}]}`;
      const r = await http.post(spec.url!, body, {
        'content-type': 'application/json',
        ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}),
        ...(spec.headers ?? {}),
      });
      checkStatus('webhook', r);
    },
    async close() {
      http.close();
    },
  };
}

// --- syslog ---------------------------------------------------------------------------------

/** RFC 5424 SD-PARAM value escaping: `"`, `\` and `]`. */
function sdValue(v: unknown): string {
  return String(v).replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** RFC 5424 header fields: printable US-ASCII, no spaces, bounded length; `-` when empty. */
function headerField(v: string | undefined, max: number): string {
  const s = (v ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return s === '' ? '-' : s;
}

/** Severity: denials are warnings, failures errors, everything else notices. */
function severityOf(doc: EcsDocument): number {
  const ev = (doc.event ?? {}) as { type?: string[]; outcome?: string; action?: string };
  if (ev.action === 'admission' && ev.type?.includes('denied')) return 4;
  if (ev.outcome === 'failure') return 3;
  return 5;
}

/** One RFC 5424 message for an audit document (the JSON document is the MSG, UTF-8 with BOM). */
export function syslogMessage(doc: EcsDocument, line: string, opts: { facility: number; appName: string; hostname: string }): string {
  const ev = (doc.event ?? {}) as { id?: string; action?: string; outcome?: string };
  const k8s = (doc.kubernetes ?? {}) as { namespace?: string };
  const pri = opts.facility * 8 + severityOf(doc);
  const sd = `[assay@32473 id="${sdValue(ev.id ?? '')}" action="${sdValue(ev.action ?? '')}" outcome="${sdValue(ev.outcome ?? '')}"${
    k8s.namespace ? ` namespace="${sdValue(k8s.namespace)}"` : ''
  }]`;
  const ts = String(doc['@timestamp'] ?? new Date().toISOString());
  return `<${pri}>1 ${ts} ${headerField(opts.hostname, 255)} ${headerField(opts.appName, 48)} ${headerField(String(process.pid), 128)} ${headerField(ev.action, 32)} ${sd} \ufeff${line}`;
}

/** RFC 6587 octet counting: `<length in bytes> <message>`. */
export function octetFrame(msg: string): Buffer {
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export function syslogDestination(spec: SinkSpec): Destination {
  const timeoutMs = spec.timeoutMs ?? 30_000;
  const ca = spec.ca ? readFileSync(spec.ca) : undefined;
  const opts = { facility: spec.facility ?? 13, appName: spec.appName ?? 'assay', hostname: hostname() };
  let socket: Socket | undefined;
  let broken = false;

  async function open(): Promise<Socket> {
    if (socket && !broken && !socket.destroyed) return socket;
    socket?.destroy();
    broken = false;
    const s = await new Promise<Socket>((resolve, reject) => {
      const onErr = (e: Error) => reject(new SendError(`syslog ${spec.host}:${spec.port}: ${e.message}`, true));
      const c = spec.tls
        ? tlsConnect({
            host: spec.host,
            port: spec.port!,
            servername: spec.host,
            ...(ca ? { ca } : {}),
            ...(spec.insecure ? { rejectUnauthorized: false } : {}),
          }, () => resolve(c))
        : netConnect({ host: spec.host!, port: spec.port! }, () => resolve(c));
      c.once('error', onErr);
      c.setTimeout(timeoutMs, () => c.destroy(new Error('connect timed out')));
    });
    s.setTimeout(0);
    s.setKeepAlive(true, 30_000);
    s.on('error', () => {
      broken = true;
    });
    s.on('close', () => {
      broken = true;
    });
    // The receiver never talks back; anything it sends is ignored.
    s.on('data', () => {});
    socket = s;
    return s;
  }

  return {
    async send(items) {
      const s = await open();
      const data = Buffer.concat(items.map((it) => octetFrame(syslogMessage(it.doc, it.line, opts))));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          broken = true;
          s.destroy();
          reject(new SendError(`syslog write timed out after ${timeoutMs} ms`, true));
        }, timeoutMs);
        s.write(data, (err) => {
          clearTimeout(t);
          if (err) {
            broken = true;
            reject(new SendError(`syslog write failed: ${err.message}`, true));
          } else resolve();
        });
      });
    },
    async close() {
      socket?.end();
      socket?.destroy();
    },
  };
}

export function destinationFor(spec: SinkSpec): Destination {
  switch (spec.type) {
    case 'splunk':
      return splunkDestination(spec);
    case 'webhook':
      return webhookDestination(spec);
    case 'syslog':
      return syslogDestination(spec);
  }
}

// --- delivery -------------------------------------------------------------------------------

export interface SiemSinkOptions {
  spec: SinkSpec;
  destination: Destination;
  js: JetStreamClient;
  stream: string;
  logger: BusLogger;
  retryBaseMs: number;
  retryMaxMs: number;
  signal: AbortSignal;
  stats?: SinkMetrics;
  producer?: string;
}

/** Batch delivery to one destination, with retries, splitting and dead-lettering. */
export class SiemSink {
  readonly #o: SiemSinkOptions;
  constructor(o: SiemSinkOptions) {
    this.#o = o;
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

  async #deadLetter(h: Held<Prepared>, reason: string): Promise<void> {
    const m = h.msg;
    const durable = sinkDurable(this.#o.spec.name);
    const record = create(DeadLetterSchema, {
      meta: newEventMeta(this.#o.producer ?? 'audit', 'id' in h.item ? h.item.id : undefined),
      stream: this.#o.stream,
      consumer: durable,
      subject: m.subject,
      streamSequence: BigInt(m.seq),
      deliveries: m.info.deliveryCount,
      reason,
      data: m.data,
      headers: headersToRecord(m.headers),
    });
    try {
      await publishEvent(this.#o.js, deadLetterTopic(this.#o.stream), record, { msgId: deadLetterMsgId(durable, m) });
    } catch (err) {
      this.#o.logger.error({ seq: m.seq, part: partIndex(m), err }, 'could not publish the dead letter; the message will be retried');
      m.nak(5_000);
      return;
    }
    m.term();
    this.#o.stats?.deadLettered(reason.split(':')[0] ?? 'error');
    this.#o.logger.warn({ seq: m.seq, part: partIndex(m), reason }, 'audit event dead-lettered');
  }

  async deliver(batch: Held<Prepared>[]): Promise<void> {
    const ok: Held<Prepared>[] = [];
    for (const h of batch) {
      if ('error' in h.item) await this.#deadLetter(h, h.item.error);
      else ok.push(h);
    }
    if (ok.length > 0) await this.#deliverPart(ok);
  }

  async #deliverPart(part: Held<Prepared>[]): Promise<void> {
    const { destination, logger, signal } = this.#o;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        await destination.send(part.map((h) => h.item as Sendable));
        for (const h of part) h.msg.ack();
        this.#o.stats?.indexed(part.length);
        return;
      } catch (err) {
        const e = err instanceof SendError ? err : new SendError(err instanceof Error ? err.message : String(err), true);
        if (!e.retryable) {
          if (part.length === 1) return this.#deadLetter(part[0]!, `refused by ${this.#o.spec.type} sink ${this.#o.spec.name}: ${e.message}`);
          // Find the refused event(s): halve and try each half.
          const mid = Math.ceil(part.length / 2);
          await this.#deliverPart(part.slice(0, mid));
          await this.#deliverPart(part.slice(mid));
          return;
        }
        const cap = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** Math.min(attempt++, 20));
        const delay = Math.round(cap / 2 + (Math.random() * cap) / 2);
        this.#o.stats?.retry('send');
        if (attempt === 1 || attempt % 10 === 0) logger.warn({ err: e.message, docs: part.length, attempt, retryInMs: delay }, 'sink send failed; retrying');
        await this.#sleep(delay);
      }
    }
    for (const h of part) h.msg.nak();
  }
}
