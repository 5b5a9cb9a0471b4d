// The fix-publication time a match carries (the record's OSV `published`), and re-matching that
// notices a rescored advisory (severity, CVSS) or a changed fix date, not only new/removed ids.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDatabase, openDatabase, rematch, rematchReports, type Finding } from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';

const LOW = 'CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N'; // 2.0 → low
const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8 → critical

/** A GHSA-shaped npm advisory: lodash < 4.17.21, published with its fix. */
const lodash = (vector: string, extra: Record<string, unknown> = {}) => ({
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-01-01T00:00:00Z',
  published: '2021-02-15T11:54:41.123456Z',
  aliases: ['CVE-2021-23337'],
  severity: [{ type: 'CVSS_V3', score: vector }],
  affected: [
    { package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] },
  ],
  ...extra,
});
/** A Debian LTS advisory on the source package openssl, published with its fix. */
const dla = {
  id: 'DLA-3942-1',
  modified: '2024-11-01T00:00:00Z',
  published: '2024-10-30T12:00:00+01:00',
  upstream: ['CVE-2024-5535'],
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'openssl' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }],
    },
  ],
};
/** No `published` at all (OSV makes it optional): no fix date. */
const undated = {
  id: 'GHSA-undated',
  modified: '2024-01-01T00:00:00Z',
  affected: [
    { package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.6' }] }] },
  ],
};
/** Published, but no fix: no fix date either. */
const unfixed = {
  id: 'GHSA-unfixed',
  modified: '2024-01-01T00:00:00Z',
  published: '2024-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'npm', name: 'minimist' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
};

const lodashPkg = { name: 'lodash', version: '4.17.20', type: 'npm', purl: 'pkg:npm/lodash@4.17.20' };
const minimistPkg = { name: 'minimist', version: '1.2.5', type: 'npm', purl: 'pkg:npm/minimist@1.2.5' };
const libssl = {
  name: 'libssl3',
  version: '3.0.11',
  release: '1~deb12u2',
  type: 'deb',
  purl: 'x',
  srcName: 'openssl',
  srcVersion: '3.0.11',
  srcRelease: '1~deb12u2',
};
const debian = { family: 'debian', name: '12' };

test('a match carries the record published time as fixPublishedAt, only for findings with a fix', async (t) => {
  const tmp = await makeTempDir('vulndb-fixdate');
  t.after(() => tmp.remove());
  const { file } = await buildDatabase({ records: [lodash(LOW), dla, undated, unfixed], out: join(tmp.path, 'db.sqlite'), version: 'v1' });
  const db = openDatabase(file);
  t.after(() => db.close());

  const byId = new Map(db.match([lodashPkg, minimistPkg, libssl], debian).map((f) => [f.id, f]));
  assert.deepEqual([...byId.keys()].sort(), ['DLA-3942-1', 'GHSA-35jh-r3h4-6jhm', 'GHSA-undated', 'GHSA-unfixed']);
  // Normalised to ISO-8601 UTC, so equal instants compare equal.
  assert.equal(byId.get('GHSA-35jh-r3h4-6jhm')?.fixPublishedAt, '2021-02-15T11:54:41.123Z');
  assert.equal(byId.get('DLA-3942-1')?.fixedVersion, '3.0.15-1~deb12u1');
  assert.equal(byId.get('DLA-3942-1')?.fixPublishedAt, '2024-10-30T11:00:00.000Z');
  assert.equal(byId.get('GHSA-undated')?.fixedVersion, '1.2.6');
  assert.equal('fixPublishedAt' in byId.get('GHSA-undated')!, false, 'no published: no date (no grace)');
  assert.equal(byId.get('GHSA-unfixed')?.fixedVersion, undefined);
  assert.equal('fixPublishedAt' in byId.get('GHSA-unfixed')!, false, 'no fix: no fix date');
});

test('rematch: a changed severity, CVSS score or vector, or fix date changes the report; order does not', () => {
  const base = {
    id: 'A',
    packageName: 'lodash',
    packageVersion: '4.17.20',
    packageType: 'npm',
    fixedVersion: '4.17.21',
    severity: 'low',
    cvss: 2,
    cvssVector: LOW,
    fixPublishedAt: '2021-02-15T11:54:41.123Z',
  };
  const other = { ...base, id: 'B' };
  assert.deepEqual(rematch([base, other], [other, base]), { changed: false, added: [], removed: [], updated: [] });
  const rescored = rematch([base, other], [{ ...base, severity: 'critical', cvss: 9.8, cvssVector: CRITICAL }, other]);
  assert.deepEqual(rescored, { changed: true, added: [], removed: [], updated: ['A npm lodash 4.17.20 4.17.21'] });
  assert.equal(rematch([base], [{ ...base, cvss: 2.1 }]).changed, true, 'score alone');
  assert.equal(rematch([base], [{ ...base, cvssVector: `${LOW}/E:P` }]).changed, true, 'vector alone');
  assert.equal(rematch([base], [{ ...base, fixPublishedAt: '2021-03-01T00:00:00.000Z' }]).changed, true, 'fix date');
  const { fixPublishedAt: _, ...undatedBase } = base;
  assert.equal(rematch([undatedBase], [base]).changed, true, 'a fix date newly known');
  assert.equal(rematch([base], [{ ...base, title: 'reworded' } as typeof base]).changed, false, 'wording alone does not');
  // The same identity twice (two install paths) compares as a multiset of details.
  assert.equal(rematch([base, { ...base, severity: 'high' }], [{ ...base, severity: 'high' }, base]).changed, false);
  assert.equal(rematch([base, base], [base, { ...base, severity: 'high' }]).changed, true);
});

test('rescoring a CVE between two real database builds re-matches the report with the new severity; an unchanged database does not', async (t) => {
  const tmp = await makeTempDir('vulndb-rescore');
  t.after(() => tmp.remove());
  const v1 = await buildDatabase({ records: [lodash(LOW)], out: join(tmp.path, 'v1.sqlite'), version: 'v1' });
  // The same advisory, rescored upstream (a later `modified`): same id, package and fix.
  const v2 = await buildDatabase({
    records: [lodash(CRITICAL, { modified: '2024-06-01T00:00:00Z' })],
    out: join(tmp.path, 'v2.sqlite'),
    version: 'v2',
  });
  // A rebuild of v1's records under a new version: nothing to re-evaluate.
  const v3 = await buildDatabase({ records: [lodash(LOW)], out: join(tmp.path, 'v3.sqlite'), version: 'v3' });
  const [db1, db2, db3] = [openDatabase(v1.file), openDatabase(v2.file), openDatabase(v3.file)];
  t.after(() => [db1, db2, db3].forEach((d) => d.close()));

  const stored: Finding[] = db1.match([lodashPkg]);
  assert.deepEqual(
    stored.map((f) => [f.id, f.severity, f.cvss]),
    [['GHSA-35jh-r3h4-6jhm', 'low', 2]],
  );
  // As the store keeps it: JSON.
  const report = {
    reportId: 'r1',
    packages: [lodashPkg],
    vulnerabilities: JSON.parse(JSON.stringify(stored)) as Finding[],
    vulnDbVersion: 'v1',
  };

  const changed: Finding[][] = [];
  const r2 = await rematchReports({
    listReports: [report],
    db: db2,
    onChanged: (_r, findings, diff) => {
      assert.deepEqual(diff, { changed: true, added: [], removed: [], updated: ['GHSA-35jh-r3h4-6jhm npm lodash 4.17.20 4.17.21'] });
      changed.push(findings);
    },
  });
  assert.deepEqual(r2, { reports: 1, changed: 1, skipped: 0 });
  assert.deepEqual(
    changed[0]?.map((f) => [f.id, f.severity, f.cvss, f.cvssVector]),
    [['GHSA-35jh-r3h4-6jhm', 'critical', 9.8, CRITICAL]],
  );

  const r3 = await rematchReports({
    listReports: [report],
    db: db3,
    onChanged: () => assert.fail('unchanged database: nothing to rewrite'),
  });
  assert.deepEqual(r3, { reports: 1, changed: 0, skipped: 0 });
  assert.equal(rematch(report.vulnerabilities, db3.match([lodashPkg])).changed, false);
});
