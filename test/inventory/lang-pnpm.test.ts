// pnpm-lock.yaml v5/v6/v9 against osv-scalibr's goldens, plus dev/direct handcrafted cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePnpmKey, parsePnpmLock, pnpmLockAnalyzer } from '../../packages/inventory/src/lang/pnpm.ts';
import { allPackages, ctx, golden, ids, keyed, skipNoVectors, vecPath, vfs } from './lang/vectors.ts';

const SC = 'osv-scalibr/javascript_pnpmlock';

// Goldens compare name@version; scalibr's WantErr cases (an unparseable key) keep the good
// packages and, with us, add a warning instead of failing the file.
test('pnpm-lock: osv-scalibr v5/v6/v9 goldens', { skip: skipNoVectors }, () => {
  const cases = [
    ...golden(`${SC}/expected.pnpmlock.json`).tests.TestExtractor_Extract,
    ...golden(`${SC}/expected.pnpmlock-v9.json`).tests.TestExtractor_Extract_v9,
  ];
  assert.ok(cases.length >= 30);
  for (const c of cases) {
    const r = parsePnpmLock(readFileSync(vecPath(`${SC}/${c.InputConfig.Path}`), 'utf8'));
    const want = (c.WantPackages ?? []).map((p: any) => ({ name: p.Name, version: p.Version }));
    assert.deepEqual(ids(r.packages), ids(want), `${c.Name} (${c.InputConfig.Path})`);
    if (c.WantErr) assert.ok(r.warnings.length > 0, `${c.Name}: warning expected`);
    const devWant = (c.WantPackages ?? [])
      .filter((p: any) => (p.Metadata?.DepGroupVals ?? []).includes('dev'))
      .map((p: any) => `${p.Name}@${p.Version}`);
    for (const d of devWant)
      assert.ok(
        r.packages.some((p) => `${p.name}@${p.version}` === d && p.dev),
        `${c.Name}: ${d} dev`,
      );
  }
});

test('pnpm-lock: key formats', () => {
  assert.deepEqual(parsePnpmKey('/acorn/8.7.0', 5.3), { name: 'acorn', version: '8.7.0' });
  assert.deepEqual(parsePnpmKey('/@foo/bar/1.0.0', 5.3), { name: '@foo/bar', version: '1.0.0' });
  assert.deepEqual(parsePnpmKey('/foo/1.4.0_@types+babel__core@7.1.14', 5.4), { name: 'foo', version: '1.4.0' });
  assert.deepEqual(parsePnpmKey('registry.npmjs.org/@foo/bar/1.1.0', 5.3), { name: '@foo/bar', version: '1.1.0' });
  assert.deepEqual(parsePnpmKey('/@typescript-eslint/types@5.57.1', 6), { name: '@typescript-eslint/types', version: '5.57.1' });
  assert.deepEqual(parsePnpmKey('react-dom@18.2.0(react@18.2.0)', 9), { name: 'react-dom', version: '18.2.0' });
  assert.equal(parsePnpmKey('github.com/kevva/is-positive', 5.3), undefined);
  assert.equal(parsePnpmKey('/foo/bar', 5.3), undefined);
});

const V9 = `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0
    devDependencies:
      c:
        specifier: ^3.0.0
        version: 3.0.0(a@1.0.0)
packages:
  a@1.0.0:
    resolution: {integrity: sha512-x}
  b@2.0.0:
    resolution: {integrity: sha512-x}
  c@3.0.0:
    resolution: {integrity: sha512-x}
  d@4.0.0:
    resolution: {integrity: sha512-x}
snapshots:
  a@1.0.0:
    dependencies:
      b: 2.0.0
  b@2.0.0: {}
  c@3.0.0(a@1.0.0):
    dependencies:
      a: 1.0.0
      d: 4.0.0
  d@4.0.0: {}
`;

test('pnpm-lock v9: direct from importers, dev = unreachable from production deps, dependsOn from snapshots', async () => {
  const r = await pnpmLockAnalyzer.analyzeGroup(vfs({ 'app/pnpm-lock.yaml': V9 }), ctx);
  assert.deepEqual(
    keyed(
      allPackages(r),
      (p) => `${p.name}@${p.version} indirect=${p.indirect} dev=${Boolean(p.dev)} deps=${(p.dependsOn ?? []).join(',')}`,
    ),
    [
      'a@1.0.0 indirect=false dev=false deps=b@2.0.0',
      'b@2.0.0 indirect=true dev=false deps=',
      'c@3.0.0 indirect=false dev=true deps=a@1.0.0,d@4.0.0',
      'd@4.0.0 indirect=true dev=true deps=',
    ],
  );
});

test('pnpm-lock: v5 dev flag, malformed input warns', async () => {
  const r = parsePnpmLock('lockfileVersion: 5.3\ndevDependencies:\n  x: 1.0.0\npackages:\n  /x/1.0.0:\n    dev: true\n');
  assert.deepEqual(
    keyed(r.packages, (p) => `${p.purl} ${p.dev} ${p.indirect}`),
    ['pkg:npm/x@1.0.0 true false'],
  );
  const bad = await pnpmLockAnalyzer.analyzeGroup(vfs({ 'pnpm-lock.yaml': 'packages: [\n' }), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.match(bad?.warnings?.[0] ?? '', /not YAML/);
  assert.equal(pnpmLockAnalyzer.required('srv/pnpm-lock.yaml', { size: 1, mode: 0o644 }), true);
  assert.equal(pnpmLockAnalyzer.required('srv/node_modules/.pnpm/lock.yaml', { size: 1, mode: 0o644 }), false);
});
