// Every scheme must be a total order on its inputs, or range evaluation (which sorts events)
// gives order-dependent answers: antisymmetry, reflexivity and transitivity on generated versions
// (for apk and composer only those the scheme accepts: apk-tools and PHP are not transitive on
// malformed input).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apk, composer, dpkg, golang, maven, nuget, pep440, rpm, rubygems, semver, type VersionScheme } from '@assay/versions';
import { generateVersions } from './generate.ts';
import { sgn } from './vectors.ts';

const ALPHABETS: Array<[VersionScheme, string[]]> = [
  [dpkg, ['.', '0', '1', '12', '~', '~rc1', '+', '+dfsg', 'a', 'z', '-1', '-2ubuntu1', ':']],
  [rpm, ['.', '0', '1', '12', '~', '^', '~rc1', '^git1', 'a', 'Z', '-1', '-2.el9', '_']],
  [apk, ['.', '0', '1', '12', 'a', '_alpha', '_rc1', '_p2', '_git', '-r1', '~ab12', '.01']],
  [semver, ['.', '0', '1', '12', '-alpha', '-rc.1', '.0', '+build', '-1', '-a.b']],
  [pep440, ['.', '0', '1', '12', 'a1', 'rc2', '.post1', '.dev3', '+local', '!', 'b']],
  [maven, ['.', '-', '0', '1', '12', 'alpha', 'rc', 'sp', 'snapshot', 'final', 'x', 'm1', '-1']],
  [rubygems, ['.', '0', '1', '12', '.rc1', '.a', '.pre', 'b2', '.beta']],
  [golang, ['.', '0', '1', '12', '-rc.1', '-0.20200101000000-abcdef', '+incompatible']],
  [nuget, ['.', '0', '1', '12', '-beta', '-RC.1', '-Beta', '+meta']],
  [composer, ['.', '0', '1', '12', '-RC1', 'beta', '-dev', 'pl1', '-alpha2', '.p']],
];

for (const [scheme, alphabet] of ALPHABETS) {
  test(`${scheme.name}: total order on generated versions`, (t) => {
    const generated = generateVersions(400, scheme.name.length * 7919, alphabet);
    // apk and composer: valid versions only; the others order malformed input consistently too
    const versions = (scheme === apk || scheme === composer ? generated.filter((v) => scheme.isValid(v)) : generated).slice(0, 140);
    assert.ok(versions.length >= 40, `only ${versions.length} valid generated versions`);
    const failures: string[] = [];
    for (const a of versions) {
      if (scheme.compare(a, a) !== 0) failures.push(`${a} != itself`);
      for (const b of versions) {
        if (sgn(scheme.compare(a, b)) !== -sgn(scheme.compare(b, a))) failures.push(`antisymmetry: ${a} vs ${b}`);
      }
    }
    const sorted = [...versions].sort((x, y) => scheme.compare(x, y));
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        if (scheme.compare(sorted[i]!, sorted[j]!) > 0) failures.push(`transitivity: ${sorted[i]} sorted before ${sorted[j]}`);
      }
    }
    assert.deepEqual(failures.slice(0, 20), []);
    t.diagnostic(`${scheme.name}: ${versions.length ** 2} ordered pairs consistent`);
  });
}
