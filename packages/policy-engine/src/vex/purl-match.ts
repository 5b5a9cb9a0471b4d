// Package URL matching as VEX documents need it: a statement's purl covers a package when type,
// namespace and name are the same and, when it names a version or qualifiers, those agree too. A
// purl without a version covers every version (OpenVEX: "a purl without a version matches any
// version of the package"); qualifiers the statement leaves out match whatever the package has,
// since a scanner and a VEX author rarely write the same `?arch=…&distro=…`.

interface Purl {
  type: string;
  namespace: string;
  name: string;
  version?: string;
  qualifiers: Map<string, string>;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The parts of a `pkg:` URL; undefined when it is not one. */
export function parsePurl(s: string): Purl | undefined {
  if (!s.toLowerCase().startsWith('pkg:')) return undefined;
  let rest = s.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers = new Map<string, string>();
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0) qualifiers.set(pair.slice(0, eq).toLowerCase(), decode(pair.slice(eq + 1)));
    }
    rest = rest.slice(0, q);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.split('/').filter((p) => p !== '');
  if (parts.length < 2) return undefined;
  const type = parts[0]!.toLowerCase();
  return {
    type,
    namespace: parts.slice(1, -1).map(decode).join('/'),
    name: decode(parts[parts.length - 1]!),
    ...(version !== undefined && version !== '' ? { version } : {}),
    qualifiers,
  };
}

/** Whether the statement's purl `vex` covers the package purl `pkg`. */
export function purlCovers(vex: string, pkg: string): boolean {
  const a = parsePurl(vex);
  const b = parsePurl(pkg);
  if (!a || !b) return false;
  if (a.type !== b.type || a.namespace !== b.namespace || a.name !== b.name) return false;
  if (a.version !== undefined && a.version !== b.version) return false;
  for (const [k, v] of a.qualifiers) {
    const have = b.qualifiers.get(k);
    if (have !== undefined && have !== v) return false;
  }
  return true;
}
