// Synthetic OSV records at osv.dev's scale for the vulndb-scale benchmark, generated lazily so a
// 600,000-record database never sits in memory. Shapes follow the real exports: DEBIAN-CVE /
// UBUNTU-CVE records affecting several releases with ECOSYSTEM ranges and an upstream CVE; GHSA
// records (CVE alias, SEMVER or ECOSYSTEM ranges) for language ecosystems; MAL records (npm/PyPI
// malicious packages, introduced 0 and never fixed) which are the bulk of osv.dev's npm count;
// GO records with SEMVER ranges. Shares are rounded from osv.dev's per-ecosystem counts.
import type { Package } from '../packages/inventory/src/index.ts';

/** Deterministic PRNG (mulberry32): the same records and inventory on every run. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type R = () => number;
const int = (r: R, n: number) => Math.floor(r() * n);
const semver = (r: R) => `${int(r, 10)}.${int(r, 20)}.${int(r, 30)}`;
const debVersion = (r: R, suffix: string) =>
  `${int(r, 4) ? '' : '1:'}${int(r, 10)}.${int(r, 20)}.${int(r, 10)}-${1 + int(r, 5)}${int(r, 3) ? '' : suffix}`;

export interface ScaleEco {
  /** Ecosystem family; each record affects one package under one or more `releases`. */
  family: string;
  releases: readonly string[];
  share: number;
  /** Distinct package names advisories are spread over. */
  names: number;
  idPrefix: string;
  rangeType: 'ECOSYSTEM' | 'SEMVER';
  version(r: R): string;
  name(i: number): string;
}

const plain = (i: number) => `pkg-${i}`;
export const SCALE_ECOS: readonly ScaleEco[] = [
  {
    family: 'Debian',
    releases: ['Debian:11', 'Debian:12', 'Debian:13'],
    share: 0.17,
    names: 6000,
    idPrefix: 'DEBIAN-CVE',
    rangeType: 'ECOSYSTEM',
    version: (r) => debVersion(r, `+deb12u${1 + int(r, 4)}`),
    name: plain,
  },
  {
    family: 'Ubuntu',
    releases: ['Ubuntu:20.04:LTS', 'Ubuntu:22.04:LTS', 'Ubuntu:24.04:LTS'],
    share: 0.15,
    names: 6000,
    idPrefix: 'UBUNTU-CVE',
    rangeType: 'ECOSYSTEM',
    version: (r) => `${int(r, 10)}.${int(r, 20)}-${1 + int(r, 5)}ubuntu${int(r, 3)}.${int(r, 4)}`,
    name: plain,
  },
  {
    family: 'Alpine',
    releases: ['Alpine:v3.18', 'Alpine:v3.19', 'Alpine:v3.20'],
    share: 0.05,
    names: 2500,
    idPrefix: 'ALPINE-CVE',
    rangeType: 'ECOSYSTEM',
    version: (r) => `${int(r, 10)}.${int(r, 20)}.${int(r, 10)}-r${int(r, 5)}`,
    name: plain,
  },
  { family: 'npm', releases: ['npm'], share: 0.32, names: 150000, idPrefix: 'GHSA', rangeType: 'SEMVER', version: semver, name: plain },
  {
    family: 'PyPI',
    releases: ['PyPI'],
    share: 0.1,
    names: 40000,
    idPrefix: 'PYSEC',
    rangeType: 'ECOSYSTEM',
    version: semver,
    name: (i) => `Py_Package.${i}`,
  },
  {
    family: 'Go',
    releases: ['Go'],
    share: 0.04,
    names: 8000,
    idPrefix: 'GO',
    rangeType: 'SEMVER',
    version: semver,
    name: (i) => `github.com/org${i % 97}/mod${i}`,
  },
  {
    family: 'Maven',
    releases: ['Maven'],
    share: 0.05,
    names: 8000,
    idPrefix: 'GHSA',
    rangeType: 'ECOSYSTEM',
    version: semver,
    name: (i) => `org.example${i % 31}:artifact-${i}`,
  },
  {
    family: 'crates.io',
    releases: ['crates.io'],
    share: 0.03,
    names: 3000,
    idPrefix: 'RUSTSEC',
    rangeType: 'SEMVER',
    version: semver,
    name: plain,
  },
  {
    family: 'RubyGems',
    releases: ['RubyGems'],
    share: 0.02,
    names: 2000,
    idPrefix: 'GHSA',
    rangeType: 'ECOSYSTEM',
    version: semver,
    name: plain,
  },
  {
    family: 'NuGet',
    releases: ['NuGet'],
    share: 0.02,
    names: 2000,
    idPrefix: 'GHSA',
    rangeType: 'ECOSYSTEM',
    version: semver,
    name: plain,
  },
  {
    family: 'Packagist',
    releases: ['Packagist'],
    share: 0.05,
    names: 4000,
    idPrefix: 'GHSA',
    rangeType: 'ECOSYSTEM',
    version: semver,
    name: (i) => `vendor${i % 53}/package-${i}`,
  },
];

