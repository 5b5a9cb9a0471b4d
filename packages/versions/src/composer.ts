// Packagist/Composer versions: PHP's version_compare() after stripping a leading 'v', which is
// what Composer's constraint matching reduces to once versions are normalised.
import type { VersionScheme } from './types.ts';

const isDig = (c: string): boolean => c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** php_canonicalize_version: '-', '_', '+' become '.', and digit/non-digit transitions get a '.'. */
export function phpCanonicalize(version: string): string {
  if (version.length === 0) return '';
  let out = version[0]!;
  let lp = version[0]!;
  for (let i = 1; i < version.length; i++) {
    const p = version[i]!;
    const last = out[out.length - 1];
    const isdig = (x: string): boolean => isDig(x) && x !== '.';
    const isndig = (x: string): boolean => !isDig(x) && x !== '.';
    if (p === '-' || p === '_' || p === '+') {
      if (last !== '.') out += '.';
    } else if ((isndig(lp) && isdig(p)) || (isdig(lp) && isndig(p))) {
      if (last !== '.') out += '.';
      out += p;
    } else if (!isAlnum(p)) {
      if (last !== '.') out += '.';
    } else {
      out += p;
    }
    lp = p;
  }
  return out;
}

// Special forms by prefix, in PHP's search order; anything else ranks below 'dev'.
const SPECIAL: Array<[string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialOrder(form: string): number {
  for (const [name, order] of SPECIAL) if (form.startsWith(name)) return order;
  return -1;
}

function compareSpecial(a: string, b: string): number {
  return Math.sign(specialOrder(a) - specialOrder(b));
}

// strtol on a digit-leading segment
const num = (s: string): bigint => BigInt(/^\d+/.exec(s)?.[0] ?? '0');

/** PHP's version_compare(v1, v2) returning -1, 0 or 1. */
export function phpVersionCompare(v1: string, v2: string): number {
  if (!v1 || !v2) return !v1 && !v2 ? 0 : v1 ? 1 : -1;
  // a leading '#' marks PHP's internal number placeholder '#N#', which is not canonicalised
  const a = (v1.startsWith('#') ? v1 : phpCanonicalize(v1)).split('.');
  const b = (v2.startsWith('#') ? v2 : phpCanonicalize(v2)).split('.');
  let i = 0;
  let r = 0;
  for (;;) {
    const p1 = a[i]!;
    const p2 = b[i]!;
    const d1 = isDig(p1[0] ?? '');
    const d2 = isDig(p2[0] ?? '');
    if (d1 && d2) {
      const x = num(p1);
      const y = num(p2);
      r = x < y ? -1 : x > y ? 1 : 0;
    } else if (!d1 && !d2) r = compareSpecial(p1, p2);
    else r = d1 ? compareSpecial('#N#', p2) : compareSpecial(p1, '#N#');
    // PHP stops at the first difference, or when either side has no further '.'-segment
    if (r !== 0 || i + 1 >= a.length || i + 1 >= b.length || a[i + 1] === '' || b[i + 1] === '') break;
    i++;
  }
  i++;
  if (r === 0) {
    if (i < a.length) r = isDig(a[i]![0] ?? '') ? 1 : phpVersionCompare(a.slice(i).join('.'), '#N#');
    else if (i < b.length) r = isDig(b[i]![0] ?? '') ? -1 : phpVersionCompare('#N#', b.slice(i).join('.'));
  }
  return r;
}

/**
 * Drop a leading 'v' ('v1.2.3' is the same release as '1.2.3' in Composer) and trailing
 * separators, on which PHP's version_compare is not even reflexive ('1.' < '1.').
 */
export function normalizeComposer(v: string): string {
  return v
    .trim()
    .replace(/^[vV](?=\d)/, '')
    .replace(/[-_+.]+$/, '');
}

export function compareComposer(a: string, b: string): number {
  const na = normalizeComposer(a);
  const nb = normalizeComposer(b);
  if (phpCanonicalize(na) === phpCanonicalize(nb)) return 0;
  return phpVersionCompare(na, nb);
}

// Composer's VersionParser::normalize accepts these shapes (plus dev branches).
const COMPOSER_RE =
  /^[vV]?\d+(?:\.\d+){0,3}(?:[._-]?(?:stable|beta|b|RC|rc|alpha|a|patch|pl|p)(?:[.-]?\d+)*)?(?:[.-]?dev)?(?:\+[0-9A-Za-z.-]+)?$|^dev-\S+$|^\S+-dev$/i;

export const composer: VersionScheme = {
  name: 'composer',
  compare: compareComposer,
  isValid: (v) => COMPOSER_RE.test(v.trim()),
};
