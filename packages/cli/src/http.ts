// HTTP requests of the commands that talk to a running system (scanner, policy API): one clear
// CliError for an unreachable service or an error answer, naming the URL and the service's message.
import { CliError } from './io.ts';

export interface HttpAnswer {
  status: number;
  text: string;
  contentType: string;
}

export async function request(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<HttpAnswer> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (res.status >= 400) {
    let message = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { error?: unknown; message?: unknown };
      if (typeof j.error === 'string') message = j.error;
      else if (typeof j.message === 'string') message = j.message;
    } catch {
      // not JSON: the body's start is the message
    }
    throw new CliError(`${init.method ?? 'GET'} ${url}: HTTP ${res.status}${message ? `: ${message}` : ''}`);
  }
  return { status: res.status, text, contentType: res.headers.get('content-type') ?? '' };
}

/** `base` without a trailing slash, checked to be an http(s) URL. */
export function baseUrl(v: string | undefined, option: string): string {
  if (v === undefined) throw new CliError(`${option} <url> is required`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new CliError(`${option}: ${JSON.stringify(v)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`${option}: ${JSON.stringify(v)} is not an http(s) URL`);
  return v.replace(/\/+$/, '');
}
