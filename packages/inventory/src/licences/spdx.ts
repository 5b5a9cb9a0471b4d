// SPDX licence list access (spdx-license-ids, spdx-expression-parse, spdx-correct): case-
// insensitive id lookup, upgrade of deprecated GNU ids (`GPL-2.0+` → `GPL-2.0-or-later`), and
// the expression tree both our parser and spdx-expression-parse produce, with its serialiser.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ids = require('spdx-license-ids') as string[];
const deprecated = require('spdx-license-ids/deprecated.json') as string[];

export type SpdxParsed =
  { license: string; plus?: true; exception?: string } | { conjunction: 'and' | 'or'; left: SpdxParsed; right: SpdxParsed };
export const spdxParse = require('spdx-expression-parse') as (s: string) => SpdxParsed;
export const spdxCorrect = require('spdx-correct') as (s: string, opts?: { upgrade: boolean }) => string | null;

const byLower = new Map<string, string>();
for (const id of [...deprecated, ...ids]) byLower.set(id.toLowerCase(), id);
const current = new Set(ids);

/** The SPDX id spelled `s` in any case, or undefined. */
export function spdxId(s: string): string | undefined {
  return byLower.get(s.toLowerCase());
}

export function isCurrentId(id: string): boolean {
  return current.has(id);
}

/** Deprecated GNU forms to their `-only` / `-or-later` ids; other ids unchanged. */
export function upgradeId(id: string, plus = false): string {
  const m = /^((?:A|L)?GPL|GFDL)-(\d\.\d)(\+)?$/.exec(id);
  if (m) {
    const up = `${m[1]}-${m[2]}-${plus || m[3] ? 'or-later' : 'only'}`;
    if (current.has(up)) return up;
  }
  if (plus && !id.endsWith('-or-later')) {
    const later = id.replace(/-only$/, '') + '-or-later';
    if (current.has(later)) return later;
    return `${id}+`;
  }
  return id;
}

/** Expression text with parentheses only where precedence needs them (AND binds tighter). */
export function serialise(t: SpdxParsed, parent?: 'and' | 'or'): string {
  if ('license' in t) return t.exception ? `${t.license} WITH ${t.exception}` : t.license;
  const s = `${serialise(t.left, t.conjunction)} ${t.conjunction.toUpperCase()} ${serialise(t.right, t.conjunction)}`;
  return parent === 'and' && t.conjunction === 'or' ? `(${s})` : s;
}

/** Leaves of an expression tree. */
export function leaves(t: SpdxParsed): { license: string; exception?: string }[] {
  return 'license' in t ? [t] : [...leaves(t.left), ...leaves(t.right)];
}
