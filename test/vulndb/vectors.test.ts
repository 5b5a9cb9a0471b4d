// Upstream OSV vectors (../shared/vectors/07-osv): every file is either compiled or skipped with
// a counted reason; records valid under the OSV JSON schema are never refused; withdrawn
// records never match; the GHSA→OSV goldens match as their ranges say.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { VulnerabilitySchema } from '../../packages/domain/src/index.ts';
import { buildDatabase, openDatabase, parseOsvRecord, type VulnDb } from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OSV = join(REPO_ROOT, '..', 'shared', 'vectors', '07-osv');
const ADVISORIES = join(OSV, 'advisories');
const GHSA = join(OSV, 'ghsa-to-osv');
const have = existsSync(ADVISORIES) && existsSync(GHSA);
if (!have) console.log(`# notice: OSV vectors not found at ${OSV}; vector tests skipped`);

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

let tmp: { path: string; remove(): Promise<void> };
let db: VulnDb;
let built: Awaited<ReturnType<typeof buildDatabase>>;

before(async () => {
  if (!have) return;
  tmp = await makeTempDir('vulndb-vectors');
  built = await buildDatabase({ sources: [ADVISORIES, GHSA], out: join(tmp.path, 'v.sqlite') });
  db = openDatabase(built.file);
});

after(async () => {
  db?.close();
  await tmp?.remove();
});

test('every vector file is compiled or skipped with a counted reason', { skip: !have }, () => {
  const files = [...jsonFiles(ADVISORIES), ...jsonFiles(GHSA)];
  const m = built.metadata;
  assert.equal(m.records + m.skipped, files.length, `records ${m.records} + skipped ${m.skipped} != files ${files.length}`);
  assert.equal(
    Object.values(m.skippedReasons).reduce((a, b) => a + b, 0),
    m.skipped,
  );
  // Not OSV: osv-scanner result files and the GHSA-format inputs of the converter tests.
  assert.equal(m.skippedReasons['missing id'], 2 + jsonFiles(GHSA).filter((f) => !f.endsWith('.osv.json')).length);
  // osv-linter's broken variants reuse their originals' ids: the first one read is kept.
  assert.equal(m.skippedReasons['duplicate id (same or older modified)'], 3);
  assert.equal(m.sources.length, 2);
  for (const s of m.sources) assert.match(s.sha256, /^[0-9a-f]{64}$/);
  assert.equal(db.metadata.version, m.version);
  assert.ok(m.countsPerEcosystem['Debian:7'] === 1 && (m.countsPerEcosystem.npm ?? 0) >= 2, JSON.stringify(m.countsPerEcosystem));
  assert.equal(m.withdrawn, 1);
});

