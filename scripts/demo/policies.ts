// The demo's own policies: it writes them under ids it owns (demo-…), and never overwrites one a
// person changed since. A re-run of the demo that silently reset a policy someone had been
// editing would undo their work; so a policy that is not what the demo writes is left as it is
// (and used as it is), and the demo says so.
import { isDeepStrictEqual } from 'node:util';

/** Stored with every document the demo writes: says whose it is, and that edits are kept. */
export const DEMO_DESCRIPTION = 'Written by `npm run demo`. Change it freely: the demo then leaves it as it is.';

export interface PolicyAnswer {
  status: number;
  json: any;
  text: string;
}

export type PolicyCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<PolicyAnswer>;

/** JSON as stored (undefined members dropped), for comparing a stored document with ours. */
const asStored = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/**
 * Creates the demo's document, or finds it as the demo wrote it; one that differs (changed by
 * someone since) is left as it is. Returns a line for the demo's output.
 */
export async function ensureDemoPolicy(call: PolicyCall, collection: string, id: string, spec: Record<string, unknown>): Promise<string> {
  const document = { ...spec, description: DEMO_DESCRIPTION };
  const path = `/api/v1/${collection}/${encodeURIComponent(id)}`;
  const cur = await call('GET', path);
  if (cur.status !== 200 && cur.status !== 404) throw new Error(`GET ${path}: ${cur.status} ${cur.text}`);
  if (cur.status === 200) {
    const version = Number(cur.json?.version ?? 0);
    if (isDeepStrictEqual(asStored(cur.json?.document), asStored(document)))
      return `${collection}/${id} as the demo wrote it (version ${version})`;
    const by = typeof cur.json?.createdBy === 'string' ? ` by ${cur.json.createdBy}` : '';
    return (
      `${collection}/${id} left as it is (version ${version}${by}): it was changed since the demo wrote it, and is used as it is ` +
      `(delete it to have the demo write its own)`
    );
  }
  const r = await call('PUT', path, { document }, { 'if-match': '"0"' });
  if (r.status !== 200 && r.status !== 201) throw new Error(`PUT ${path}: ${r.status} ${r.text}`);
  return `created ${collection}/${id} (version ${r.json?.version})`;
}
