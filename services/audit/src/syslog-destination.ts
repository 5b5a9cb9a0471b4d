// syslog as a destination: RFC 5424 messages (the ECS document as the MSG) over TCP or TLS with
// the octet-counting framing of RFC 6587. A batch is accepted once its bytes are written to the
// connection (the receiver never answers); a broken connection is opened again on the next send.
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { type Destination, SendError } from './destination.ts';
import type { EcsDocument } from './ecs.ts';
import type { SinkSpec } from './sink-specs.ts';

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
        ? tlsConnect(
            {
              host: spec.host,
              port: spec.port!,
              servername: spec.host,
              ...(ca ? { ca } : {}),
              ...(spec.insecure ? { rejectUnauthorized: false } : {}),
            },
            () => resolve(c),
          )
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
