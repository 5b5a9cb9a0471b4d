// RPM versions: rpmvercmp() of rpm 4.18 (rpmio/rpmvercmp.c) over epoch, version and release.
import { sign, type VersionScheme } from './types.ts';

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
// rpm uses its own ASCII-only risalpha/risalnum, not the locale's
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** rpmvercmp(): compare alternating alphabetic and numeric segments; '~' sorts before anything, '^' after the end only. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== '~' && b[j] !== '^') j++;
    const ca = a[i] ?? '';
    const cb = b[j] ?? '';
    // tilde: pre-release marker, sorts lower than anything including the end
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // caret: post-release marker, sorts higher than the end but lower than anything else
    if (ca === '^' || cb === '^') {
      if (ca === '') return -1;
      if (cb === '') return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '' || cb === '') break;
    let ei = i;
    let ej = j;
    const isnum = isDigit(ca);
    if (isnum) {
      while (ei < a.length && isDigit(a[ei]!)) ei++;
      while (ej < b.length && isDigit(b[ej]!)) ej++;
    } else {
      while (ei < a.length && isAlpha(a[ei]!)) ei++;
      while (ej < b.length && isAlpha(b[ej]!)) ej++;
    }
    // segment types differ: a numeric segment is newer than an alphabetic one
    if (ej === j) return isnum ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (isnum) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr {
  epoch: string | undefined;
  version: string;
  release: string | undefined;
}

/** Split `[epoch:]version[-release]` as rpmverParse does: epoch before ':', release after the last '-'. */
export function parseEvr(evr: string): Evr {
  let rest = evr.trim();
  let epoch: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0 && /^\d*$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon) || '0';
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
  return { epoch, version: rest, release: undefined };
}

/** rpmverCmp() (what rpm.vercmp() uses): a missing epoch is 0; a present release beats a missing one. */
export function compareRpm(a: string, b: string): number {
  const ea = parseEvr(a);
  const eb = parseEvr(b);
  const rc = rpmvercmp(ea.epoch ?? '0', eb.epoch ?? '0') || rpmvercmp(ea.version, eb.version);
  if (rc) return sign(rc);
  if (ea.release !== undefined && eb.release !== undefined) return sign(rpmvercmp(ea.release, eb.release));
  return (ea.release !== undefined ? 1 : 0) - (eb.release !== undefined ? 1 : 0);
}

// rpm itself accepts almost anything; we require a non-empty version, a numeric epoch and no
// whitespace, which is what rpmbuild would let through.
export function isValidRpm(v: string): boolean {
  if (v.length === 0 || /\s/.test(v)) return false;
  const e = parseEvr(v);
  if (v.includes(':') && e.epoch === undefined) return false;
  return e.version.length > 0 && e.release !== '' && !e.version.includes(':');
}

export const rpm: VersionScheme = { name: 'rpm', compare: compareRpm, isValid: isValidRpm };
