// From the published feeds to a verdict through the library: a database built from FIRST's CSV
// and CISA's JSON matches a report (findings with EPSS and KEV, the OS with its end of life), the
// report passes the store's schema, the intel controls judge it, and re-matching treats a newly
// listed KEV entry as a change while EPSS's daily noise is not.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateScanReport, type ScanReport } from '../../packages/domain/src/index.ts';
import { evaluateImage } from '../../packages/policy-engine/src/index.ts';
import { matchReport, withFindings, withOsEol } from '../../packages/scan-engine/src/index.ts';
import { buildDatabase, openDatabase, rematch } from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { EPSS_CSV_GZ, KEV_JSON, PACKAGES, RECORDS } from './intel-fixtures.ts';

const report = (os: { family: string; name: string }): ScanReport =>
  ({
    reportId: 'r-intel',
    image: { registry: 'registry.example.com', repository: 'team/app', digest: `sha256:${'a'.repeat(64)}` },
    analyzerVersions: { dpkg: 1 },
    scannedAt: new Date('2026-12-01T00:00:00Z'),
    os,
    layers: [],
    packages: PACKAGES,
    vulnerabilities: [],
    summary: {
      packages: 4,
      vulnerabilities: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
      sensitiveFindings: 0,
      malwareFindings: 0,
      licenceFindings: 0,
    },
  }) as unknown as ScanReport;

test('feeds → database → report → verdict', async (t) => {
  const tmp = await makeTempDir('intel-report');
  t.after(() => tmp.remove());
  writeFileSync(join(tmp.path, 'epss.csv.gz'), EPSS_CSV_GZ);
  writeFileSync(join(tmp.path, 'kev.json'), KEV_JSON);
  const { file } = await buildDatabase({
    records: RECORDS,
    epss: join(tmp.path, 'epss.csv.gz'),
    kev: join(tmp.path, 'kev.json'),
    out: join(tmp.path, 'db.sqlite'),
  });
  const db = openDatabase(file);
  t.after(() => db.close());

  const matched = validateScanReport(matchReport(report({ family: 'debian', name: '10.13' }), db));
  assert.equal(matched.os?.eol, '2024-06-30');
  assert.equal(matched.os?.eolReached, true);
  const log4j = matched.vulnerabilities.find((v) => v.id === 'GHSA-jfh8-c2jp-5v3q')!;
  assert.deepEqual(log4j.kev, { cve: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: '2021-12-24', ransomware: true });
  assert.equal(log4j.epss?.percentile, 0.99957);

  const e = evaluateImage(
    matched,
    [
      {
        id: 'intel',
        version: 1,
        policy: {
          name: 'intel',
          enabled: true,
          action: 'block',
          controls: { kev: { block: true }, epss: { minScore: 0.5 }, osEndOfLife: { block: true } },
        },
      },
    ],
    [],
    new Date('2026-12-06T00:00:00Z'),
  );
  assert.equal(e.compliant, false);
  assert.deepEqual(
    e.reasons.map((r) => [r.control, r.items]),
    [
      ['kev', ['GHSA-aaaa-bbbb-cccc', 'GHSA-jfh8-c2jp-5v3q']],
      ['epss', ['GHSA-jfh8-c2jp-5v3q']],
      ['osEndOfLife', ['debian 10.13']],
    ],
    'KEV: log4j, and the npm advisory through its second CVE (the Debian record is for Debian 11, not matched on 10); EPSS ≥ 0.5: log4j only',
  );

  // eolReached is as of the matching time; a release still supported is not flagged.
  const fresh = matchReport(report({ family: 'ubuntu', name: '26.04' }), db);
  assert.deepEqual(fresh.os, { family: 'ubuntu', name: '26.04', eol: '2031-04-30', eolReached: false });
  assert.equal(
    withOsEol(fresh, { family: 'ubuntu', release: '26.04', eol: '2031-04-30' }, new Date('2031-04-30T00:00:00Z'))?.eolReached,
    true,
  );
  // A database without the release's date drops a stale one rather than keeping it.
  assert.deepEqual(withFindings(fresh, [], db.version, { osEol: () => undefined }).os, { family: 'ubuntu', name: '26.04' });
});

test('re-matching: a newly listed KEV entry is a change, an EPSS move within the second decimal is not', () => {
  const f = { id: 'GHSA-1', packageName: 'x', packageVersion: '1', fixedVersion: '2', severity: 'high' };
  assert.equal(rematch([f], [{ ...f, kev: { dateAdded: '2026-12-01' } }]).changed, true);
  assert.deepEqual(rematch([f], [{ ...f, kev: { dateAdded: '2026-12-01' } }]).updated, ['GHSA-1 x 1 2']);
  assert.equal(rematch([{ ...f, epss: { score: 0.101 } }], [{ ...f, epss: { score: 0.104 } }]).changed, false);
  assert.equal(rematch([{ ...f, epss: { score: 0.1 } }], [{ ...f, epss: { score: 0.5 } }]).changed, true);
});
