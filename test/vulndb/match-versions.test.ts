// Match decisions against the reference implementations: advisories written against the
// packages of a real Debian rootfs (fixed versions just below, equal to and just above each
// installed source version) must match exactly when `dpkg --compare-versions` says the
// installed version is lower; npm advisories exactly when semver's `lt` says so.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import type { Package } from '../../packages/inventory/src/index.ts';
import { parseDpkgStatus } from '../../packages/inventory/src/index.ts';
import { buildDatabase, openDatabase } from '../../packages/vulndb/src/index.ts';
import { debianRootfsTar } from '../support/debian-rootfs.ts';
import { makeTempDir } from '../support/tempdir.ts';

const have = (cmd: string, arg = '--version') => {
  try {
    execFileSync(cmd, [arg], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const srcVersion = (p: Package) => `${p.srcEpoch ? `${p.srcEpoch}:` : ''}${p.srcVersion}${p.srcRelease ? `-${p.srcRelease}` : ''}`;

/** Versions around `v` in dpkg order: below, equal and above, including epoch and tilde cases. */
function dpkgCandidates(v: string): string[] {
  const noEpoch = v.replace(/^\d+:/, '');
  const epoch = /^(\d+):/.exec(v)?.[1];
  const bumped = v.replace(/(\d+)(?!.*\d)/, (d) => String(Number(d) + 1));
  const lowered = v.replace(/(\d+)(?!.*\d)/, (d) => (Number(d) > 0 ? String(Number(d) - 1) : d));
  return [
    ...new Set([
      v,
      `${v}~1`,
      `${v}+b1`,
      `${v}.1`,
      bumped,
      lowered,
      `${Number(epoch ?? 0) + 1}:${noEpoch}`,
      noEpoch.split('-')[0] ?? noEpoch,
    ]),
  ];
}

/** dpkg's own decisions for many pairs in one process. */
function dpkgLt(pairs: [string, string][]): boolean[] {
  const script = pairs.map(([a, b]) => `if dpkg --compare-versions '${a}' lt '${b}'; then echo 1; else echo 0; fi`).join('\n');
  const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', maxBuffer: 16 << 20 })
    .trim()
    .split('\n');
  assert.equal(out.length, pairs.length);
  return out.map((l) => l === '1');
}

test('Debian: match decisions equal dpkg --compare-versions on a real rootfs', { timeout: 300_000 }, async (t) => {
  if (!have('dpkg') || !have('mmdebstrap') || !have('tar')) return t.skip('dpkg, mmdebstrap or tar missing');
  const tarball = await debianRootfsTar();
  const status = execFileSync('tar', ['-xOf', tarball, './var/lib/dpkg/status'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const debianVersion = execFileSync('tar', ['-xOf', tarball, './etc/debian_version'], { encoding: 'utf8' }).trim();
  const os = { family: 'debian', name: debianVersion };
  const { packages } = parseDpkgStatus(status, { layerDigest: 'sha256:' + '0'.repeat(64), os });
  assert.ok(packages.length > 80, `${packages.length} packages`);
  assert.ok(
    packages.some((p) => p.srcName !== p.name),
    'some binary packages come from a differently named source',
  );
  assert.ok(
    packages.some((p) => p.srcEpoch),
    'some source versions carry an epoch',
  );

  // One advisory per (source package, candidate fixed version), keyed by source name as Debian's are.
  const sources = new Map<string, string>();
  for (const p of packages) sources.set(p.srcName ?? p.name, srcVersion(p));
  const records: object[] = [];
  const pairs: [string, string][] = [];
  const advisory = new Map<string, { src: string; fixed: string }>();
  for (const [src, installed] of sources) {
    dpkgCandidates(installed).forEach((fixed, i) => {
      const id = `TEST-${src}-${i}`;
      advisory.set(id, { src, fixed });
      pairs.push([installed, fixed]);
      records.push({
        id,
        modified: '2024-01-01T00:00:00Z',
        affected: [
          { package: { ecosystem: 'Debian:12', name: src }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] },
        ],
      });
    });
  }
  const lt = dpkgLt(pairs);
  const expectedBySource = new Map<string, Set<string>>();
  let i = 0;
  for (const [id, a] of advisory) {
    if (lt[i++]) {
      const set = expectedBySource.get(a.src) ?? new Set<string>();
      set.add(`${id} ${a.fixed}`);
      expectedBySource.set(a.src, set);
    }
  }
  assert.ok(i > 500 && lt.some((x) => x) && lt.some((x) => !x), 'candidates on both sides');

  const tmp = await makeTempDir('vulndb-dpkg');
  t.after(() => tmp.remove());
  const { file } = await buildDatabase({ records, out: join(tmp.path, 'db.sqlite') });
  const db = openDatabase(file);
  t.after(() => db.close());
  const findings = db.match(packages, os);
  const got = new Map<string, Set<string>>();
  for (const f of findings) {
    const set = got.get(f.packageName) ?? new Set<string>();
    set.add(`${f.id} ${f.fixedVersion}`);
    got.set(f.packageName, set);
  }
  let compared = 0;
  for (const p of packages) {
    const want = [...(expectedBySource.get(p.srcName ?? p.name) ?? [])].sort();
    const have = [...(got.get(p.name) ?? [])].sort();
    assert.deepEqual(have, want, `${p.name} (source ${p.srcName} ${srcVersion(p)})`);
    compared += want.length;
  }
  assert.ok(compared > 100);
  // The same advisories do not apply to another release.
  assert.deepEqual(db.match(packages, { family: 'debian', name: '11.9' }), []);
});

test('npm: match decisions equal semver.lt for the installed packages of this repository', async (t) => {
  const root = fileURLToPath(new URL('../../node_modules/', import.meta.url));
  if (!existsSync(root)) return t.skip('no node_modules');
  const packages: Package[] = [];
  for (const name of readdirSync(root)) {
    const names = name.startsWith('@') ? readdirSync(join(root, name)).map((n) => `${name}/${n}`) : [name];
    for (const n of names) {
      const pj = join(root, n, 'package.json');
      if (!existsSync(pj)) continue;
      const { version } = JSON.parse(readFileSync(pj, 'utf8')) as { version?: string };
      if (version && semver.valid(version)) packages.push({ name: n, version, type: 'npm', purl: `pkg:npm/${n}@${version}` });
    }
  }
  assert.ok(packages.length > 50, `${packages.length} npm packages`);
  const records: object[] = [];
  const expected = new Set<string>();
  for (const p of packages) {
    const v = semver.parse(p.version);
    assert.ok(v);
    const candidates = [
      p.version,
      semver.inc(p.version, 'patch'),
      semver.inc(p.version, 'minor'),
      semver.inc(p.version, 'prerelease', 'alpha'),
      `${v.major}.${v.minor}.${v.patch}-0`,
      `${v.major}.${v.minor}.${Math.max(0, v.patch - 1)}`,
      `${Math.max(0, v.major - 1)}.99.99`,
    ].filter((c): c is string => !!c);
    [...new Set(candidates)].forEach((fixed, i) => {
      const id = `NPM-${p.name}-${i}`;
      records.push({
        id,
        modified: '2024-01-01T00:00:00Z',
        affected: [
          { package: { ecosystem: 'npm', name: p.name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] },
        ],
      });
      if (semver.lt(p.version, fixed)) expected.add(`${p.name} ${id} ${fixed}`);
    });
  }
  const tmp = await makeTempDir('vulndb-npm');
  t.after(() => tmp.remove());
  const { file } = await buildDatabase({ records, out: join(tmp.path, 'db.sqlite') });
  const db = openDatabase(file);
  t.after(() => db.close());
  const got = new Set(db.match(packages).map((f) => `${f.packageName} ${f.id} ${f.fixedVersion}`));
  assert.ok(expected.size > packages.length);
  assert.deepEqual([...got].sort(), [...expected].sort());
});

test('fixedVersion is the smallest fix above the installed version across ranges', async (t) => {
  const tmp = await makeTempDir('vulndb-fix');
  t.after(() => tmp.remove());
  const records = [
    {
      id: 'MULTI-1',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'Django' },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [
                { introduced: '0' },
                { fixed: '3.2.20' },
                { introduced: '4.0' },
                { fixed: '4.1.10' },
                { introduced: '4.2' },
                { fixed: '4.2.3' },
              ],
            },
          ],
        },
      ],
    },
  ];
  const { file } = await buildDatabase({ records, out: join(tmp.path, 'db.sqlite') });
  const db = openDatabase(file);
  t.after(() => db.close());
  const m = (version: string) => db.match([{ name: 'django', version, type: 'pypi', purl: 'x' }]).map((f) => f.fixedVersion);
  assert.deepEqual(m('3.2.1'), ['3.2.20']);
  assert.deepEqual(m('4.1.2'), ['4.1.10']);
  assert.deepEqual(m('4.2rc1'), []); // above 4.1.10, below 4.2: between the ranges
  assert.deepEqual(m('4.2.0'), ['4.2.3']);
  assert.deepEqual(m('3.2.20'), []);
  assert.deepEqual(m('4.2.3'), []);
});
