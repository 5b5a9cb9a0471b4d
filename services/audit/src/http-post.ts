// POSTing a batch over HTTP(S) for the HTTP destinations (Splunk HEC, webhook): kept-alive
// connections, an optional CA, a timeout per request, and the answer's status turned into what the
// delivery loop acts on — 2xx accepted; 408, 429 and 5xx retried; any other status a refusal.
import { readFileSync } from 'node:fs';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { SendError } from './destination.ts';
import type { SinkSpec } from './sink-specs.ts';

interface HttpOptions {
  ca?: string | undefined;
  insecure?: boolean | undefined;
  timeoutMs: number;
}

export function httpPoster(opts: HttpOptions) {
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

/**
 * Throws unless the answer is 2xx. A refusal's message is the dead-letter reason, naming the sink:
 * `refused by <type> sink <name>: <what> answered <status>: <body>`.
 */
export function checkStatus(spec: SinkSpec, what: string, r: { status: number; body: string }): void {
  if (r.status >= 200 && r.status < 300) return;
  const retryable = r.status === 408 || r.status === 429 || r.status >= 500;
  const message = `${what} answered ${r.status}: ${r.body.slice(0, 300)}`;
  throw new SendError(retryable ? message : `refused by ${spec.type} sink ${spec.name}: ${message}`, retryable);
}
