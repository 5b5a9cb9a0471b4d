// NuGet versions (NuGet.Versioning): up to four numeric parts, SemVer 2 pre-release labels
// compared case-insensitively, metadata ignored; 'v' prefix tolerated.
import { compareWith, type LooseSemver } from './semver.ts';
import type { VersionScheme } from './types.ts';

const NUGET_RE =
  /^\s*[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\s*$/;

export function parseNuget(v: string): LooseSemver | undefined {
  const m = NUGET_RE.exec(v);
  if (!m) return undefined;
  const release = [m[1], m[2], m[3], m[4]].map((x) => BigInt(x ?? 0));
  const prerelease = m[5] ? m[5].split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : [];
  return { release, prerelease };
}

export const nuget: VersionScheme = {
  name: 'nuget',
  compare: (a, b) => compareWith(parseNuget, a, b, true),
  isValid: (v) => parseNuget(v) !== undefined,
};
