// SemVer (npm, crates.io, OSV SEMVER) and Go/NuGet, which share its comparison core. Vectors:
// node-semver's test/fixtures (comparisons, equality, valid and invalid versions).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cargo, compareVersions, golang, nuget, semver } from '@assay/versions';
import { hasVector, missing, readVectorJson, sgn } from './vectors.ts';

const DIR = '06-version-vectors/node-semver/json';

test('semver: node-semver comparisons and equality', (t) => {
  if (!hasVector(`${DIR}/comparisons.json`)) return t.skip(missing(DIR));
  const comparisons = readVectorJson<Array<[string, string, unknown?]>>(`${DIR}/comparisons.json`);
  const equality = readVectorJson<Array<[string, string, unknown?]>>(`${DIR}/equality.json`);
  const failures: string[] = [];
  for (const [a, b] of comparisons) {
    if (sgn(semver.compare(a, b)) !== 1 || sgn(semver.compare(b, a)) !== -1) failures.push(`${a} > ${b}`);
  }
  for (const [a, b] of equality) {
    if (semver.compare(a, b) !== 0 || semver.compare(b, a) !== 0) failures.push(`${a} == ${b}`);
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`semver: ${comparisons.length} comparisons and ${equality.length} equalities passed (both ways)`);
});

test('semver: node-semver valid and invalid versions', (t) => {
  if (!hasVector(`${DIR}/valid-versions.json`)) return t.skip(missing(DIR));
  const valid = readVectorJson<Array<[string, ...unknown[]]>>(`${DIR}/valid-versions.json`);
  const invalid = readVectorJson<Array<[unknown, string, unknown?]>>(`${DIR}/invalid-versions.json`);
  const failures: string[] = [];
  for (const [v] of valid) if (!semver.isValid(v)) failures.push(`valid: ${v}`);
  // non-string inputs (objects with toString) are outside a string API: counted, not run
  const strings = invalid.filter((c): c is [string, string, unknown?] => typeof c[0] === 'string');
  for (const [v, why] of strings) if (semver.isValid(v)) failures.push(`invalid (${why}): ${v.slice(0, 40)}`);
  assert.deepEqual(failures, []);
  t.diagnostic(
    `semver: ${valid.length} valid and ${strings.length} invalid versions passed; ${invalid.length - strings.length} non-string inputs not applicable`,
  );
});

test('semver: OSV shapes outside strict SemVer', () => {
  // OSV SEMVER ranges tolerate a leading 'v'; npm data carries '1', '1.2' and 4-part versions
  assert.equal(semver.compare('v1.2.3', '1.2.3'), 0);
  assert.equal(semver.compare('1', '1.0.0'), 0);
  assert.ok(semver.compare('0.0.0.1', '1') < 0);
  assert.ok(semver.compare('0.0.0.1', '0.0.0') > 0);
  assert.ok(semver.compare('2.0.0rc2', '2.0.0') < 0, 'loose pre-release without hyphen');
  assert.ok(semver.compare('1.0.0-alpha.10', '1.0.0-alpha.9') > 0);
  assert.equal(semver.compare('1.0.0+build.1', '1.0.0+build.2'), 0, 'build metadata is ignored');
  assert.equal(cargo, semver);
  assert.ok(compareVersions('crates.io', '0.10.0', '0.9.1') > 0);
});

test('go: module versions, pseudo-versions, +incompatible', () => {
  assert.equal(golang.compare('v1.2.3', '1.2.3'), 0);
  assert.equal(golang.compare('v1', 'v1.0.0'), 0);
  assert.ok(golang.compare('v0.0.0-20220412211240-33da011f77ad', 'v0.0.0') < 0, 'pseudo-version is a pre-release');
  assert.ok(golang.compare('v0.0.0-20180925071336-cf3bd585ca2a', 'v0.0.0-20220412211240-33da011f77ad') < 0);
  assert.ok(golang.compare('v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.3') > 0);
  assert.equal(golang.compare('v2.0.0+incompatible', 'v2.0.0'), 0);
  assert.ok(golang.isValid('v2.0.0+incompatible'));
  assert.ok(golang.isValid('1.18'));
  assert.equal(golang.compare('go1.21.3', '1.21.3'), 0);
  assert.ok(!golang.isValid('v1.2.3.4'));
  assert.ok(!golang.isValid('v01.2.3'));
  assert.ok(compareVersions('Go', '1.21.0', '1.9.5') > 0);
});

test('nuget: four parts, case-insensitive pre-release', () => {
  assert.ok(nuget.compare('1.0.0.1', '1.0.0') > 0);
  assert.equal(nuget.compare('1.0', '1.0.0.0'), 0);
  assert.equal(nuget.compare('1.0.0-BETA', '1.0.0-beta'), 0);
  assert.ok(nuget.compare('1.0.0-beta.2', '1.0.0-beta.10') < 0);
  assert.ok(nuget.compare('1.0.0-rc.1', '1.0.0') < 0);
  assert.equal(nuget.compare('1.0.0+abc', '1.0.0'), 0);
  assert.ok(nuget.isValid('3.0.0.4001'));
  assert.ok(!nuget.isValid('1.4.0rc3'));
  assert.ok(compareVersions('NuGet', '13.0.3', '13.0.1') > 0);
});
