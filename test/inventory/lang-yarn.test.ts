// yarn.lock v1 and berry against osv-scalibr's goldens; direct/dev from the sibling package.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { yarnLockAnalyzer, yarnPackages, patternName } from '../../packages/inventory/src/lang/yarn.ts';
import { allPackages, ctx, golden, ids, keyed, skipNoVectors, vecPath, vfs } from './lang/vectors.ts';

const SC = 'osv-scalibr/javascript_yarnlock';

test('yarn.lock: osv-scalibr v1 and v2 goldens (name, version)', { skip: skipNoVectors }, () => {
  const cases = [
    ...golden(`${SC}/expected.yarnlock-v1.json`).tests.TestExtractor_Extract_v1,
    ...golden(`${SC}/expected.yarnlock-v2.json`).tests.TestExtractor_Extract_v2,
  ];
  assert.ok(cases.length >= 20);
  for (const c of cases) {
    const r = yarnPackages(readFileSync(vecPath(`${SC}/${c.InputConfig.Path}`), 'utf8'));
    const want = (c.WantPackages ?? []).map((p: any) => ({ name: p.Name, version: p.Version }));
    assert.deepEqual(ids(r.packages), ids(want), `${c.Name} (${c.InputConfig.Path})`);
    assert.ok(r.packages.every((p) => p.purl.startsWith('pkg:npm/')));
  }
});

test('yarn.lock: pattern names (aliases, scopes, no range)', () => {
  assert.equal(patternName('"ansi-regex-cjs@npm:ansi-regex@^5.0.0"'), 'ansi-regex');
  assert.equal(patternName('babel-hvi@npm:@babel/helper-validator-identifier@^7.0.0'), '@babel/helper-validator-identifier');
  assert.equal(patternName('@babel/core@npm:^7.0.0'), '@babel/core');
  assert.equal(patternName('balanced-match'), 'balanced-match');
  assert.equal(patternName('@s/x@^1'), '@s/x');
});

const V1 = `# yarn lockfile v1

a@^1.0.0:
  version "1.0.0"
  dependencies:
    b "^2.0.0"

b@^2.0.0:
  version "2.1.0"

c@^3.0.0:
  version "3.0.0"
  dependencies:
    b "^2.0.0"
    d "^4.0.0"

d@^4.0.0:
  version "4.0.0"
`;

test('yarn.lock v1 with package.json: direct, indirect, dev only when reached only from devDependencies', async () => {
  const r = await yarnLockAnalyzer.analyzeGroup(
    vfs({ 'app/yarn.lock': V1, 'app/package.json': JSON.stringify({ dependencies: { a: '^1.0.0' }, devDependencies: { c: '^3.0.0' } }) }),
    ctx,
  );
  assert.deepEqual(
    keyed(
      allPackages(r),
      (p) => `${p.name}@${p.version} indirect=${p.indirect} dev=${Boolean(p.dev)} deps=${(p.dependsOn ?? []).join(',')}`,
    ),
    [
      'a@1.0.0 indirect=false dev=false deps=b@2.1.0',
      'b@2.1.0 indirect=true dev=false deps=',
      'c@3.0.0 indirect=false dev=true deps=b@2.1.0,d@4.0.0',
      'd@4.0.0 indirect=true dev=true deps=',
    ],
  );
  assert.equal(r?.packageSets?.[0]?.path, 'app/yarn.lock');
});

test('yarn.lock berry with package.json: npm: ranges resolve; root workspace excluded', async () => {
  const lock = `__metadata:\n  version: 8\n\n"a@npm:^1.0.0":\n  version: 1.0.0\n  resolution: "a@npm:1.0.0"\n  dependencies:\n    b: "npm:^2.0.0"\n\n"b@npm:^2.0.0":\n  version: 2.0.0\n  resolution: "b@npm:2.0.0"\n\n"root@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "root@workspace:."\n  dependencies:\n    a: "npm:^1.0.0"\n`;
  const r = await yarnLockAnalyzer.analyzeGroup(
    vfs({ 'yarn.lock': lock, 'package.json': JSON.stringify({ devDependencies: { a: '^1.0.0' } }) }),
    ctx,
  );
  assert.deepEqual(
    keyed(allPackages(r), (p) => `${p.name}@${p.version} indirect=${p.indirect} dev=${Boolean(p.dev)}`),
    ['a@1.0.0 indirect=false dev=true', 'b@2.0.0 indirect=true dev=true'],
  );
});

test('yarn.lock: malformed input warns, never throws', async () => {
  for (const bad of ['__metadata:\n  version: [', 'a@^1:\n  version "1"\n  {{{{', '<<<<<<< HEAD\na@1:\n  version "1"\n']) {
    const r = await yarnLockAnalyzer.analyzeGroup(vfs({ 'yarn.lock': bad }), ctx);
    assert.ok((r?.warnings ?? []).length > 0 || allPackages(r).length === 0, bad);
  }
  const r = await yarnLockAnalyzer.analyzeGroup(vfs({ 'yarn.lock': '__metadata:\n  version: [' }), ctx);
  assert.match(r?.warnings?.[0] ?? '', /cannot parse/);
  assert.equal(yarnLockAnalyzer.required('app/node_modules/x/yarn.lock', { size: 1, mode: 0o644 }), false);
  assert.equal(yarnLockAnalyzer.required('app/yarn.lock', { size: 1, mode: 0o644 }), true);
});
