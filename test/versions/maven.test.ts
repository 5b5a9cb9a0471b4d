// Maven ComparableVersion: vectors transcribed from apache/maven ComparableVersionTest.java.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalMaven, compareVersions, maven } from '@assay/versions';
import { hasVector, missing, readVectorJson, sgn } from './vectors.ts';

const SET = '06-version-vectors/maven/ComparableVersion.vectors.json';

interface Pair {
  a: string;
  b: string;
}
interface MavenVectors {
  strictlyAscending: Record<string, string[] | string>;
  equal: Pair[];
  sameOrderNotNecessarilyEqual: Pair[];
  lessThan: Pair[];
  allEqualArrays: string[][];
  canonical: Array<{ version: string; canonical: string }>;
}

test('maven: ComparableVersionTest vectors', (t) => {
  if (!hasVector(SET)) return t.skip(missing(SET));
  const v = readVectorJson<MavenVectors>(SET);
  const failures: string[] = [];
  let n = 0;
  for (const [name, list] of Object.entries(v.strictlyAscending)) {
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        n++;
        if (sgn(maven.compare(list[i]!, list[j]!)) !== -1 || sgn(maven.compare(list[j]!, list[i]!)) !== 1)
          failures.push(`${name}: ${list[i]} < ${list[j]}`);
      }
    }
  }
  for (const { a, b } of [...v.equal, ...v.sameOrderNotNecessarilyEqual]) {
    n++;
    if (maven.compare(a, b) !== 0 || maven.compare(b, a) !== 0) failures.push(`${a} == ${b}`);
  }
  for (const { a, b } of v.lessThan) {
    n++;
    if (sgn(maven.compare(a, b)) !== -1 || sgn(maven.compare(b, a)) !== 1) failures.push(`${a} < ${b}`);
  }
  for (const arr of v.allEqualArrays) {
    for (const x of arr) {
      n++;
      if (maven.compare(x, arr[0]!) !== 0) failures.push(`${x} == ${arr[0]}`);
    }
  }
  for (const c of v.canonical) {
    n++;
    if (canonicalMaven(c.version) !== c.canonical)
      failures.push(`canonical(${c.version}) = ${canonicalMaven(c.version)}, want ${c.canonical}`);
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`maven: ${n} cases passed`);
});

test('maven: qualifier order', () => {
  const ordered = ['1.0-alpha1', '1.0-beta1', '1.0-milestone1', '1.0-rc1', '1.0-SNAPSHOT', '1.0', '1.0-sp1', '1.0.1'];
  for (let i = 0; i + 1 < ordered.length; i++)
    assert.ok(maven.compare(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
  assert.equal(maven.compare('1.0-cr1', '1.0-rc1'), 0);
  assert.equal(maven.compare('1.0.Final', '1.0'), 0);
  assert.equal(maven.compare('1.0-GA', '1.0.0'), 0);
  assert.ok(compareVersions('Maven', '2.17.1', '2.9.0') > 0);
});
