// Python versions (PEP 440) through @renovatebot/pep440.
import { compare as pepCompare, valid as pepValid } from '@renovatebot/pep440';
import { sign, type VersionScheme } from './types.ts';

// PEP 440 has no ordering for non-conforming ("legacy") versions; like packaging's old
// LegacyVersion they sort before every valid one, and among themselves by string.
// Whether a (trimmed) string is a PEP 440 version, remembered: every comparison asks it of both
// sides, and vulnerability matching compares one installed version with each advisory's bounds,
// so the same strings come again and again (the library parses with one long regex each time).
const validity = new Map<string, boolean>();
const VALIDITY_MAX = 10_000;

function isPep440(v: string): boolean {
  let valid = validity.get(v);
  if (valid === undefined) {
    valid = pepValid(v) !== null;
    if (validity.size >= VALIDITY_MAX) validity.clear();
    validity.set(v, valid);
  }
  return valid;
}

export function comparePep440(a: string, b: string): number {
  // packaging strips surrounding whitespace before matching; the library does not
  a = a.trim();
  b = b.trim();
  const va = isPep440(a);
  const vb = isPep440(b);
  if (va && vb) return sign(pepCompare(a, b));
  if (!va && !vb) return a === b ? 0 : a < b ? -1 : 1;
  return va ? 1 : -1;
}

export const pep440: VersionScheme = {
  name: 'pep440',
  compare: comparePep440,
  isValid: (v) => pepValid(v.trim()) !== null,
};
