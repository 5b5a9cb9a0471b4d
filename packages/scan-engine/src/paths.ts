// Layer paths: tar entry names cleaned into the analyzer contract's form (layer-relative, no
// leading slash, no `.`/`..`), and OCI whiteouts recognised. Nothing is ever written to disk,
// so a cleaned path is only ever a key; an entry that would climb out of the root is refused.

export type CleanPath = { ok: true; path: string } | { ok: false; reason: string };

/**
 * `./usr/bin/x` → `usr/bin/x`; `/etc/passwd` → `etc/passwd` (absolute names are taken as
 * relative to the layer root, as every runtime does); `a/../b` → `b`; `../x` → refused.
 * The root itself (`./`) gives the empty path.
 */
export function cleanPath(name: string): CleanPath {
  if (name.includes('\0')) return { ok: false, reason: 'contains a NUL byte' };
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return { ok: false, reason: 'climbs out of the layer root' };
      out.pop();
      continue;
    }
    out.push(part);
  }
  return { ok: true, path: out.join('/') };
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type Whiteout = { kind: 'delete'; target: string } | { kind: 'opaque'; dir: string };

/** A whiteout entry's meaning, or undefined for an ordinary path (already cleaned). */
export function whiteoutOf(path: string): Whiteout | undefined {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = slash < 0 ? path : path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') return undefined;
  return { kind: 'delete', target: dir === '' ? name : `${dir}/${name}` };
}

/** Whether `path` is `prefix` or lies under it (`prefix` '' is the root: everything). */
export function isUnder(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}
