// The vulnerabilities control's grace period on a report built the way the scanner builds one:
// OSV records with `published` → database → match → withFindings (the report's vulnerabilities)
// → stored → evaluated. No hand-written finding.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Package } from '@assay/inventory';
import { evaluateImage } from '@assay/policy-engine';
import { osOfReport, toVulnerability, withFindings } from '@assay/scan-engine';
import { ScanReportSchema, type ScanReport } from '@assay/domain';
import { openSqliteStore } from '@assay/store';
import { buildDatabase, openDatabase } from '@assay/vulndb';
import { makeTempDir } from '../support/tempdir.ts';
import { policy, ref, report } from './fixtures.ts';

const DAY_MS = 86_400_000;
const PUBLISHED = '2026-01-20T00:00:00Z';

/** A Debian security advisory published with its fix: openssl < 3.0.15-1~deb12u1, critical. */
const dsa = {
  id: 'DSA-5999-1',
  modified: '2026-01-21T00:00:00Z',
  published: PUBLISHED,
  upstream: ['CVE-2026-0001'],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'openssl' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }],
    },
  ],
};
/** The same kind of advisory without `published`: its finding has no fix date, so no grace. */
const undated = {
  ...dsa,
  id: 'DSA-6000-1',
  published: undefined,
  affected: [{ ...dsa.affected[0]!, package: { ecosystem: 'Debian:12', name: 'zlib' } }],
};

const packages = [
  {
    name: 'libssl3',
    version: '3.0.11',
    release: '1~deb12u2',
    type: 'deb',
    purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2',
    srcName: 'openssl',
    srcVersion: '3.0.11',
    srcRelease: '1~deb12u2',
  },
  {
    name: 'zlib1g',
    version: '1.2.13',
    release: '1',
    type: 'deb',
    purl: 'pkg:deb/debian/zlib1g@1.2.13-1',
    srcName: 'zlib',
    srcVersion: '1.2.13',
    srcRelease: '1',
  },
];

async function scannedReport(records: unknown[], t: { after(fn: () => unknown): void }): Promise<ScanReport> {
  const tmp = await makeTempDir('grace-period');
  t.after(() => tmp.remove());
  const { file } = await buildDatabase({ records, out: join(tmp.path, 'db.sqlite'), version: '20260125T000000Z' });
  const db = openDatabase(file);
  t.after(() => db.close());
  const base = report({ packages: packages as unknown as ScanReport['packages'], os: { family: 'debian', name: 'debian', version: '12' } });
  const scanned = withFindings(base, db.match(packages as unknown as Package[], osOfReport(base)), db.version);
  // Through the store, as policy reads it (validated, serialised, read back).
  const store = await openSqliteStore({ path: join(tmp.path, 'store.db') });
  t.after(() => store.close());
  await store.reports.put(scanned);
  const stored = await store.reports.get(scanned.image.digest);
  assert.ok(stored);
  return stored;
}

const cfg = { vulnerabilities: { maxSeverity: 'high' as const, gracePeriodDays: 14 } };
const judge = (r: ScanReport, now: Date) => evaluateImage(r, [ref('p1', policy(cfg))], [], now);

test('the scanner conversion writes fixPublishedAt; the grace period passes inside the window and fails after it', async (t) => {
  const r = await scannedReport([dsa], t);
  const v = r.vulnerabilities.find((x) => x.id === 'DSA-5999-1');
  assert.ok(v, JSON.stringify(r.vulnerabilities));
  assert.equal(v.severity, 'critical');
  assert.equal(v.fixedVersion, '3.0.15-1~deb12u1');
  assert.equal(v.fixPublishedAt, '2026-01-20T00:00:00.000Z');

  const graceEnds = new Date(Date.parse(PUBLISHED) + 14 * DAY_MS);
  const inside = judge(r, new Date(graceEnds.getTime() - DAY_MS));
  assert.deepEqual(inside.reasons, []);
  assert.equal(inside.compliant, true);
  assert.deepEqual(inside.reevaluateAt, graceEnds, 're-evaluated when the grace ends');

  const after = judge(r, graceEnds);
  assert.equal(after.compliant, false);
  assert.match(after.reasons.find((x) => x.control === 'vulnerabilities')?.message ?? '', /DSA-5999-1/);

  // Without a grace period the same report fails at once.
  assert.equal(
    evaluateImage(r, [ref('p1', policy({ vulnerabilities: { maxSeverity: 'high' } }))], [], new Date(Date.parse(PUBLISHED) + DAY_MS))
      .compliant,
    false,
  );
});

test('a record without published gives no fix date: no grace; a report without the field stays valid', async (t) => {
  const r = await scannedReport([undated], t);
  const v = r.vulnerabilities.find((x) => x.id === 'DSA-6000-1');
  assert.ok(v);
  assert.equal(v.fixedVersion, '3.0.15-1~deb12u1');
  assert.equal(v.fixPublishedAt, undefined);
  assert.equal(judge(r, new Date(Date.parse(PUBLISHED) + DAY_MS)).compliant, false);

  // Reports stored before the field existed, and the schema refusing a non-date.
  const old = report({
    vulnerabilities: [{ id: 'CVE-2024-1', packageName: 'openssl', packageVersion: '3.0.11', severity: 'critical', fixedVersion: '3.0.12' }],
  });
  assert.equal(ScanReportSchema.safeParse(old).success, true);
  const bad = report({
    vulnerabilities: [
      {
        ...toVulnerability({
          id: 'X',
          aliases: [],
          packageName: 'p',
          packageVersion: '1',
          packageType: 'npm',
          severity: 'high',
          source: 'osv:npm',
          references: [],
        }),
        fixPublishedAt: 'soon',
      },
    ],
  });
  assert.equal(ScanReportSchema.safeParse(bad).success, false);
});
