// OS → OSV ecosystem mapping, the lookups a package turns into, and re-matching of stored
// reports against a new database.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  buildDatabase,
  ecosystemKey,
  lookupsFor,
  openDatabase,
  osEcosystemKeys,
  rematch,
  rematchReports,
} from '../../packages/vulndb/src/index.ts';
import { makeTempDir } from '../support/tempdir.ts';

test('detected OS → ecosystem keys, and OSV ecosystems → the same keys', () => {
  const cases: [string, string, string[]][] = [
    ['debian', '12.5', ['Debian:12']],
    ['ubuntu', '22.04', ['Ubuntu:22.04']],
    ['alpine', '3.20.1', ['Alpine:v3.20']],
    ['redhat', '9.3', ['Red Hat:9']],
    ['rocky', '8.9', ['Rocky Linux:8']],
    ['alma', '9.2', ['AlmaLinux:9']],
    ['suse', '15.5', ['SUSE:Linux Enterprise Server 15 SP5']],
    ['opensuse-leap', '15.5', ['openSUSE:Leap 15.5']],
    ['wolfi', '20230201', ['Wolfi']],
    ['chainguard', '1', ['Chainguard']],
    ['plan9', '4', []],
  ];
  for (const [family, name, want] of cases) assert.deepEqual(osEcosystemKeys({ family, name }), want, `${family} ${name}`);
  assert.equal(ecosystemKey('Debian:12'), 'Debian:12');
  assert.equal(ecosystemKey('Ubuntu:22.04:LTS'), 'Ubuntu:22.04');
  assert.equal(ecosystemKey('Ubuntu:Pro:18.04:LTS'), 'Ubuntu:Pro:18.04');
  assert.equal(ecosystemKey('Alpine:v3.20'), 'Alpine:v3.20');
  assert.equal(ecosystemKey('Red Hat:enterprise_linux:9::appstream'), 'Red Hat:9');
  assert.equal(ecosystemKey('Rocky Linux:8'), 'Rocky Linux:8');
  assert.equal(ecosystemKey('SUSE:Linux Enterprise Server 15 SP5'), 'SUSE:Linux Enterprise Server 15 SP5');
  assert.equal(ecosystemKey('Maven:https://repo.maven.apache.org/maven2/'), 'Maven');
});

test('package → lookups: source package and full source version for dpkg; binary then source for rpm', () => {
  const deb = {
    name: 'libssl3',
    version: '3.0.11',
    release: '1~deb12u2',
    type: 'deb',
    purl: 'x',
    srcName: 'openssl',
    srcVersion: '3.0.11',
    srcRelease: '1~deb12u2',
    epoch: 1,
    srcEpoch: 1,
  };
  assert.deepEqual(lookupsFor(deb, { family: 'debian', name: '12.5' }), [
    { keys: ['Debian:12'], name: 'openssl', version: '1:3.0.11-1~deb12u2', scheme: 'Debian' },
  ]);
  assert.deepEqual(lookupsFor(deb, undefined), []);
  const rpm = {
    name: 'openssl-libs',
    version: '3.0.7',
    release: '24.el9',
    type: 'rpm',
    purl: 'x',
    epoch: 1,
    srcName: 'openssl',
    srcVersion: '3.0.7',
    srcRelease: '24.el9',
    srcEpoch: 1,
  };
  assert.deepEqual(
    lookupsFor(rpm, { family: 'rocky', name: '9.3' }).map((l) => [l.keys, l.name, l.version]),
    [
      [['Rocky Linux:9'], 'openssl-libs', '1:3.0.7-24.el9'],
      [['Rocky Linux:9'], 'openssl', '1:3.0.7-24.el9'],
    ],
  );
  const types: [string, string][] = [
    ['npm', 'npm'],
    ['pypi', 'PyPI'],
    ['golang', 'Go'],
    ['maven', 'Maven'],
    ['gem', 'RubyGems'],
    ['cargo', 'crates.io'],
    ['composer', 'Packagist'],
    ['nuget', 'NuGet'],
  ];
  for (const [type, eco] of types) assert.deepEqual(lookupsFor({ name: 'X_y', version: '1', type, purl: 'x' })[0]?.keys, [eco], type);
  assert.equal(lookupsFor({ name: 'Foo_Bar.baz', version: '1', type: 'pypi', purl: 'x' })[0]?.name, 'foo-bar-baz');
});

test('rematch: changed when (id, package, fixed version) sets differ (or a finding is rescored); reports re-matched against a new db', async (t) => {
  const f = (id: string, fixedVersion?: string) => ({
    id,
    packageName: 'lodash',
    packageVersion: '4.17.0',
    packageType: 'npm',
    ...(fixedVersion ? { fixedVersion } : {}),
  });
  assert.equal(rematch([f('A', '1')], [f('A', '1')]).changed, false);
  assert.equal(rematch([f('A', '1')], [f('A', '2')]).changed, true);
  assert.equal(rematch([f('A')], [f('A'), f('B')]).changed, true);
  assert.deepEqual(rematch([f('A'), f('B')], [f('A')]).removed, ['B npm lodash 4.17.0']);

  const tmp = await makeTempDir('vulndb-rematch');
  t.after(() => tmp.remove());
  const rec = {
    id: 'GHSA-x',
    modified: 'x',
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lodash' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
      },
    ],
  };
  const { file } = await buildDatabase({ records: [rec], out: join(tmp.path, 'db.sqlite'), version: 'v2' });
  const db = openDatabase(file);
  t.after(() => db.close());
  const pkg = { name: 'lodash', version: '4.17.0', type: 'npm', purl: 'pkg:npm/lodash@4.17.0' };
  const reports = [
    { reportId: 'r1', packages: [pkg], vulnerabilities: [], vulnDbVersion: 'v1' }, // new advisory → changed
    { reportId: 'r2', packages: [pkg], vulnerabilities: [{ ...f('GHSA-x', '4.17.21'), severity: 'unknown' }], vulnDbVersion: 'v1' }, // same → unchanged
    { reportId: 'r3', packages: [pkg], vulnerabilities: [], vulnDbVersion: 'v2' }, // already on v2 → skipped
  ];
  const changed: string[] = [];
  async function* list() {
    yield* reports;
  }
  const r = await rematchReports({
    listReports: list(),
    db,
    onChanged: (rep, findings) => void changed.push(`${rep.reportId}:${findings.map((x) => x.id).join(',')}`),
  });
  assert.deepEqual(r, { reports: 3, changed: 1, skipped: 1 });
  assert.deepEqual(changed, ['r1:GHSA-x']);
});
