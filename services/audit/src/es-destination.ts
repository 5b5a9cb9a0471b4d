// Elasticsearch as a destination: one bulk request per batch, every document created with
// op_type `create` and `_id` = the event id, so a retried batch (or a redelivered message) can
// never index an event twice — a 409 version_conflict on create means "already indexed" and counts
// as success. Whole-request failures (connection refused, timeouts, 429, 5xx) and per-item 429/5xx
// are retried; a request refused as a whole (400, 413: too large, or a line it cannot parse) is
// split; any other per-item failure (mapping errors, 400s) is permanent. The delivery loop
// (delivery.ts) does the retrying, splitting and dead-lettering.
import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { type Destination, type ItemOutcome, SendError } from './destination.ts';

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

/** The official client, with its own retries off: the delivery loop owns retrying. */
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

function outcomeOf(item: Record<string, BulkItemResult>): ItemOutcome {
  const r = Object.values(item)[0] ?? {};
  const status = r.status ?? 500;
  if (status >= 200 && status < 300) return { result: 'created' };
  if (status === 409 && r.error?.type === 'version_conflict_engine_exception') return { result: 'duplicate' };
  if (retryableStatus(status)) return { result: 'retry' };
  const cause = r.error?.caused_by?.reason ? ` (caused by ${r.error.caused_by.type}: ${r.error.caused_by.reason})` : '';
  return {
    result: 'refused',
    reason: `${r.error?.type ?? `status ${status}`}: elasticsearch refused the document (${status}): ${r.error?.reason ?? ''}${cause}`,
  };
}

/** Bulk-creates each batch in the data stream `dataStream`. Closing leaves the client to its owner. */
export function elasticsearchDestination(client: Client, dataStream: string): Destination {
  return {
    async send(items, signal) {
      const operations: string[] = [];
      for (const it of items) operations.push(JSON.stringify({ create: { _index: dataStream, _id: it.id } }), it.line);
      try {
        const res = await client.bulk({ operations: operations as never[] }, { signal });
        return (res.items as Array<Record<string, BulkItemResult>>).map(outcomeOf);
      } catch (err) {
        const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
        if (status === 413 || status === 400) {
          throw new SendError(`bulk request refused (${status}): ${describeError(err)}`, false);
        }
        throw new SendError(describeError(err), true, status ? String(status) : 'connection');
      }
    },
    async close() {},
  };
}
