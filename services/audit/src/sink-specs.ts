// The other SIEM sinks besides Elasticsearch, as configured in AUDIT_SINKS: Splunk HTTP Event
// Collector, syslog (RFC 5424 over TCP or TLS) and a generic HTTPS webhook. Each configured sink
// gets its own durable consumer (`audit-<name>`), so a slow or unreachable one never holds up
// another. These destinations do not de-duplicate by themselves: every event carries its
// `event.id` (syslog: structured data `id`) for that.
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
      if (!s.host || !Number.isInteger(s.port) || s.port! < 1 || s.port! > 65535)
        throw new SinkSpecError(`sink ${s.name}: host and port are required`);
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
