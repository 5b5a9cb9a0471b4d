// Vulnerability database benchmark: 200,000 synthetic OSV records (Debian, Ubuntu, Alpine, npm,
// PyPI, Go, Maven) streamed as JSON text into the builder; then a 2,000-package inventory
// (deb + npm + pypi) matched against the fresh file. That first match is "cold": a new handle
// (SQLite's page cache empty) and the first match in this process (the matcher's and version
// comparators' code not yet compiled); the file itself is in the OS page cache, having just been
// written. vulndb-scale's baseline_match_cold_ms is not this: it runs after that benchmark's
// 600,000-record matches, with compiled code, and on other records and another inventory (about
// a third of the candidate rows and findings). match_reopen_ms here is a second fresh handle after
// the first matches: SQLite cold, code compiled. Baseline in the same run: the naive approach,
// every record parsed and held in memory, scanned linearly per package.
// Last line: `baseline_parse_all_ms=… baseline_linear_scan_2000_pkgs_ms=… vulndb_build_s=… vulndb_mb=…
// match_2000_pkgs_ms=… match_reopen_ms=…`.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OsInfo, Package } from '../packages/inventory/src/index.ts';
import { isAffected } from '../packages/versions/src/index.ts';
import { buildDatabase, normalisePackageName, openDatabase } from '../packages/vulndb/src/index.ts';
import { debianBinaryPackage } from './vulndb-scale-records.ts';

const RECORDS = Number(process.env.VULNDB_BENCH_RECORDS ?? 200_000);
const INVENTORY = 2_000;

// Deterministic PRNG (mulberry32): the same records and inventory on every run.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Eco {
  ecosystem: string;
  share: number;
  names: number;
  version(r: () => number): string;
}

const int = (r: () => number, n: number) => Math.floor(r() * n);
const ECOS: Eco[] = [
  {
    ecosystem: 'Debian:12',
    share: 0.2,
    names: 4000,
    version: (r) =>
      `${int(r, 3) ? '' : '1:'}${int(r, 10)}.${int(r, 20)}.${int(r, 10)}-${1 + int(r, 5)}${int(r, 3) ? '' : `+deb12u${1 + int(r, 4)}`}`,
  },
  {
    ecosystem: 'Debian:11',
    share: 0.1,
    names: 4000,
    version: (r) => `${int(r, 10)}.${int(r, 20)}-${1 + int(r, 5)}+deb11u${1 + int(r, 4)}`,
  },
  {
    ecosystem: 'Ubuntu:22.04:LTS',
    share: 0.1,
    names: 4000,
    version: (r) => `${int(r, 10)}.${int(r, 20)}-${1 + int(r, 5)}ubuntu${int(r, 3)}.${int(r, 4)}`,
  },
  { ecosystem: 'Alpine:v3.20', share: 0.05, names: 2000, version: (r) => `${int(r, 10)}.${int(r, 20)}.${int(r, 10)}-r${int(r, 5)}` },
  { ecosystem: 'npm', share: 0.25, names: 20000, version: (r) => `${int(r, 10)}.${int(r, 20)}.${int(r, 30)}` },
  { ecosystem: 'PyPI', share: 0.15, names: 12000, version: (r) => `${int(r, 10)}.${int(r, 20)}.${int(r, 30)}` },
  { ecosystem: 'Go', share: 0.1, names: 10000, version: (r) => `v${int(r, 3)}.${int(r, 20)}.${int(r, 30)}` },
  { ecosystem: 'Maven', share: 0.05, names: 6000, version: (r) => `${int(r, 10)}.${int(r, 20)}.${int(r, 30)}` },
];

const pkgName = (eco: string, i: number) =>
  eco.startsWith('Go')
    ? `github.com/org${i % 97}/mod${i}`
    : eco.startsWith('Maven')
      ? `org.example${i % 31}:artifact-${i}`
      : eco.startsWith('PyPI')
        ? `Py_Package.${i}`
        : `pkg-${i}`;

function pickEco(r: () => number): Eco {
  let x = r();
  for (const e of ECOS) if ((x -= e.share) <= 0) return e;
  return ECOS[ECOS.length - 1] as Eco;
}

function* records(): Generator<object> {
  const r = rng(42);
  for (let i = 0; i < RECORDS; i++) {
    const eco = pickEco(r);
    const name = pkgName(eco.ecosystem, int(r, eco.names));
    const fixed = eco.version(r);
    const cve = `CVE-${2015 + int(r, 10)}-${10000 + i}`;
    yield {
      schema_version: '1.6.0',
      id: `BENCH-${i}`,
      modified: '2024-05-01T00:00:00Z',
      published: '2024-04-01T00:00:00Z',
      aliases: [cve],
      summary: `Synthetic advisory ${i} for ${name}`,
      details: 'A synthetic advisory used by the vulndb benchmark. '.repeat(3),
      severity: int(r, 2) ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:N' }] : [],
      affected: [
        {
          package: { ecosystem: eco.ecosystem, name },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
          ...(eco.ecosystem.startsWith('Debian') ? { ecosystem_specific: { urgency: 'medium' } } : {}),
        },
      ],
      references: [
        { type: 'ADVISORY', url: `https://example.org/advisories/BENCH-${i}` },
        { type: 'WEB', url: `https://nvd.nist.gov/vuln/detail/${cve}` },
      ],
    };
  }
}

