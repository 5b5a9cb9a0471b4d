// Intelligence in the database: FIRST's EPSS CSV (gz and plain, file and URL) and CISA's KEV JSON
// in their published shapes are built into the file with their provenance; findings get them
// through the CVE ids their advisory names (its id, an alias, a Debian upstream); the shipped
// end-of-life table answers by release cycle; a malformed feed fails the build, leaving no file.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Package } from '../../packages/inventory/src/index.ts';
import { buildDatabase, openDatabase, parseEpssCsv, SCHEMA_VERSION } from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { EPSS_CSV, EPSS_CSV_GZ, KEV_JSON, PACKAGES, RECORDS } from './intel-fixtures.ts';

const DEBIAN_11 = { family: 'debian', name: '11.9' };

test('EPSS (gz) and KEV build into the file; findings get them by alias, by upstream id, the highest of several; provenance in the metadata', async (t) => {
  const tmp = await makeTempDir('intel-build');
  t.after(() => tmp.remove());
  writeFileSync(join(tmp.path, 'epss.csv.gz'), EPSS_CSV_GZ);
  writeFileSync(join(tmp.path, 'kev.json'), KEV_JSON);
  const { file, metadata } = await buildDatabase({
    records: RECORDS,
    epss: join(tmp.path, 'epss.csv.gz'),
    kev: join(tmp.path, 'kev.json'),
    out: join(tmp.path, 'db.sqlite'),
  });
  assert.equal(metadata.schemaVersion, 2);
  assert.equal(SCHEMA_VERSION, 2);
  assert.equal(metadata.intel?.epss?.count, 4);
  assert.equal(metadata.intel?.epss?.modelVersion, 'v2025.03.14');
  assert.equal(metadata.intel?.epss?.scoreDate, '2026-12-05T12:55:00Z');
  assert.equal((metadata.intel?.epss as { invalid?: number }).invalid, 2, 'the bad CVE id and the score above 1');
  assert.match((metadata.intel?.epss as { sha256?: string }).sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(metadata.intel?.kev?.count, 2);
  assert.equal(metadata.intel?.kev?.catalogVersion, '2026.12.04');
  assert.ok((metadata.intel?.eol?.count ?? 0) > 50);
  assert.match(metadata.intel?.eol?.source ?? '', /endoflife\.date/);

  const db = openDatabase(file);
  t.after(() => db.close());
  assert.deepEqual(db.metadata.intel?.kev?.catalogVersion, '2026.12.04', 'read back from the file');
  const byId = new Map(db.match(PACKAGES as unknown as Package[], DEBIAN_11).map((f) => [f.id, f]));
  assert.deepEqual([...byId.keys()].sort(), ['DEBIAN-CVE-2023-0002', 'GHSA-aaaa-bbbb-cccc', 'GHSA-jfh8-c2jp-5v3q', 'GHSA-none-none-none']);
  const log4j = byId.get('GHSA-jfh8-c2jp-5v3q')!;
  assert.deepEqual(log4j.epss, { score: 0.94358, percentile: 0.99957, cve: 'CVE-2021-44228' });
  assert.deepEqual(log4j.kev, { cve: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: '2021-12-24', ransomware: true });
  const deb = byId.get('DEBIAN-CVE-2023-0002')!;
  assert.deepEqual(deb.kev, { cve: 'CVE-2023-0002', dateAdded: '2024-03-05', dueDate: '2024-03-26' }, 'no ransomware flag when Unknown');
  assert.equal(deb.epss?.score, 0.2715);
  assert.deepEqual(
    byId.get('GHSA-aaaa-bbbb-cccc')!.epss,
    { score: 0.2715, percentile: 0.96321, cve: 'CVE-2023-0002' },
    'the higher of two CVEs',
  );
  assert.equal(byId.get('GHSA-none-none-none')!.epss, undefined);
  assert.equal(byId.get('GHSA-none-none-none')!.kev, undefined);
  // Direct lookups: a CVE id, a distribution id named after one, an id without any.
  assert.equal(db.intel(['CVE-2024-9999']).epss?.score, 0.0001);
  assert.equal(db.intel(['UBUNTU-CVE-2021-44228']).kev?.dateAdded, '2021-12-10');
  assert.deepEqual(db.intel(['GHSA-xxxx-yyyy-zzzz']), {});
  // The second match comes from the cache: the same intel.
  assert.deepEqual(
    db.match(PACKAGES as unknown as Package[], DEBIAN_11).find((f) => f.id === 'GHSA-jfh8-c2jp-5v3q')?.kev?.dateAdded,
    '2021-12-10',
  );
});

test('feeds by URL, plain CSV; without feeds the tables are empty but the end-of-life table is always there', async (t) => {
  const tmp = await makeTempDir('intel-url');
  t.after(() => tmp.remove());
  const server = http.createServer((req, res) => {
    if (req.url === '/epss_scores-2026-12-05.csv') res.end(EPSS_CSV);
    else if (req.url === '/known_exploited_vulnerabilities.json') res.end(KEV_JSON);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { file, metadata } = await buildDatabase({
    records: RECORDS,
    epss: `${base}/epss_scores-2026-12-05.csv`,
    kev: `${base}/known_exploited_vulnerabilities.json`,
    out: join(tmp.path, 'db.sqlite'),
  });
  assert.equal(metadata.intel?.epss?.source, `${base}/epss_scores-2026-12-05.csv`);
  const db = openDatabase(file);
  assert.equal(db.intel(['CVE-2021-44228']).kev?.dueDate, '2021-12-24');
  db.close();

  const bare = await buildDatabase({ records: RECORDS, out: join(tmp.path, 'bare.sqlite') });
  assert.equal(bare.metadata.intel?.epss, undefined);
  assert.equal(bare.metadata.intel?.kev, undefined);
  const db2 = openDatabase(bare.file);
  t.after(() => db2.close());
  assert.equal(
    db2.match(PACKAGES as unknown as Package[], DEBIAN_11).some((f) => f.epss || f.kev),
    false,
  );
  assert.deepEqual(db2.osEol({ family: 'debian', name: '11.9' }), { family: 'debian', release: '11', eol: '2026-08-31' });

  await assert.rejects(
    buildDatabase({ records: RECORDS, epss: `${base}/missing.csv`, out: join(tmp.path, 'x.sqlite') }),
    /missing\.csv: HTTP 404/,
  );
  assert.equal(existsSync(join(tmp.path, 'x.sqlite')), false);
});

test('end of life by release cycle: debian by major, alpine and ubuntu by major.minor, aliases of families; unknown stays unknown', async (t) => {
  const tmp = await makeTempDir('intel-eol');
  t.after(() => tmp.remove());
  const { file } = await buildDatabase({ records: [], out: join(tmp.path, 'db.sqlite') });
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(db.osEol({ family: 'debian', name: '12.5' })?.eol, '2028-06-30');
  assert.equal(db.osEol({ family: 'debian', name: '10' })?.eol, '2024-06-30');
  assert.deepEqual(db.osEol({ family: 'ubuntu', name: '22.04' }), { family: 'ubuntu', release: '22.04', eol: '2027-04-01' });
  assert.equal(db.osEol({ family: 'alpine', name: '3.20.1' })?.release, '3.20');
  assert.equal(db.osEol({ family: 'rhel', name: '8.9' })?.eol, '2029-05-31', 'rhel is redhat');
  assert.equal(db.osEol({ family: 'amazon', name: '2' })?.eol, '2026-06-30');
  assert.equal(db.osEol({ family: 'wolfi', name: '20230201' }), undefined, 'a rolling distribution has none');
  assert.equal(db.osEol({ family: 'debian', name: '' }), undefined);
  assert.equal(db.osEol(undefined), undefined);

  // A table of one's own (air-gapped builds, a distribution the shipped one lacks).
  writeFileSync(
    join(tmp.path, 'eol.json'),
    JSON.stringify({ source: 'our own table', families: { wolfi: { releases: { '20230201': '2030-01-01', bad: '1 Jan 2030' } } } }),
  );
  const own = await buildDatabase({ records: [], eolTable: join(tmp.path, 'eol.json'), out: join(tmp.path, 'own.sqlite') });
  assert.deepEqual(own.metadata.intel?.eol, { source: 'our own table', count: 1 });
  const db2 = openDatabase(own.file);
  t.after(() => db2.close());
  assert.equal(db2.osEol({ family: 'wolfi', name: '20230201' })?.eol, '2030-01-01');
  assert.equal(db2.osEol({ family: 'debian', name: '12' }), undefined);
});

test('malformed feeds fail the build naming the source; nothing is left behind', async (t) => {
  const tmp = await makeTempDir('intel-bad');
  t.after(() => tmp.remove());
  const cases: [string, string, 'epss' | 'kev', RegExp][] = [
    ['noheader.csv', 'CVE-2021-44228,0.9,0.9\n', 'epss', /noheader\.csv: EPSS CSV: no `cve,epss,percentile` header/],
    ['empty.csv', '', 'epss', /empty\.csv: EPSS CSV: no/],
    ['badgz.csv.gz', '\x1f\x8bnot gzip', 'epss', /badgz\.csv\.gz: not readable gzip/],
    ['kev-bad.json', '{"catalogVersion": ', 'kev', /kev-bad\.json: KEV catalogue: invalid JSON/],
    ['kev-shape.json', '{"count": 0}', 'kev', /kev-shape\.json: KEV catalogue: no `vulnerabilities` array/],
  ];
  for (const [name, content, kind, error] of cases) {
    writeFileSync(join(tmp.path, name), content, 'latin1');
    const out = join(tmp.path, `${name}.sqlite`);
    await assert.rejects(buildDatabase({ records: RECORDS, [kind]: join(tmp.path, name), out }), error, name);
    assert.equal(existsSync(out), false, `${name}: no database`);
  }
  // A header-only feed is valid and empty; an older two-column feed has no percentile: its rows are invalid.
  assert.deepEqual(parseEpssCsv('cve,epss,percentile\n').rows, []);
  assert.equal(parseEpssCsv('cve,epss\nCVE-2021-44228,0.9\n').invalid, 1);
});

test('a schema-1 database (before the intelligence tables) still opens and matches, with no EPSS, KEV or end-of-life dates', async (t) => {
  const tmp = await makeTempDir('intel-schema1');
  t.after(() => tmp.remove());
  const { file } = await buildDatabase({ records: RECORDS, out: join(tmp.path, 'db.sqlite') });
  // What a database built before version 2 holds: no intelligence tables, schema version 1.
  const raw = new DatabaseSync(file);
  raw.exec("DROP TABLE epss; DROP TABLE kev; DROP TABLE os_eol; UPDATE metadata SET value = '1' WHERE key = 'schema_version'");
  raw.close();
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(db.metadata.schemaVersion, 1);
  const found = db.match(PACKAGES as unknown as Package[], DEBIAN_11);
  assert.ok(found.length > 0, 'its advisories still match');
  assert.ok(found.every((f) => f.epss === undefined && f.kev === undefined));
  assert.equal(db.osEol(DEBIAN_11), undefined);
  const future = new DatabaseSync(file);
  future.exec("UPDATE metadata SET value = '999' WHERE key = 'schema_version'");
  future.close();
  assert.throws(() => openDatabase(file), /schema version 999, this reader reads 1 and 2/);
});
