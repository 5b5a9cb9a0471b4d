// A JSON diff of two document versions: the paths that differ with their old and new values
// (JSON Pointer paths, as RFC 6902 names them).
import { isObject } from '@assay/kit';

export interface DiffEntry {
  op: 'add' | 'remove' | 'replace';
  path: string;
  from?: unknown;
  to?: unknown;
}

const pointer = (parts: readonly (string | number)[]) =>
  parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

function plain(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

export function jsonDiff(a: unknown, b: unknown, path: (string | number)[] = [], out: DiffEntry[] = []): DiffEntry[] {
  a = plain(a);
  b = plain(b);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      if (!(k in b) || b[k] === undefined) {
        if (a[k] !== undefined) out.push({ op: 'remove', path: pointer([...path, k]), from: plain(a[k]) });
      } else if (!(k in a) || a[k] === undefined) out.push({ op: 'add', path: pointer([...path, k]), to: plain(b[k]) });
      else jsonDiff(a[k], b[k], [...path, k], out);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= b.length) out.push({ op: 'remove', path: pointer([...path, i]), from: plain(a[i]) });
      else if (i >= a.length) out.push({ op: 'add', path: pointer([...path, i]), to: plain(b[i]) });
      else jsonDiff(a[i], b[i], [...path, i], out);
    }
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ op: 'replace', path: pointer(path), from: a, to: b });
  return out;
}
