// The one version-range language (policy packages control, custom package checks): comparators
// in the package ecosystem's own order, SemVer's shorthands by SemVer rules, undecided when the
// ecosystem has no ordering. And the one purl-type → ecosystem map.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ecosystemForType, languageEcosystem, parseVersionRange, rangeIncludes, satisfiesRange } from '@assay/versions';

describe('version ranges', () => {
  it('compare in the ecosystem order, never as strings or SemVer', () => {
    // dpkg: a tilde sorts before anything, so 1.0~rc1 < 1.0; and a `~` in a version is no SemVer tilde.
    assert.equal(satisfiesRange('Debian', '1.0~rc1-1', '<1.0'), true);
    assert.equal(satisfiesRange('Debian', '3.0.11-1~deb12u2', '<3.0.11-1~deb12u3'), true);
    assert.equal(satisfiesRange('Debian', '1:2.0-1', '>=3.0'), true, 'an epoch outranks the upstream version');
    // PEP 440: 2.31 equals 2.31.0.
    assert.equal(satisfiesRange('PyPI', '2.31.0', '2.31'), true);
    assert.equal(satisfiesRange('npm', '4.17.21', '>=4.9.0'), true);
    assert.equal(satisfiesRange('npm', '4.17.21', '<4.17.21 || >=5'), false);
  });
  it('SemVer shorthands read as SemVer; * holds always', () => {
    assert.equal(satisfiesRange('npm', '4.17.21', '^4.17.0'), true);
    assert.equal(satisfiesRange('npm', '5.0.0', '^4.17.0'), false);
    assert.equal(satisfiesRange('npm', '1.2.9', '~1.2'), true);
    assert.equal(satisfiesRange('npm', '1.4.0', '1.x'), true);
    assert.equal(satisfiesRange('npm', '1.4.0', '1.0 - 1.3'), false);
    assert.equal(satisfiesRange(undefined, 'anything', '*'), true);
  });
  it('an ecosystem with no ordering leaves a comparator undecided', () => {
    assert.equal(satisfiesRange(undefined, '1.0', '<2'), undefined);
    assert.equal(satisfiesRange('CRAN', '1.0', '<2'), undefined);
    // Still decided when another alternative holds.
    assert.equal(satisfiesRange(undefined, '1.4.0', '<2 || ^1.0.0'), true);
  });
  it('a text that is no range: parse throws with the reason, satisfiesRange is undecided', () => {
    assert.throws(() => parseVersionRange('>=1 <<2'), /not a comparator/);
    assert.throws(() => parseVersionRange('>=1 ||'), /empty alternative/);
    assert.throws(() => parseVersionRange('^not.a.range'), /not a SemVer range/);
    assert.equal(satisfiesRange('npm', '1.0.0', '>=1 <<2'), undefined);
    assert.deepEqual(parseVersionRange('>= 1.2 <2'), [
      [
        { op: '>=', version: '1.2' },
        { op: '<', version: '2' },
      ],
    ]);
    assert.equal(rangeIncludes('npm', '1.5.0', parseVersionRange('>= 1.2 <2')), true);
  });
});

describe('package types', () => {
  it('one map: OS types order like their package manager, language types by their OSV ecosystem', () => {
    assert.equal(ecosystemForType('deb'), 'Debian');
    assert.equal(ecosystemForType('rpm'), 'Red Hat');
    assert.equal(ecosystemForType('apk'), 'Alpine');
    assert.equal(ecosystemForType('pypi'), 'PyPI');
    assert.equal(ecosystemForType('golang'), 'Go');
    assert.equal(ecosystemForType('cran'), undefined, 'CRAN has no version ordering here');
    assert.equal(ecosystemForType('binary'), undefined);
    assert.equal(languageEcosystem('cran'), 'CRAN');
    assert.equal(languageEcosystem('deb'), undefined, 'an OS package is looked up by the image OS');
    assert.equal(languageEcosystem('constructor'), undefined);
  });
});
