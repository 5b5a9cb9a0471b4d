// Debian package versions, as dpkg compares them (lib/dpkg/version.c, deb-version(7)).
import { sign, type VersionScheme } from './types.ts';

export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Split `[epoch:]upstream[-revision]`: the epoch ends at the first ':', the revision starts after the last '-'. */
export function parseDpkg(v: string): DpkgVersion {
  const s = v.trim();
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    epoch = Number.parseInt(s.slice(0, colon), 10) || 0;
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) return { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
  return { epoch, upstream: rest, revision: '' };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

// dpkg's order(): '~' sorts before everything (even the end of the string), then end/digits,
// then letters, then all other characters.
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1; // '~'
  return c + 256;
}

/** dpkg's verrevcmp(): alternate non-digit runs (by order()) and digit runs (numerically). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

// The last two versions split, by string: vulnerability matching compares one installed version
// with each bound of each advisory of its package, so one side of a comparison keeps coming back.
let lastText = '';
let lastParsed: DpkgVersion | undefined;
let priorText = '';
let priorParsed: DpkgVersion | undefined;

function parsedDpkg(v: string): DpkgVersion {
  if (v === lastText && lastParsed) return lastParsed;
  if (v === priorText && priorParsed) {
    // Most recent first, so the side that keeps coming back is never the one dropped.
    const p = priorParsed;
    priorText = lastText;
    priorParsed = lastParsed;
    lastText = v;
    lastParsed = p;
    return p;
  }
  const p = parseDpkg(v);
  priorText = lastText;
  priorParsed = lastParsed;
  lastText = v;
  lastParsed = p;
  return p;
}

export function compareDpkg(a: string, b: string): number {
  const va = parsedDpkg(a);
  const vb = parsedDpkg(b);
  if (va.epoch !== vb.epoch) return va.epoch > vb.epoch ? 1 : -1;
  return sign(verrevcmp(va.upstream, vb.upstream)) || sign(verrevcmp(va.revision, vb.revision));
}

// dpkg's parseversion() without its warnings: numeric epoch, upstream starting with a digit,
// and only the characters deb-version(7) allows.
const DPKG_RE = /^(?:(\d+):)?([0-9][A-Za-z0-9.+~:-]*?)(?:-([A-Za-z0-9.+~]+))?$/;

export function isValidDpkg(v: string): boolean {
  const m = DPKG_RE.exec(v);
  if (!m) return false;
  const upstream = m[2] ?? '';
  // a ':' in the upstream part needs an explicit epoch; a '-' needs a revision
  if (upstream.includes(':') && m[1] === undefined) return false;
  if (m[1] !== undefined && Number(m[1]) > 2147483647) return false;
  return true;
}

export const dpkg: VersionScheme = { name: 'dpkg', compare: compareDpkg, isValid: isValidDpkg };
