// Python versions (PEP 440) through @renovatebot/pep440.
import { compare as pepCompare, valid as pepValid } from '@renovatebot/pep440';
import { sign, type VersionScheme } from './types.ts';

// PEP 440 has no ordering for non-conforming ("legacy") versions; like packaging's old
// LegacyVersion they sort before every valid one, and among themselves by string.
export function comparePep440(a: string, b: string): number {
  // packaging strips surrounding whitespace before matching; the library does not
  a = a.trim();
  b = b.trim();
  const va = pepValid(a) !== null;
  const vb = pepValid(b) !== null;
  if (va && vb) return sign(pepCompare(a, b));
  if (!va && !vb) return a === b ? 0 : a < b ? -1 : 1;
  return va ? 1 : -1;
}

export const pep440: VersionScheme = {
  name: 'pep440',
  compare: comparePep440,
  isValid: (v) => pepValid(v.trim()) !== null,
};