async function* recordText(): AsyncGenerator<string> {
  for (const r of records()) yield JSON.stringify(r);
}

function inventory(): Package[] {
  const r = rng(7);
  const out: Package[] = [];
  const deb = ECOS[0] as Eco;
  for (let i = 0; i < INVENTORY; i++) {
    const kind = i < 800 ? 'deb' : i < 1500 ? 'npm' : 'pypi';
    if (kind === 'deb') {
      const name = pkgName('Debian:12', int(r, deb.names));
      out.push(debianBinaryPackage(name, deb.version(r)));
    } else {
      const eco = ECOS.find((e) => e.ecosystem === (kind === 'npm' ? 'npm' : 'PyPI')) as Eco;
      const name = pkgName(eco.ecosystem, int(r, eco.names));
      out.push({ name: kind === 'pypi' ? name.toLowerCase() : name, version: eco.version(r), type: kind, purl: `pkg:${kind}/${name}` });
    }
  }
  return out;
}

/** Baseline: every record in memory, scanned linearly for each package. */
function linearScan(
  all: readonly { id: string; affected: { package: { ecosystem: string; name: string }; ranges: never[] }[] }[],
  pkgs: readonly Package[],
): number {
  let hits = 0;
  for (const p of pkgs) {
    const [eco, name, version, scheme] =
      p.type === 'deb'
        ? [
            'Debian:12',
            p.srcName ?? p.name,
            `${p.srcEpoch ? `${p.srcEpoch}:` : ''}${p.srcVersion}${p.srcRelease ? `-${p.srcRelease}` : ''}`,
            'Debian',
          ]
        : p.type === 'npm'
          ? ['npm', p.name, p.version, 'npm']
          : ['PyPI', normalisePackageName('PyPI', p.name), p.version, 'PyPI'];
    for (const rec of all) {
      for (const a of rec.affected) {
        if (a.package.ecosystem !== eco) continue;
        if ((scheme === 'PyPI' ? normalisePackageName('PyPI', a.package.name) : a.package.name) !== name) continue;
        if (isAffected(version, { ranges: a.ranges }, scheme)) hits++;
      }
    }
  }
  return hits;
}

const dir = await mkdtemp(join(tmpdir(), 'assay-vulndb-bench-'));
try {
  const out = join(dir, 'vulndb.sqlite');
  const t0 = performance.now();
  const built = await buildDatabase({ records: recordText(), out });
  const buildS = (performance.now() - t0) / 1000;
  const mb = (await stat(out)).size / (1024 * 1024);
  console.log(
    `build: ${built.metadata.records} records (${built.metadata.skipped} skipped) in ${buildS.toFixed(2)} s, ${mb.toFixed(1)} MB`,
  );

  const pkgs = inventory();
  const os: OsInfo = { family: 'debian', name: '12.5' };
  const db = openDatabase(out);
  const t1 = performance.now();
  const findings = db.match(pkgs, os);
  const matchMs = performance.now() - t1;
  const t2 = performance.now();
  db.match(pkgs, os);
  const warmMs = performance.now() - t2;
  db.close();
  const reopened = openDatabase(out);
  const t5 = performance.now();
  reopened.match(pkgs, os);
  const reopenMs = performance.now() - t5;
  reopened.close();
  console.log(
    `match: ${pkgs.length} packages → ${findings.length} findings in ${matchMs.toFixed(1)} ms cold, ${warmMs.toFixed(1)} ms warm, ${reopenMs.toFixed(1)} ms on a fresh handle after`,
  );

  const t3 = performance.now();
  const all = [...records()].map((r) => JSON.parse(JSON.stringify(r)) as Parameters<typeof linearScan>[0][number]);
  const parseMs = performance.now() - t3;
  // The scan is O(packages × records): measured on every 10th package, scaled to 2,000.
  const sample = pkgs.filter((_, i) => i % 10 === 0);
  const t4 = performance.now();
  const baseHits = linearScan(all, sample);
  const scanMs = ((performance.now() - t4) * pkgs.length) / sample.length;
  const check = openDatabase(out);
  const dbHits = check.match(sample, os).length;
  check.close();
  console.log(
    `baseline: JSON.parse of all records ${parseMs.toFixed(0)} ms; linear scan ${scanMs.toFixed(0)} ms for 2,000 packages (${sample.length} measured, ${baseHits} findings; database: ${dbHits})`,
  );
  if (baseHits !== dbHits) console.log(`WARNING: baseline found ${baseHits}, database ${dbHits}`);
  console.log(
    `baseline_parse_all_ms=${parseMs.toFixed(0)} baseline_linear_scan_2000_pkgs_ms=${scanMs.toFixed(0)} vulndb_build_s=${buildS.toFixed(2)} vulndb_mb=${mb.toFixed(1)} match_2000_pkgs_ms=${matchMs.toFixed(1)} match_reopen_ms=${reopenMs.toFixed(1)}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
