// Reading registry responses: a header's first value, and bodies read whole only up to a bound,
// so a misbehaving registry cannot make us buffer without limit.
import type { Readable } from 'node:stream';

export type Headers = Record<string, string | string[] | undefined>;

const MAX_ERROR_BODY_BYTES = 64 * 1024;

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export async function readBounded(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of body) {
    total += (c as Buffer).length;
    if (total > maxBytes) {
      body.destroy();
      throw new Error(`${what}: more than ${maxBytes} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An error body as text (empty when unreadable or too large). */
export async function readText(body: Readable): Promise<string> {
  return (await readBounded(body, MAX_ERROR_BODY_BYTES, 'error body').catch(() => Buffer.alloc(0))).toString('utf8');
}

export async function readJson(res: { body: Readable; url: string }, maxBytes: number): Promise<unknown> {
  const bytes = await readBounded(res.body, maxBytes, res.url);
  return JSON.parse(bytes.toString('utf8'));
}
