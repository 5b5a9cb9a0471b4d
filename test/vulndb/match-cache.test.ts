// A match reads each package's affected rows in one batch, then the matching advisories' rows,
// and keeps both. What is read and when must never change the findings: a fresh handle, a warm
// one and one whose caches are too small to hold a single match all answer alike, package by
// package entry, and withdrawn or replaced advisories never come back from a cache.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Package } from '../../packages/inventory/src/index.ts';
import { buildDatabase, type Finding, openDatabase } from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';

const range = (fixed?: string) => [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])] }];

function record(id: string, affected: object[], extra: object = {}) {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2025-01-01T00:00:00Z',
    published: '2024-03-31T10:00:00Z',
    aliases: [`CVE-2024-${id.replace(/\D/g, '').padStart(4, '0')}`],
    summary: `advisory ${id}`,
    affected,
    references: [{ type: 'ADVISORY', url: `https://example.org/${id}` }],
    ...extra,
  };
}

const deb = (name: string, fixed?: string) => ({ package: { ecosystem: 'Debian:12', name }, ranges: range(fixed) });
const npm = (name: string, fixed?: string) => ({ package: { ecosystem: 'npm', name }, ranges: range(fixed) });

const RECORDS = [
  record('DSA-1', [deb('openssl', '3.0.11-1~deb12u2')]),
  record('DSA-2', [deb('openssl', '3.0.11-1~deb12u3'), deb('zlib', '1:1.2.13.dfsg-2')]),
  // One record naming the same package twice: one finding, the first entry's (as matching has always kept).
  record('DSA-3', [deb('openssl', '3.0.14-1~deb12u1'), deb('openssl', '3.0.12-1')]),
  record('DSA-4', [deb('openssl', '3.0.0-1')]), // fixed below the installed version: no finding
  record('DSA-5', [deb('openssl', '3.0.20-1')], { withdrawn: '2025-01-02T00:00:00Z' }),
  record('GHSA-aaaa-bbbb-cccc', [npm('lodash', '4.17.21')]),
  record('MAL-2024-1', [npm('evil')]),
];

const PKGS: Package[] = [
  {
    name: 'libssl3',
    version: '3.0.11',
    release: '1~deb12u1',
    type: 'deb',
    purl: 'pkg:deb/debian/libssl3',
    srcName: 'openssl',
    srcVersion: '3.0.11',
    srcRelease: '1~deb12u1',
  },
  {
    name: 'zlib1g',
    version: '1.2.13.dfsg',
    release: '1',
    epoch: 1,
    type: 'deb',
    purl: 'pkg:deb/debian/zlib1g',
    srcName: 'zlib',
    srcVersion: '1.2.13.dfsg',
    srcRelease: '1',
    srcEpoch: 1,
  },
  { name: 'lodash', version: '4.17.20', type: 'npm', purl: 'pkg:npm/lodash@4.17.20' },
  { name: 'evil', version: '1.0.0', type: 'npm', purl: 'pkg:npm/evil@1.0.0' },
  { name: 'not-in-any-advisory', version: '1.0.0', type: 'npm', purl: 'pkg:npm/not-in-any-advisory@1.0.0' },
];
const OS = { family: 'debian', name: '12.5' };

const brief = (fs: readonly Finding[]) => fs.map((f) => `${f.packageName} ${f.id} ${f.fixedVersion ?? '-'}`);

