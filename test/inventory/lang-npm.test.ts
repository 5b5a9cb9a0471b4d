// npm analyzers against osv-scalibr's and Trivy's package-lock goldens, plus installed package.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  npmInstalledAnalyzer,
  npmLockAnalyzer,
  parseInstalledPackageJson,
  parsePackageLock,
} from '../../packages/inventory/src/lang/npm.ts';
import { allPackages, ctx, file, golden, ids, keyed, skipNoVectors, vecPath, vfs } from './lang/vectors.ts';

const SC = 'osv-scalibr/javascript_packagelockjson';

// Mapping from scalibr's goldens: a git dependency has Version "" and SourceCode.Commit; we report
// the commit as the version. A `file:` dependency (no version, no commit) is the project's own
// code and we do not report it. DepGroupVals containing "dev" ⇔ our dev flag.
function scalibrKey(p: any): string | undefined {
  const v = p.Version || p.SourceCode?.Commit;
  if (!v) return undefined;
  return `${p.Name}@${v}${(p.Metadata?.DepGroupVals ?? []).includes('dev') ? ' dev' : ''}`;
}

test('package-lock: osv-scalibr v1/v2/shrinkwrap goldens', { skip: skipNoVectors }, async () => {
  const cases = [
    ...golden(`${SC}/expected.packagelockjson-v1.json`).tests.TestNPMLockExtractor_Extract_V1,
    ...golden(`${SC}/expected.packagelockjson-v2.json`).tests.TestNPMLockExtractor_Extract_V2,
    ...golden(`${SC}/expected.packagelockjson.json`).tests.TestExtractor_Extract_Shrinkwrap_JSON,
    ...golden(`${SC}/expected.packagelockjson.json`).tests.TestExtractor_Extract_V1_LineNumbers,
  ];
  let n = 0;
  for (const c of cases) {
    const rel: string = c.InputConfig.Path;
    const content = readFileSync(vecPath(`${SC}/${rel}`), 'utf8');
    if (rel.startsWith('testdata/both/')) {
      // Both files in one directory: npm uses npm-shrinkwrap.json, so the package-lock yields nothing.
      const dir = `${SC}/testdata/both`;
      const r = await npmLockAnalyzer.analyzeGroup(
        vfs({
          'app/package-lock.json': readFileSync(vecPath(`${dir}/package-lock.json`)),
          'app/npm-shrinkwrap.json': readFileSync(vecPath(`${dir}/npm-shrinkwrap.json`)),
        }),
        ctx,
      );
      const from = rel.endsWith('package-lock.json') ? 'app/package-lock.json' : 'app/npm-shrinkwrap.json';
      const got = (r?.packageSets ?? []).filter((s) => s.path === from).flatMap((s) => s.packages);
      assert.deepEqual(ids(got), ids((c.WantPackages ?? []).map((p: any) => ({ name: p.Name, version: p.Version }))), c.Name);
      n++;
      continue;
    }
    const r = parsePackageLock(content);
    if (c.WantErr) {
      assert.equal(r.packages.length, 0, c.Name);
      assert.ok(r.warnings.length > 0, `${c.Name}: warning expected`);
    } else {
      const want = keyed(c.WantPackages ?? [], (p) => scalibrKey(p) ?? '').filter((k) => k !== '');
      const got = keyed(r.packages, (p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`);
      assert.deepEqual(got, want, `${c.Name} (${rel})`);
    }
    n++;
  }
  assert.ok(n >= 30);
});

// Trivy's goldens: Relationship Direct/Indirect ⇔ indirect false/true; Unknown (v1 without a
// manifest) ⇔ indirect undefined. Workspace packages without a version (Trivy's "function1") are
// not reported by us: a package needs a version.
test('package-lock: Trivy v1/v2/v3 goldens (dev, direct/indirect, licences, dependsOn)', { skip: skipNoVectors }, () => {
  const g = golden('trivy-parsers/npm/expected.cases.json');
  for (const c of g.cases) {
    const r = parsePackageLock(readFileSync(vecPath(`trivy-parsers/npm/${c.file}`), 'utf8'));
    const want = (c.want ?? []).filter((p: any) => p.Version);
    // Deviation: Trivy drops a `license` array of plain strings; we keep the strings.
    for (const p of want) if (p.ID === 'pause-stream@0.0.11' && !p.Licenses) p.Licenses = ['MIT', 'Apache2'];
    const rel = (p: any) =>
      p.Relationship === 'ftypes.RelationshipDirect' ? 'direct' : p.Relationship === 'ftypes.RelationshipIndirect' ? 'indirect' : 'unknown';
    assert.deepEqual(
      keyed(
        r.packages,
        (p) =>
          `${p.name}@${p.version} dev=${Boolean(p.dev)} ${p.indirect === undefined ? 'unknown' : p.indirect ? 'indirect' : 'direct'} lic=${(p.licences ?? []).join(',')}`,
      ),
      keyed(want, (p: any) => `${p.Name}@${p.Version} dev=${Boolean(p.Dev)} ${rel(p)} lic=${(p.Licenses ?? []).join(',')}`),
      c.name,
    );
    if (!c.wantDeps) continue; // the upstream case does not check dependencies
    const wantDeps = Object.fromEntries(
      (c.wantDeps ?? []).map((d: any) => [d.ID, [...d.DependsOn].filter((x: string) => x.includes('@', 1)).sort()]),
    );
    const gotDeps = Object.fromEntries(
      r.packages.filter((p) => p.dependsOn?.length).map((p) => [`${p.name}@${p.version}`, [...p.dependsOn!]]),
    );
    for (const k of Object.keys(wantDeps)) if (!wantDeps[k].length || !k.includes('@', 1)) delete wantDeps[k];
    assert.deepEqual(gotDeps, wantDeps, `${c.name} dependsOn`);
  }
});

test('package-lock v1: direct/indirect from the sibling package.json', async () => {
  const lock = JSON.stringify({
    lockfileVersion: 1,
    dependencies: { a: { version: '1.0.0', requires: { b: '^2' } }, b: { version: '2.0.0' }, c: { version: '3.0.0', dev: true } },
  });
  const r = await npmLockAnalyzer.analyzeGroup(
    vfs({
      'srv/app/package-lock.json': lock,
      'srv/app/package.json': JSON.stringify({ dependencies: { a: '^1' }, devDependencies: { c: '^3' } }),
    }),
    ctx,
  );
  const pk = allPackages(r);
  assert.deepEqual(
    keyed(pk, (p) => `${p.purl} ${p.indirect} ${Boolean(p.dev)} ${(p.dependsOn ?? []).join(',')}`),
    ['pkg:npm/a@1.0.0 false false b@2.0.0', 'pkg:npm/b@2.0.0 true false ', 'pkg:npm/c@3.0.0 false true '],
  );
  assert.equal(r?.packageSets?.[0]?.path, 'srv/app/package-lock.json');
  assert.equal(pk[0]?.path, 'srv/app/package-lock.json');
});

test('package-lock: scoped purl, required() paths, malformed input warns', async () => {
  const r = parsePackageLock(
    JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/@babel/core': { version: '7.0.0' } } }),
  );
  assert.equal(r.packages[0]?.purl, 'pkg:npm/%40babel/core@7.0.0');
  assert.equal(npmLockAnalyzer.required('app/package-lock.json', { size: 1, mode: 0o644 }), true);
  assert.equal(npmLockAnalyzer.required('app/node_modules/.package-lock.json', { size: 1, mode: 0o644 }), false);
  assert.equal(npmLockAnalyzer.required('app/node_modules/x/package-lock.json', { size: 1, mode: 0o644 }), false);
  for (const bad of ['{', 'null', '[]', '{"packages": 3}', '{"dependencies": {"a": 1, "b": {"version": 7}}}']) {
    const x = await npmLockAnalyzer.analyzeGroup(vfs({ 'package-lock.json': bad }), ctx);
    assert.equal(allPackages(x).length, 0, bad);
  }
  const x = await npmLockAnalyzer.analyzeGroup(vfs({ 'package-lock.json': '{' }), ctx);
  assert.match(x?.warnings?.[0] ?? '', /not JSON/);
});

test('installed package.json: osv-scalibr packagejson goldens', { skip: skipNoVectors }, () => {
  const g = golden('osv-scalibr/javascript_packagejson/expected.packagejson.json');
  let n = 0;
  for (const c of g.tests.TestExtract) {
    if (c.includeDeps) continue; // scalibr option reporting manifest ranges as packages: not our semantics
    const content = readFileSync(vecPath(`osv-scalibr/javascript_packagejson/${c.path}`), 'utf8');
    const r = parseInstalledPackageJson(content);
    const want = (c.wantPackages ?? []).map((p: any) => ({ name: p.Name, version: p.Version }));
    assert.deepEqual(ids(r.pkg ? [r.pkg] : []), ids(want), c.name);
    if (c.wantErr) assert.ok(r.warning, `${c.name}: warning expected`);
    n++;
  }
  assert.ok(n > 5);
});

test('installed package.json: required() only under node_modules, licences read', async () => {
  const info = { size: 10, mode: 0o644 };
  assert.equal(npmInstalledAnalyzer.required('app/node_modules/lodash/package.json', info), true);
  assert.equal(npmInstalledAnalyzer.required('app/node_modules/@types/node/package.json', info), true);
  assert.equal(npmInstalledAnalyzer.required('app/node_modules/a/node_modules/b/package.json', info), true);
  assert.equal(npmInstalledAnalyzer.required('app/package.json', info), false);
  assert.equal(npmInstalledAnalyzer.required('app/node_modules/lodash/test/package.json', info), false);
  assert.equal(npmInstalledAnalyzer.required('app/node_modules/@types/package.json', info), false);
  const r = await npmInstalledAnalyzer.analyze(
    file(
      'usr/lib/node_modules/npm/node_modules/@s/x/package.json',
      JSON.stringify({ name: '@s/x', version: '1.2.3', licenses: [{ type: 'MIT' }, 'ISC'] }),
    ),
    ctx,
  );
  const p = allPackages(r)[0];
  assert.equal(p?.purl, 'pkg:npm/%40s/x@1.2.3');
  assert.deepEqual(p?.licences, ['MIT', 'ISC']);
  const bad = await npmInstalledAnalyzer.analyze(file('node_modules/x/package.json', '{nope'), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.ok(bad?.warnings?.length);
});
