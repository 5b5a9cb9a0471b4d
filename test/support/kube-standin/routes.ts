// URL and request parsing for the stand-in: which resource, namespace, object and subresource a
// path names (`/api/v1/namespaces/{ns}/pods/{name}/status`, `/apis/{group}/{version}/{plural}`),
// equality label selectors, and JSON request bodies (capped).
import type { IncomingMessage } from 'node:http';
import { StandinError, STANDIN_RESOURCES, type StandinResource } from './resources.ts';

export interface Target {
  resource: StandinResource;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** The resource a path names, or undefined (404). */
export function parsePath(pathname: string): Target | undefined {
  const all = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let parts: string[];
  if (all[0] === 'api') {
    group = '';
    version = all[1] ?? '';
    parts = all.slice(2);
  } else if (all[0] === 'apis') {
    group = all[1] ?? '';
    version = all[2] ?? '';
    parts = all.slice(3);
  } else return undefined;
  const find = (plural: string | undefined) =>
    STANDIN_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
  // namespaces/{ns}/{plural}[/{name}[/{sub}]] for a namespaced resource
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    const r = find(parts[2]);
    if (!r?.namespaced || parts.length > 5) return undefined;
    return { resource: r, namespace: parts[1]!, ...(parts[3] ? { name: parts[3] } : {}), ...(parts[4] ? { subresource: parts[4] } : {}) };
  }
  const r = find(parts[0]);
  if (!r || parts.length > 3) return undefined;
  return { resource: r, ...(parts[1] ? { name: parts[1] } : {}), ...(parts[2] ? { subresource: parts[2] } : {}) };
}

/** An equality-based label selector (`a=b,c!=d,e,!f`); anything else is a 400. */
export function labelSelector(selector: string | null): (labels: unknown) => boolean {
  if (!selector) return () => true;
  const terms = selector.split(',').map((t) => t.trim());
  const tests = terms.map((t) => {
    let m: RegExpExecArray | null;
    if ((m = /^([^!=]+)!=(.*)$/.exec(t))) return (l: Record<string, string>) => l[m![1]!] !== m![2];
    if ((m = /^([^!=]+)==?(.*)$/.exec(t))) return (l: Record<string, string>) => l[m![1]!] === m![2];
    if ((m = /^!([^!=]+)$/.exec(t))) return (l: Record<string, string>) => !(m![1]! in l);
    if ((m = /^([^!=]+)$/.exec(t))) return (l: Record<string, string>) => m![1]! in l;
    throw new StandinError(400, 'BadRequest', `unable to parse requirement: ${t}`);
  });
  return (labels) => {
    const l = (typeof labels === 'object' && labels !== null ? labels : {}) as Record<string, string>;
    return tests.every((t) => t(l));
  };
}

/** The request body as a JSON object (at most 3 MiB, as etcd's request limit). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 3 * 1024 * 1024) throw new StandinError(413, 'RequestEntityTooLarge', 'the request is too large');
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new StandinError(400, 'BadRequest', 'the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new StandinError(400, 'BadRequest', 'the body is not an object');
  return body as Record<string, unknown>;
}
