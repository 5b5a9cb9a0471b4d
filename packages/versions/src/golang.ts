// Go module versions (golang.org/x/mod/semver): SemVer with a 'v' prefix, 'vMAJOR' and
// 'vMAJOR.MINOR' shorthands, pseudo-versions as ordinary pre-releases, '+incompatible' as build
// metadata. OSV's Go ecosystem writes versions without the 'v'; both are accepted.
import { compareWith, type LooseSemver } from './semver.ts';
import type { VersionScheme } from './types.ts';

const GO_RE =
  /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?$/;

export function parseGo(v: string): LooseSemver | undefined {
  // toolchain/stdlib versions may come as 'go1.21.3'
  const m = GO_RE.exec(v.trim().replace(/^go(?=\d)/, ''));
  if (!m) return undefined;
  const release = [BigInt(m[1] ?? 0), BigInt(m[2] ?? 0), BigInt(m[3] ?? 0)];
  const prerelease = m[4] ? m[4].split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : [];
  return { release, prerelease };
}

export const golang: VersionScheme = {
  name: 'go',
  compare: (a, b) => compareWith(parseGo, a, b),
  isValid: (v) => parseGo(v) !== undefined,
};