function pickEco(r: R): ScaleEco {
  let x = r();
  for (const e of SCALE_ECOS) if ((x -= e.share) <= 0) return e;
  return SCALE_ECOS[SCALE_ECOS.length - 1] as ScaleEco;
}

const SEVERITY = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:N',
  'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N',
];

/** The i-th record's JSON text is a pure function of (seed, i): two passes see identical data. */
export function* scaleRecords(count: number, seed = 42): Generator<Record<string, unknown>> {
  const r = rng(seed);
  for (let i = 0; i < count; i++) {
    const eco = pickEco(r);
    const name = eco.name(int(r, eco.names));
    const year = 2015 + int(r, 11);
    const cve = `CVE-${year}-${10000 + i}`;
    const malicious = (eco.family === 'npm' || eco.family === 'PyPI') && r() < 0.6;
    const os = eco.releases.length > 1;
    const id = malicious
      ? `MAL-${year}-${i}`
      : os
        ? `${eco.idPrefix}-${year}-${10000 + i}`
        : eco.idPrefix === 'GHSA'
          ? `GHSA-${i.toString(36).padStart(4, '0')}-bnch-${eco.family.slice(0, 4).toLowerCase()}`
          : `${eco.idPrefix}-${year}-${i}`;
    // OS records name each release the package ships in; language records a single package.
    const releases = os ? eco.releases.slice(int(r, eco.releases.length)) : eco.releases;
    const fixed = eco.version(r);
    const affected = releases.map((release) => ({
      package: { ecosystem: release, name, ...(os ? {} : { purl: `pkg:generic/${name}` }) },
      ranges: [
        {
          type: eco.rangeType,
          events: malicious || r() < 0.1 ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed }],
        },
      ],
      ...(os ? { ecosystem_specific: { urgency: ['low', 'medium', 'high'][int(r, 3)] } } : {}),
      database_specific: { source: `https://example.org/osv/${id}.json` },
    }));
    yield {
      schema_version: '1.6.0',
      id,
      modified: '2025-05-01T00:00:00Z',
      published: `${year}-04-01T00:00:00Z`,
      ...(os ? { upstream: [cve] } : malicious ? {} : { aliases: [cve] }),
      summary: malicious ? `Malicious code in ${name} (${eco.family})` : `Synthetic advisory ${i} for ${name}`,
      details: 'A synthetic advisory used by the vulndb-scale benchmark. '.repeat(1 + int(r, 4)),
      severity: malicious || int(r, 3) === 0 ? [] : [{ type: 'CVSS_V3', score: SEVERITY[int(r, SEVERITY.length)] }],
      affected,
      references: [
        { type: 'ADVISORY', url: `https://example.org/advisories/${id}` },
        ...(malicious ? [] : [{ type: 'WEB', url: `https://nvd.nist.gov/vuln/detail/${cve}` }]),
      ],
    };
  }
}

const INVENTORY_MIX: readonly [type: string, family: string, count: number][] = [
  ['deb', 'Debian', 700],
  ['npm', 'npm', 500],
  ['pypi', 'PyPI', 300],
  ['maven', 'Maven', 200],
  ['golang', 'Go', 150],
  ['cargo', 'crates.io', 150],
];

/**
 * An installed Debian binary package `<source>-bin` built from source `source` at a Debian
 * version (`[epoch:]upstream-revision`): matched through its source, as dpkg reports it.
 */
export function debianBinaryPackage(source: string, debianVersion: string): Package {
  const m = /^(?:(\d+):)?(.*)-([^-]+)$/.exec(debianVersion);
  return {
    name: `${source}-bin`,
    version: m?.[2] ?? debianVersion,
    ...(m?.[3] ? { release: m[3] } : {}),
    type: 'deb',
    purl: `pkg:deb/debian/${source}-bin`,
    srcName: source,
    srcVersion: m?.[2] ?? debianVersion,
    ...(m?.[1] ? { srcEpoch: Number(m[1]) } : {}),
    ...(m?.[3] ? { srcRelease: m[3] } : {}),
  };
}

/** A 2,000-package Debian 12 image: OS packages plus several language ecosystems. */
export function scaleInventory(): Package[] {
  const r = rng(7);
  const out: Package[] = [];
  for (const [type, family, count] of INVENTORY_MIX) {
    const eco = SCALE_ECOS.find((e) => e.family === family) as ScaleEco;
    for (let i = 0; i < count; i++) {
      const name = eco.name(int(r, eco.names));
      const v = eco.version(r);
      if (type === 'deb') {
        out.push(debianBinaryPackage(name, v));
      } else {
        const version = type === 'golang' ? `v${v}` : v;
        out.push({ name: type === 'pypi' ? name.toLowerCase() : name, version, type, purl: `pkg:${type}/${name}@${version}` });
      }
    }
  }
  return out;
}
