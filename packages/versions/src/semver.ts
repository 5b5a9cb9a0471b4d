// SemVer (npm, crates.io, OSV SEMVER ranges) on the `semver` package, with a tolerant fallback
// for the shapes OSV data carries that strict SemVer rejects ('1', '1.2', '0.0.0.1', 'v1.2.3').
import semverLib from 'semver';
import { sign, type VersionScheme } from './types.ts';

export interface LooseSemver {
  release: bigint[];
  prerelease: Array<string | number>;
}

// Leading 'v'/'='/spaces as node-semver's loose mode; any number of numeric components; an
// optional '-' before the pre-release (loose mode allows '1.2.3beta'); build metadata dropped.
const TOLERANT = /^[v=\s]*(\d+(?:\.\d+)*)(?:-?([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]*)?\s*$/;

/** Parse with node-semver (loose), else the tolerant form; undefined if neither accepts it. */
// `MAJOR.MINOR.PATCH` and nothing else, the shape of most versions compared: node-semver would
// read it as these three numbers too (or, past its integer limit, the tolerant form below would),
// so it is read directly, without building a SemVer object and its formatted string.
const PLAIN = /^(\d+)\.(\d+)\.(\d+)$/;

export function parseLooseSemver(v: string): LooseSemver | undefined {
  const plain = PLAIN.exec(v);
  if (plain) return { release: [BigInt(plain[1] as string), BigInt(plain[2] as string), BigInt(plain[3] as string)], prerelease: [] };
  const p = semverLib.parse(v, { loose: true });
  if (p) return { release: [BigInt(p.major), BigInt(p.minor), BigInt(p.patch)], prerelease: [...p.prerelease] };
  const m = TOLERANT.exec(v);
  if (!m) return undefined;
  const release = (m[1] ?? '').split('.').map((x) => BigInt(x));
  const prerelease = m[2] ? m[2].split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : [];
  return { release, prerelease };
}

/** Compare release components (missing ones are 0), then pre-release per SemVer 2.0.0 §11. */
export function compareParsedSemver(a: LooseSemver, b: LooseSemver, ci = false): number {
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const x = a.release[i] ?? 0n;
    const y = b.release[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return a.prerelease.length === b.prerelease.length ? 0 : a.prerelease.length === 0 ? 1 : -1;
  }
  const m = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < m; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const r =
      ci && typeof x === 'string' && typeof y === 'string'
        ? semverLib.compareIdentifiers(x.toLowerCase(), y.toLowerCase())
        : semverLib.compareIdentifiers(String(x), String(y));
    if (r) return r;
  }
  return 0;
}

/** Unparseable versions sort before all others, among themselves by string. */
export function compareWith(parse: (v: string) => LooseSemver | undefined, a: string, b: string, ci = false): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) return sign(compareParsedSemver(pa, pb, ci));
  if (!pa && !pb) return a === b ? 0 : a < b ? -1 : 1;
  return pa ? 1 : -1;
}

export const semver: VersionScheme = {
  name: 'semver',
  compare: (a, b) => compareWith(parseLooseSemver, a, b),
  isValid: (v) => semverLib.valid(v, { loose: true }) !== null,
};
