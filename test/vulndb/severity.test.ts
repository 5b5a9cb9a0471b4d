// Severity: CVSS base scores (v3.1, v3.0, v4.0, v2) with FIRST's ratings, then the textual
// ratings of GHSA, Debian and Ubuntu, per record and per affected entry.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDatabase, cvssBaseScore, openDatabase, ratingOf, severityFromOsv } from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';

test('CVSS base scores of known vectors', () => {
  // NVD / FIRST examples.
  assert.equal(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
  assert.equal(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H'), 7.2);
  assert.equal(cvssBaseScore('CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
  assert.equal(cvssBaseScore('CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N'), 0);
  // CVSS v4.0 (FIRST calculator values, as other implementations' tests state them).
  assert.equal(cvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), 9.3);
  assert.equal(cvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H'), 10);
  assert.equal(cvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N'), 6.9);
  assert.equal(cvssBaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P'), 7.5);
  // Incomplete or garbage vectors give no score (the calculator would say 0.0).
  assert.equal(cvssBaseScore('CVSS:4.0/AV:N/AC:L'), undefined);
  assert.equal(cvssBaseScore('CVSS:3.1/AV:N'), undefined);
  assert.equal(cvssBaseScore('garbage'), undefined);
});

test('ratings: FIRST bands, none → negligible', () => {
  assert.deepEqual([9.8, 9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(ratingOf), [
    'critical',
    'critical',
    'high',
    'high',
    'medium',
    'medium',
    'low',
    'low',
    'negligible',
  ]);
  assert.deepEqual(severityFromOsv([{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }]), {
    severity: 'critical',
    cvss: 9.3,
    cvssVector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
  });
  // v3 preferred when both are given.
  assert.equal(
    severityFromOsv([
      { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
    ])?.cvss,
    7.2,
  );
  assert.deepEqual(severityFromOsv([{ type: 'Ubuntu', score: 'medium' }]), { severity: 'medium' });
});

test('findings carry severity from CVSS, GHSA database_specific, Debian urgency, or unknown', async (t) => {
  const tmp = await makeTempDir('vulndb-severity');
  t.after(() => tmp.remove());
  const aff = (name: string, extra: object = {}) => ({
    package: { ecosystem: 'Debian:12', name },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
    ...extra,
  });
  const records = [
    {
      id: 'S-CVSS3',
      modified: 'x',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [aff('a')],
    },
    {
      id: 'S-CVSS4',
      modified: 'x',
      severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N' }],
      affected: [aff('b')],
    },
    { id: 'S-GHSA', modified: 'x', database_specific: { severity: 'MODERATE' }, affected: [aff('c')] },
    { id: 'S-URGENCY', modified: 'x', affected: [aff('d', { ecosystem_specific: { urgency: 'unimportant' } })] },
    { id: 'S-NONE', modified: 'x', affected: [aff('e')] },
    {
      id: 'S-AFFECTED',
      modified: 'x',
      database_specific: { severity: 'LOW' },
      affected: [aff('f', { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }] })],
    },
  ];
  const { file } = await buildDatabase({ records, out: join(tmp.path, 'db.sqlite') });
  const db = openDatabase(file);
  t.after(() => db.close());
  const pk = (name: string) => ({
    name,
    version: '1.0',
    release: '1',
    type: 'deb',
    purl: 'x',
    srcName: name,
    srcVersion: '1.0',
    srcRelease: '1',
  });
  const got = db
    .match(['a', 'b', 'c', 'd', 'e', 'f'].map(pk), { family: 'debian', name: '12.5' })
    .map((f) => [f.id, f.severity, f.cvss ?? null]);
  assert.deepEqual(got.sort(), [
    ['S-AFFECTED', 'high', 7.2],
    ['S-CVSS3', 'critical', 9.8],
    ['S-CVSS4', 'medium', 6.9],
    ['S-GHSA', 'medium', null],
    ['S-NONE', 'unknown', null],
    ['S-URGENCY', 'negligible', null],
  ]);
});
