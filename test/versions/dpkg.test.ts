// dpkg version ordering: dpkg's own Dpkg_Version.t vectors, then a cross-check against the real
// `dpkg --compare-versions` on generated pairs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { compareVersions, dpkg } from '@assay/versions';
import { generateVersions } from './generate.ts';
import { hasVector, missing, readVectorJson, sgn } from './vectors.ts';

const DPKG_SET = '06-version-vectors/dpkg/Dpkg_Version.data.json';

test('dpkg: Dpkg_Version.t vectors', (t) => {
  if (!hasVector(DPKG_SET)) return t.skip(missing(DPKG_SET));
  const { cases } = readVectorJson<{ cases: Array<{ a: string; b: string; expected: number }> }>(DPKG_SET);
  const failures: string[] = [];
  for (const c of cases) {
    // the .t file checks the reverse as well
    const got = sgn(dpkg.compare(c.a, c.b));
    const rev = sgn(dpkg.compare(c.b, c.a));
    if (got !== c.expected || rev !== -c.expected) failures.push(`${c.a} vs ${c.b}: got ${got}/${rev}, want ${c.expected}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(cases.length > 0);
  t.diagnostic(`dpkg: ${cases.length} cases passed (each both ways)`);
});

test('dpkg: deb-version(7) rules', () => {
  assert.ok(dpkg.compare('1.0~rc1', '1.0') < 0, '~ sorts before the end');
  assert.ok(dpkg.compare('1.0~~', '1.0~') < 0);
  assert.ok(dpkg.compare('1.0a', '1.0+') < 0, 'letters before non-letters');
  assert.ok(dpkg.compare('1:0.1', '2.0') > 0, 'epoch wins');
  assert.equal(dpkg.compare('1.01', '1.1'), 0, 'numbers compare numerically');
  assert.ok(dpkg.compare('2.42.8+dfsg-1ubuntu0.3', '2.40.0+dfsg-3ubuntu0.5') > 0);
  assert.equal(compareVersions('Debian:12', '1.2-1', '1.2-1'), 0);
  assert.ok(dpkg.isValid('1:2.30-1+deb12u1'));
  assert.ok(!dpkg.isValid('a1.0'));
  assert.ok(!dpkg.isValid('1.0 1'));
  assert.ok(!dpkg.isValid(''));
});

test('dpkg: agrees with `dpkg --compare-versions`', (t) => {
  const probe = spawnSync('dpkg', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('dpkg binary not available');
  const pieces = [
    '.',
    '0',
    '1',
    '2',
    '10',
    '01',
    '~',
    '~rc1',
    '+',
    '+dfsg',
    'a',
    'b',
    'z',
    'A',
    'Z',
    '-1',
    '-0',
    '-2ubuntu1',
    '.3',
    '~~',
    'p1',
  ];
  const raw = generateVersions(400, 0x5eed, pieces);
  // prepend an epoch to some; keep only what dpkg accepts without warnings
  const versions = raw.map((v, i) => (i % 7 === 0 ? `${i % 3}:${v}` : v)).filter((v) => dpkg.isValid(v));
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < versions.length; i++) pairs.push([versions[i]!, versions[(i * 31 + 7) % versions.length]!]);
  // equal-by-value spellings: explicit zero epoch, leading zeros
  for (const v of versions.slice(0, 60)) {
    if (!v.includes(':')) pairs.push([v, `0:${v}`]);
    pairs.push([v, v.replace(/^(\d+:)?/, '$10')]);
  }
  // one shell for all pairs: print lt/eq/gt per line
  const script = pairs
    .map(
      ([a, b]) =>
        `if dpkg --compare-versions '${a}' lt '${b}'; then echo -1; elif dpkg --compare-versions '${a}' eq '${b}'; then echo 0; else echo 1; fi`,
    )
    .join('\n');
  const res = spawnSync('sh', ['-c', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(res.status, 0, res.stderr);
  const want = res.stdout.trim().split('\n').map(Number);
  assert.equal(want.length, pairs.length);
  assert.equal(res.stderr, '', 'dpkg warned about a generated version');
  const failures: string[] = [];
  pairs.forEach(([a, b], i) => {
    const got = sgn(dpkg.compare(a, b));
    if (got !== want[i]) failures.push(`${a} vs ${b}: got ${got}, dpkg says ${want[i]}`);
  });
  assert.deepEqual(failures, []);
  const distinct = new Set(want);
  assert.equal(distinct.size, 3, 'sample covers <, = and >');
  t.diagnostic(`dpkg: ${pairs.length} generated pairs agree with dpkg --compare-versions`);
});