test('findings do not depend on what the handle has cached, nor on how small its caches are', async (t) => {
  const tmp = await makeTempDir('vulndb-match-cache');
  t.after(() => tmp.remove());
  const out = join(tmp.path, 'vulndb.sqlite');
  await buildDatabase({ records: RECORDS, out });

  const fresh = openDatabase(out);
  t.after(() => fresh.close());
  const first = fresh.match(PKGS, OS);
  assert.deepEqual(brief(first), [
    'libssl3 DSA-1 3.0.11-1~deb12u2',
    'libssl3 DSA-2 3.0.11-1~deb12u3',
    'zlib1g DSA-2 1:1.2.13.dfsg-2',
    'libssl3 DSA-3 3.0.14-1~deb12u1',
    'lodash GHSA-aaaa-bbbb-cccc 4.17.21',
    'evil MAL-2024-1 -',
  ]);
  const dsa2 = first.find((f) => f.id === 'DSA-2');
  assert.deepEqual(dsa2?.aliases, ['CVE-2024-0002']);
  assert.deepEqual(dsa2?.references, ['https://example.org/DSA-2', 'https://nvd.nist.gov/vuln/detail/CVE-2024-0002']);
  assert.equal(dsa2?.fixPublishedAt, '2024-03-31T10:00:00.000Z');

  // Warm: everything from the caches.
  assert.deepEqual(fresh.match(PKGS, OS), first);
  // Part of the inventory first, then all of it: some pairs cached (with and without rows), some not.
  const part = fresh.match([PKGS[2] as Package, PKGS[4] as Package], OS);
  assert.deepEqual(brief(part), ['lodash GHSA-aaaa-bbbb-cccc 4.17.21']);
  const tiny = openDatabase(out, { cacheSize: 1 });
  t.after(() => tiny.close());
  tiny.match([PKGS[3] as Package], OS);
  // Caches of one entry: the batch read evicts most of what it read before it is used.
  assert.deepEqual(tiny.match(PKGS, OS), first);
  assert.deepEqual(tiny.match(PKGS, OS), first);
});

test('a package listed twice gets its findings twice; one advisory reached twice for one entry counts once', async (t) => {
  const tmp = await makeTempDir('vulndb-match-twice');
  t.after(() => tmp.remove());
  const out = join(tmp.path, 'vulndb.sqlite');
  await buildDatabase({ records: RECORDS, out });
  const db = openDatabase(out);
  t.after(() => db.close());
  const lodash = PKGS[2] as Package;
  assert.deepEqual(brief(db.match([lodash, lodash], OS)), ['lodash GHSA-aaaa-bbbb-cccc 4.17.21', 'lodash GHSA-aaaa-bbbb-cccc 4.17.21']);
  // rpm: the binary and its source package looked up separately, the same advisory through both.
  const rpmDb = join(tmp.path, 'rpm.sqlite');
  await buildDatabase({
    records: [
      record('RHSA-1', [
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'openssl-libs' }, ranges: range('1:3.0.7-25.el9') },
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'openssl' }, ranges: range('1:3.0.7-27.el9') },
      ]),
    ],
    out: rpmDb,
  });
  const rpm = openDatabase(rpmDb);
  t.after(() => rpm.close());
  const pkg: Package = {
    name: 'openssl-libs',
    version: '3.0.7',
    release: '24.el9',
    epoch: 1,
    type: 'rpm',
    purl: 'pkg:rpm/redhat/openssl-libs',
    srcName: 'openssl',
    srcVersion: '3.0.7',
    srcRelease: '24.el9',
    srcEpoch: 1,
  };
  const found = rpm.match([pkg, pkg], { family: 'rhel', name: '9.4' });
  assert.deepEqual(brief(found), ['openssl-libs RHSA-1 1:3.0.7-25.el9', 'openssl-libs RHSA-1 1:3.0.7-25.el9']);
});

test('an inventory read in several batches: every package gets its own advisories', async (t) => {
  const tmp = await makeTempDir('vulndb-match-batches');
  t.after(() => tmp.remove());
  const out = join(tmp.path, 'vulndb.sqlite');
  // 700 packages (batches of a few hundred lookups and advisories), every third without advisories.
  const names = Array.from({ length: 700 }, (_, i) => `pkg-${i}`);
  const records = names.filter((_, i) => i % 3 !== 0).map((n) => record(`GHSA-${n}`, [npm(n, '2.0.0')]));
  await buildDatabase({ records, out });
  // Even packages are below the fix, odd ones above it.
  const pkgs: Package[] = names.map((n, i) => ({ name: n, version: i % 2 ? '3.0.0' : '1.0.0', type: 'npm', purl: `pkg:npm/${n}` }));
  const want = names.filter((_, i) => i % 3 !== 0 && i % 2 === 0).map((n) => `${n} GHSA-${n} 2.0.0`);
  const db = openDatabase(out);
  t.after(() => db.close());
  const got = brief(db.match(pkgs, OS));
  assert.equal(got.length, want.length);
  assert.deepEqual(new Set(got), new Set(want));
  assert.deepEqual(brief(db.match([...pkgs].reverse(), OS)).sort(), [...want].sort());
});
