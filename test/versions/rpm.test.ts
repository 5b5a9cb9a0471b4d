// rpm version ordering: rpm's tests/rpmvercmp.at vectors, then a cross-check against the real
// rpm.vercmp() of the installed rpm (4.18) on generated pairs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { compareVersions, rpm, rpmvercmp } from '@assay/versions';
import { generateVersions } from './generate.ts';
import { hasVector, missing, readVectorJson, sgn } from './vectors.ts';

const RPM_SET = '06-version-vectors/rpm/rpmvercmp.json';

test('rpm: rpmvercmp.at vectors', (t) => {
  if (!hasVector(RPM_SET)) return t.skip(missing(RPM_SET));
  const { cases } = readVectorJson<{ cases: Array<{ a: string; b: string; expected: number; active: boolean }> }>(RPM_SET);
  const active = cases.filter((c) => c.active);
  const failures: string[] = [];
  for (const c of active) {
    const got = sgn(rpm.compare(c.a, c.b));
    if (got !== c.expected) failures.push(`${c.a} vs ${c.b}: got ${got}, want ${c.expected}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(active.length > 0);
  t.diagnostic(
    `rpm: ${active.length} cases passed; ${cases.length - active.length} commented-out upstream (documented oddities) are checked against the real rpm below`,
  );
});

test('rpm: tilde, caret, epoch and release', () => {
  assert.ok(rpmvercmp('1.0~rc1', '1.0') < 0);
  assert.ok(rpmvercmp('1.0^git1', '1.0') > 0);
  assert.ok(rpmvercmp('1.0^git1', '1.0.1') < 0);
  assert.ok(rpm.compare('1:1.0-1', '2.0-1') > 0);
  assert.ok(rpm.compare('9.27-15.el8_10', '9.27-13.el8_10') > 0);
  assert.ok(rpm.compare('2:1.14.3-2.module+el8.10.0+1815+5fe7415e', '2:1.10.3-1.module+el8.10.0+1815+5fe7415e') > 0);
  assert.equal(rpm.compare('0:1.0-1', '1.0-1'), 0);
  assert.equal(compareVersions('Red Hat', '1.0-1.el9', '1.0-1.el9'), 0);
  assert.ok(compareVersions('openSUSE:Leap 15.5', '4.2-lp151.4.3.1', '1.5.1-lp151.4.3.1') > 0);
});

test('rpm: agrees with rpm.vercmp() of the installed rpm', (t) => {
  const probe = spawnSync('rpm', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('rpm binary not available');
  const pieces = [
    '.',
    '0',
    '1',
    '2',
    '10',
    '01',
    '~',
    '~rc1',
    '^',
    '^git1',
    '+',
    '_',
    'a',
    'b',
    'Z',
    '-1',
    '-0',
    '-2.el9',
    '.fc39',
    '~~',
    'p1',
    ':',
  ];
  const versions = generateVersions(500, 0xbeef, pieces).map((v, i) => (i % 9 === 0 ? `${i % 4}:${v}` : v));
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < versions.length; i++) pairs.push([versions[i]!, versions[(i * 37 + 11) % versions.length]!]);
  for (const v of versions.slice(0, 50)) pairs.push([v, `0:${v}`], [v, v.replace(/(\d+)/, '0$1')]);
  // the upstream-commented oddities (non-ASCII separators, letter suffixes) are settled by the real rpm
  const oddities = hasVector(RPM_SET)
    ? readVectorJson<{ cases: Array<{ a: string; b: string; active: boolean }> }>(RPM_SET).cases.filter((c) => !c.active)
    : [];
  for (const c of oddities) pairs.push([c.a, c.b]);
  // one rpm process: Lua prints one result per pair (versions hold no quotes or '%')
  const body = pairs.map(([a, b]) => `print(tostring(rpm.vercmp("${a}","${b}")).."\\n")`).join(' ');
  const res = spawnSync('rpm', ['--eval', `%{lua: ${body}}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(res.status, 0, res.stderr);
  const want = res.stdout.trim().split('\n').map(Number);
  assert.equal(want.length, pairs.length);
  const failures: string[] = [];
  pairs.forEach(([a, b], i) => {
    const got = sgn(rpm.compare(a, b));
    if (got !== sgn(want[i]!)) failures.push(`${a} vs ${b}: got ${got}, rpm says ${want[i]}`);
  });
  assert.deepEqual(failures, []);
  assert.equal(new Set(want.map(sgn)).size, 3, 'sample covers <, = and >');
  t.diagnostic(
    `rpm: ${pairs.length - oddities.length} generated pairs and ${oddities.length} upstream-commented vectors agree with rpm.vercmp()`,
  );
});