test('records the OSV JSON schema accepts are never refused; non-records are', { skip: !have }, () => {
  const schema = JSON.parse(readFileSync(join(OSV, 'schema', 'osv-schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020.default({ strict: false, allErrors: false, validateFormats: false });
  const validate = ajv.compile(schema);
  let valid = 0;
  for (const f of [...jsonFiles(ADVISORIES), ...jsonFiles(GHSA)]) {
    const json = JSON.parse(readFileSync(f, 'utf8')) as unknown;
    const ours = parseOsvRecord(json);
    if (validate(json)) {
      valid++;
      assert.ok(ours.ok, `${f}: schema-valid but refused: ${ours.ok ? '' : ours.reason}`);
    } else if (!(json && typeof json === 'object' && 'id' in json)) {
      assert.equal(ours.ok, false, `${f}: not an OSV record, yet accepted`);
    }
  }
  assert.ok(valid >= 20, `only ${valid} schema-valid records`);
});

test('GHSA→OSV goldens: matching follows their ranges; withdrawn never matches', { skip: !have }, () => {
  const lodash = db.match([{ name: 'lodash', version: '4.17.20', type: 'npm', purl: 'pkg:npm/lodash@4.17.20' }]);
  assert.deepEqual(
    lodash.map((f) => [f.id, f.fixedVersion, f.severity, f.cvss]),
    [['GHSA-35jh-r3h4-6jhm', '4.17.21', 'high', 7.2]],
  );
  assert.deepEqual(lodash[0]?.references, [
    'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
    'https://nvd.nist.gov/vuln/detail/CVE-2021-23337',
  ]);
  assert.deepEqual(db.match([{ name: 'lodash', version: '4.17.21', type: 'npm', purl: 'pkg:npm/lodash@4.17.21' }]), []);

  const withdrawn = JSON.parse(readFileSync(join(GHSA, 'withdrawn.osv.json'), 'utf8')) as {
    id: string;
    affected: { package: { ecosystem: string; name: string }; ranges?: { events: Record<string, string>[] }[]; versions?: string[] }[];
  };
  const a = withdrawn.affected[0];
  assert.ok(a);
  const introduced = a.versions?.[0] ?? a.ranges?.[0]?.events.find((e) => e.introduced)?.introduced ?? '0';
  const type = { npm: 'npm', PyPI: 'pypi', Maven: 'maven', RubyGems: 'gem', Go: 'golang' }[a.package.ecosystem] ?? 'npm';
  const hits = db.match([{ name: a.package.name, version: introduced === '0' ? '0.0.1' : introduced, type, purl: 'x' }]);
  assert.ok(!hits.some((f) => f.id === withdrawn.id), 'withdrawn record matched');

  // PyPI names are normalised on both sides (pypi_normalize golden).
  const pypi = JSON.parse(readFileSync(join(GHSA, 'pypi_normalize.osv.json'), 'utf8')) as {
    id: string;
    affected: { package: { name: string }; ranges: { events: Record<string, string>[] }[] }[];
  };
  const p = pypi.affected[0];
  assert.ok(p);
  const fixed = p.ranges[0]?.events.find((e) => e.fixed)?.fixed;
  const weird = p.package.name.toUpperCase().replace(/-/g, '_');
  const got = db.match([{ name: weird, version: '0.0.0.1', type: 'pypi', purl: 'x' }]);
  assert.ok(
    got.some((f) => f.id === pypi.id && f.fixedVersion === fixed),
    `${weird}: ${JSON.stringify(got.map((f) => [f.id, f.fixedVersion]))}`,
  );
});

test('distribution advisories: Debian by source package, Alpine by origin, release mapped from the OS', { skip: !have }, () => {
  // DSA-3029-1: nginx in Debian:7, fixed 1.2.1-2.2+wheezy3.
  const nginx = (v: string) => ({
    name: 'nginx-full',
    version: '1.2.1',
    release: v,
    type: 'deb',
    purl: 'x',
    srcName: 'nginx',
    srcVersion: '1.2.1',
    srcRelease: v,
  });
  const hit = db.match([nginx('2.2+wheezy2')], { family: 'debian', name: '7.11' });
  assert.deepEqual(
    hit.map((f) => [f.id, f.packageName, f.packageVersion, f.fixedVersion]),
    [['DSA-3029-1', 'nginx-full', '1.2.1-2.2+wheezy2', '1.2.1-2.2+wheezy3']],
  );
  assert.deepEqual(db.match([nginx('2.2+wheezy3')], { family: 'debian', name: '7.11' }), []);
  assert.deepEqual(db.match([nginx('2.2+wheezy2')], { family: 'debian', name: '8.1' }), [], 'other release');
  assert.deepEqual(db.match([nginx('2.2+wheezy2')]), [], 'no OS, no OS-package match');
  const maria = db.match(
    [{ name: 'mariadb-client', version: '10.4.1-r0', type: 'apk', purl: 'x', srcName: 'mariadb', srcVersion: '10.4.1-r0' }],
    { family: 'alpine', name: '3.12.4' },
  );
  assert.deepEqual(
    maria.map((f) => [f.id, f.fixedVersion]),
    [['CVE-2022-27449', '10.4.25-r0']],
  );
});

test('findings fit the scan report Vulnerability schema', { skip: !have }, () => {
  const findings = db.match(
    [
      {
        name: 'lodash',
        version: '4.17.20',
        type: 'npm',
        purl: 'pkg:npm/lodash@4.17.20',
        layerDigest: `sha256:${'a'.repeat(64)}`,
        path: 'app/package-lock.json',
      },
      { name: 'nginx', version: '1.2.1', release: '2.2', type: 'deb', purl: 'x', srcName: 'nginx', srcVersion: '1.2.1', srcRelease: '2.2' },
      { name: 'org.apache.any23:apache-any23', version: '2.2', type: 'maven', purl: 'x' },
    ],
    { family: 'debian', name: '7.8' },
  );
  assert.ok(findings.length >= 3, JSON.stringify(findings.map((f) => f.id)));
  for (const f of findings) {
    const r = VulnerabilitySchema.safeParse(f);
    assert.ok(r.success, `${f.id}: ${JSON.stringify(r.error?.issues)}`);
  }
  const l = findings.find((f) => f.packageName === 'lodash');
  assert.equal(l?.layerDigest, `sha256:${'a'.repeat(64)}`);
  assert.equal(l?.path, 'app/package-lock.json');
});
