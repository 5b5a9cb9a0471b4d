// apk version ordering: apk-tools' test/unit/version.data (via version.json) and osv.dev's
// Alpine converter fixtures for validity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apk, apkMatch, compareVersions } from '@assay/versions';
import { hasVector, missing, readVectorJson, readVectorText } from './vectors.ts';

const APK_SET = '06-version-vectors/apk-tools/version.json';
const OSV_VALID = '06-version-vectors/apk-osv.dev/valid_versions.txt';
const OSV_INVALID = '06-version-vectors/apk-osv.dev/invalid_versions.txt';

type ApkCase =
  | { line: number; kind: 'compare'; v1: string; op: string; v2: string; expect: boolean }
  | { line: number; kind: 'validate'; version: string; expectValid: boolean };

test('apk: apk-tools version.data', (t) => {
  if (!hasVector(APK_SET)) return t.skip(missing(APK_SET));
  const { cases } = readVectorJson<{ cases: ApkCase[] }>(APK_SET);
  const failures: string[] = [];
  let compares = 0;
  let validates = 0;
  for (const c of cases) {
    if (c.kind === 'compare') {
      compares++;
      // version_test.c: apk_version_match(v1, mask(op), v2) must equal expect
      if (apkMatch(c.v1, c.op, c.v2) !== c.expect) failures.push(`line ${c.line}: ${c.v1} ${c.op} ${c.v2} should be ${c.expect}`);
    } else {
      validates++;
      if (apk.isValid(c.version) !== c.expectValid) failures.push(`line ${c.line}: valid(${c.version}) should be ${c.expectValid}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(cases.length > 0);
  t.diagnostic(`apk: ${compares} comparisons and ${validates} validity cases passed`);
});

test('apk: osv.dev Alpine converter validity fixtures', (t) => {
  if (!hasVector(OSV_VALID) || !hasVector(OSV_INVALID)) return t.skip(missing(OSV_VALID));
  const lines = (rel: string): string[] =>
    readVectorText(rel)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  const valid = lines(OSV_VALID);
  const invalid = lines(OSV_INVALID);
  // osv.dev's converter is laxer than apk-tools v3 in two ways: a digit right after a letter
  // ('6.6.2p1') and a letter after a dot ('10.2.22.r0'). apk-tools itself rejects both
  // (version.data line 767: '!0.1a1'), and we follow apk-tools, so these are expected to differ.
  const laxer = (v: string): boolean => /[a-z]\d/.test(v.replace(/[_-][a-z]+/g, '')) || /\.[a-z]/.test(v);
  const failures = [
    ...valid.filter((v) => !apk.isValid(v) && !laxer(v)).map((v) => `should be valid: ${v}`),
    ...invalid.filter((v) => apk.isValid(v)).map((v) => `should be invalid: ${v}`),
  ];
  assert.deepEqual(failures, []);
  const divergent = valid.filter((v) => !apk.isValid(v));
  assert.ok(divergent.every(laxer));
  t.diagnostic(
    `apk: ${valid.length - divergent.length} valid and ${invalid.length} invalid osv.dev fixtures agree; ` +
      `${divergent.length} accepted only by osv.dev's laxer parser (${divergent.join(', ')})`,
  );
});

test('apk: suffix and revision order', () => {
  const ordered = [
    '1.2.3_alpha',
    '1.2.3_beta2',
    '1.2.3_pre1',
    '1.2.3_rc1',
    '1.2.3',
    '1.2.3-r1',
    '1.2.3_cvs',
    '1.2.3_p1',
    '1.2.3a',
    '1.2.4',
  ];
  for (let i = 0; i + 1 < ordered.length; i++)
    assert.ok(apk.compare(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
  assert.ok(compareVersions('Alpine:v3.20', '1.10.0-r0', '1.2.0-r0') > 0);
  // versions only apk-tools 2.x accepts are compared the 2.x way rather than as "equal"
  assert.ok(apk.compare('1.9.5p3', '1.9.5p2') > 0);
  assert.ok(apk.compare('6.6.2p1-r0', '6.6.2p1-r1') < 0);
  assert.ok(apk.compare('10.2.22.r0', '10.2.22') > 0);
  assert.ok(apk.compare('1.0.0~1a2b', '1.0.0') > 0, 'v3 commit hash');
  assert.ok(compareVersions('Wolfi', '13.0.14.5-r1', '16.6-r0') < 0);
});
