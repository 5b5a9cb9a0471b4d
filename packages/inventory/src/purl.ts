// Package URLs (purl spec) for every package we report, built with packageurl-js so encoding
// rules (namespaces, qualifiers, percent-encoding) follow the spec, not our guesses.
import { PackageURL } from 'packageurl-js';

export interface PurlParts {
  type: string;
  namespace?: string | undefined;
  name: string;
  version?: string | undefined;
  qualifiers?: Record<string, string | undefined> | undefined;
  subpath?: string | undefined;
}

/** `pkg:type/namespace/name@version?qualifiers#subpath`; undefined qualifiers are dropped. */
export function purl(p: PurlParts): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.qualifiers ?? {})) if (v !== undefined && v !== '') q[k] = v;
  return new PackageURL(
    p.type,
    p.namespace || undefined,
    p.name,
    p.version || undefined,
    Object.keys(q).length ? q : undefined,
    p.subpath || undefined,
  ).toString();
}

/** Parses a purl; throws on an invalid one. */
export function parsePurl(s: string): PurlParts {
  const u = PackageURL.fromString(s);
  return {
    type: u.type,
    namespace: u.namespace ?? undefined,
    name: u.name,
    version: u.version ?? undefined,
    qualifiers: (u.qualifiers as Record<string, string> | undefined) ?? undefined,
    subpath: u.subpath ?? undefined,
  };
}
