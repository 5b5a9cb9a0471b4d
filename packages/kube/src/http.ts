// One HTTP exchange with the API server over node:http/https (Node's fetch cannot take a custom
// CA): bearer token read per request, an idle deadline, an abort signal, and a non-2xx answer
// turned into a KubeApiError carrying the server's Status. Bodies read are capped.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { bearerToken, type KubeConnection } from './connection.ts';
import { apiError } from './errors.ts';

export interface Exchange {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** No byte for this long fails the request. */
  idleMs: number;
  signal?: AbortSignal | undefined;
  /** Cap on an error body read into the message. */
  maxBodyBytes: number;
}

/** Sends the request; resolves with a 2xx response (body unread), rejects with a KubeApiError otherwise. */
export function exchange(conn: KubeConnection, x: Exchange): Promise<IncomingMessage> {
  const target = new URL(conn.url + x.path);
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = bearerToken(conn);
  if (token) headers.authorization = `Bearer ${token}`;
  const payload = x.body === undefined ? undefined : Buffer.from(JSON.stringify(x.body));
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const what = `${x.method} ${target.pathname}`;
  return new Promise((resolve, reject) => {
    const options = {
      method: x.method,
      headers,
      timeout: x.idleMs,
      ...(x.signal ? { signal: x.signal } : {}),
      ...(conn.ca !== undefined ? { ca: conn.ca } : {}),
    };
    const req = send(target, options, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve(res);
      readBody(res, Math.min(x.maxBodyBytes, 1024 * 1024)).then(
        (body) => reject(apiError(status, what, body.toString('utf8'))),
        (err: unknown) => reject(apiError(status, what, (err as Error).message)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${what}: no data for ${x.idleMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The whole body, refused beyond `max` bytes (the connection is dropped). */
export async function readBody(res: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.destroy();
      throw new Error(`Kubernetes API response larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
