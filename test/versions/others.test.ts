// RubyGems and Composer (Packagist): no upstream vector set is shared, so the cases follow the
// tools' documented behaviour (Gem::Version, PHP version_compare) and osv.dev's tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composer, compareVersions, phpVersionCompare, rubygems, schemeFor } from '@assay/versions';

test('rubygems: Gem::Version order', () => {
  const ordered = ['1.0.0.a', '1.0.0.b1', '1.0.0.rc1', '1.0.0', '1.0.1', '1.10.0'];
  for (let i = 0; i + 1 < ordered.length; i++)
    assert.ok(rubygems.compare(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
  assert.equal(rubygems.compare('1.0', '1.0.0'), 0);
  assert.ok(rubygems.compare('1.10.0.rc1', '1.2.0.rc1') > 0);
  assert.ok(rubygems.compare('invalid', '4.0.0.rc1') > 0, 'unparseable sorts last, as osv.dev');
  assert.ok(rubygems.isValid('6.0.3.1'));
  assert.ok(!rubygems.isValid('1.0 beta'));
});

test('composer: PHP version_compare semantics', () => {
  // php > var_dump(version_compare(...)) results
  const cases: Array<[string, string, number]> = [
    ['1.0.0', '1.0', 1],
    ['1.0rc1', '1.0', -1],
    ['1.0', '1.0.0', -1],
    ['1.0-dev', '1.0-alpha', -1],
    ['1.0-alpha', '1.0-beta', -1],
    ['1.0-beta', '1.0-RC1', -1],
    ['1.0-RC1', '1.0', -1],
    ['1.0', '1.0pl1', -1],
    ['1.0.0rc2', '1.0.0.rc2', 0],
    ['4.3-2RC1', '4.3-2RC2', -1],
    ['4.3-2', '4.3-2beta1', 1],
    ['string', '0.0', -1],
    ['5.2', '5.10', -1],
    ['1.0-patch1', '1.0', 1],
  ];
  for (const [a, b, want] of cases) assert.equal(phpVersionCompare(a, b), want, `${a} vs ${b}`);
  assert.equal(composer.compare('v1.2.3', '1.2.3'), 0, "Composer strips a leading 'v'");
  assert.ok(compareVersions('Packagist', '1.10-2RC1', '1.2-2RC1') > 0);
  assert.ok(composer.isValid('v2.4.1'));
  assert.ok(composer.isValid('1.0.0-RC2'));
  assert.ok(composer.isValid('dev-main'));
  assert.ok(!composer.isValid('not a version'));
});

test('ecosystems: names and release suffixes', () => {
  const cases: Array<[string, string]> = [
    ['Debian:12', 'dpkg'],
    ['Ubuntu:22.04:LTS', 'dpkg'],
    ['Alpine:v3.20', 'apk'],
    ['Wolfi', 'apk'],
    ['Chainguard', 'apk'],
    ['Red Hat:enterprise_linux:9::appstream', 'rpm'],
    ['Rocky Linux:9', 'rpm'],
    ['AlmaLinux:8', 'rpm'],
    ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'],
    ['openSUSE:Leap 15.5', 'rpm'],
    ['npm', 'semver'],
    ['crates.io', 'semver'],
    ['PyPI', 'pep440'],
    ['Go', 'go'],
    ['Maven', 'maven'],
    ['RubyGems', 'rubygems'],
    ['Packagist', 'composer'],
    ['NuGet', 'nuget'],
  ];
  for (const [eco, scheme] of cases) assert.equal(schemeFor(eco)?.name, scheme, eco);
  assert.equal(schemeFor('Hackage'), undefined);
});
