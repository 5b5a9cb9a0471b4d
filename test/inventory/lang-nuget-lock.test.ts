// NuGet packages.lock.json. Fixtures modelled on Trivy's parser testdata
// (pkg/dependency/parser/nuget/lock/testdata: packages_lock_multi.json, packages_lock_legacy.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalyzerRegistry } from '../../packages/inventory/src/analyzer.ts';
import { languageAnalyzers } from '../../packages/inventory/src/lang/index.ts';
import { nugetLockAnalyzer, parseNugetLock } from '../../packages/inventory/src/lang/nuget-lock.ts';
import { allPackages, ctx, file } from './lang/vectors.ts';

const entry = (type: string, resolved: string, deps?: Record<string, string>) => ({
  type,
  ...(type === 'Direct' ? { requested: `[${resolved}, )` } : {}),
  resolved,
  contentHash: 'kNqzY/py4pDlW9aPn2SpnG7y7Mr4Z0jg/BdkHiRr9WLt7k/lwGMmJ5hd3x/ZHDkv8kIdjllkVrrhYkXvj6AkCA==',
  ...(deps ? { dependencies: deps } : {}),
});

// Two frameworks locking the same packages, a different reference assembly each, and the
// solution's own project (type Project) listed with its dependencies.
const multi = JSON.stringify({
  version: 1,
  dependencies: {
    '.NETFramework,Version=v2.0': {
      'AWSSDK.Core': entry('Direct', '3.5.1.30'),
      'Microsoft.NETFramework.ReferenceAssemblies': entry('Direct', '1.0.0', {
        'Microsoft.NETFramework.ReferenceAssemblies.net20': '1.0.0',
      }),
      'Newtonsoft.Json': entry('Direct', '12.0.3'),
      'Microsoft.NETFramework.ReferenceAssemblies.net20': entry('Transitive', '1.0.0'),
    },
    '.NETFramework,Version=v4.0': {
      'AWSSDK.Core': entry('Direct', '3.5.1.30'),
      'Microsoft.NETFramework.ReferenceAssemblies': entry('Direct', '1.0.0', {
        'Microsoft.NETFramework.ReferenceAssemblies.net40': '1.0.0',
      }),
      'Newtonsoft.Json': entry('Direct', '12.0.3'),
      'Microsoft.NETFramework.ReferenceAssemblies.net40': entry('Transitive', '1.0.0'),
      'my.project': { type: 'Project', dependencies: { 'Newtonsoft.Json': '12.0.3' } },
    },
  },
});

test('packages.lock.json: one package per name@version across frameworks, Direct/Transitive, dependsOn per framework', async () => {
  const r = await nugetLockAnalyzer.analyze(file('src/App/packages.lock.json', multi), ctx);
  assert.equal(r?.warnings, undefined);
  assert.equal(r?.packageSets?.length, 1);
  assert.equal(r?.packageSets?.[0]?.analyzer, 'nuget-lock');
  const pkgs = allPackages(r);
  assert.deepEqual(pkgs.map((p) => `${p.name}@${p.version}${p.indirect ? ' indirect' : ''}`).sort(), [
    'AWSSDK.Core@3.5.1.30',
    'Microsoft.NETFramework.ReferenceAssemblies.net20@1.0.0 indirect',
    'Microsoft.NETFramework.ReferenceAssemblies.net40@1.0.0 indirect',
    'Microsoft.NETFramework.ReferenceAssemblies@1.0.0',
    'Newtonsoft.Json@12.0.3',
  ]);
  const ref = pkgs.find((p) => p.name === 'Microsoft.NETFramework.ReferenceAssemblies');
  assert.deepEqual(ref?.dependsOn, [
    'Microsoft.NETFramework.ReferenceAssemblies.net20@1.0.0',
    'Microsoft.NETFramework.ReferenceAssemblies.net40@1.0.0',
  ]);
  assert.equal(pkgs.find((p) => p.name === 'Newtonsoft.Json')?.purl, 'pkg:nuget/Newtonsoft.Json@12.0.3');
  assert.ok(pkgs.every((p) => p.type === 'nuget' && p.path === 'src/App/packages.lock.json'));
  assert.ok(!pkgs.some((p) => p.name === 'my.project'));
});

test('packages.lock.json v2: CentralTransitive is indirect; Direct in any framework wins', () => {
  const v2 = JSON.stringify({
    version: 2,
    dependencies: {
      'net8.0': { Serilog: entry('Direct', '3.1.1'), 'System.Text.Json': entry('CentralTransitive', '8.0.4') },
      'net6.0': { Serilog: entry('Transitive', '3.1.1') },
    },
  });
  const r = parseNugetLock(v2);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    r.packages.map((p) => [p.name, p.indirect]),
    [
      ['Serilog', false],
      ['System.Text.Json', true],
    ],
  );
});

test('packages.lock.json: empty and malformed files give no packages, malformed ones a warning', async () => {
  assert.equal(
    await nugetLockAnalyzer.analyze(file('packages.lock.json', JSON.stringify({ version: 1, dependencies: {} })), ctx),
    undefined,
  );
  const empty = await nugetLockAnalyzer.analyze(file('packages.lock.json', ''), ctx);
  assert.equal(allPackages(empty).length, 0);
  assert.match(empty?.warnings?.[0] ?? '', /^nuget-lock: packages\.lock\.json: not JSON/);
  const bad = parseNugetLock('{"version": 1, "dependencies": {"net8.0": {"A": {"type": "Direct"}, "B": 3}, "net6.0": []}}');
  assert.deepEqual(bad.packages, []);
  assert.deepEqual(bad.warnings, ['target net8.0: A has no resolved version', 'target net6.0: not an object']);
  assert.deepEqual(parseNugetLock('[1]').warnings, ['not a packages.lock.json object']);
  assert.match(parseNugetLock('{"version": 9, "dependencies": {}}').warnings[0] ?? '', /version 9 is not known/);
});

test('packages.lock.json is routed to nuget-lock only', () => {
  const reg = new AnalyzerRegistry(languageAnalyzers());
  assert.deepEqual(
    reg.wanting('app/packages.lock.json', { size: 100, mode: 0o644 }).map((a) => a.type),
    ['nuget-lock'],
  );
  assert.deepEqual(reg.wanting('app/packages.lock.json.bak', { size: 100, mode: 0o644 }), []);
});
