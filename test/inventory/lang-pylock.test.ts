// PEP 751 pylock.toml. Fixtures modelled on osv-scalibr's
// extractor/filesystem/language/python/pylock/testdata (example.toml, commits.toml,
// pip-just-self.toml) and Trivy's pkg/dependency/parser/python/pylock/testdata/pylock.toml
// (one name, two versions for two environments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Package } from '../../packages/inventory/src/analyzer.ts';
import { isPylockFile, parsePylock, pylockAnalyzer } from '../../packages/inventory/src/lang/pylock.ts';
import { allPackages, ctx, file } from './lang/vectors.ts';

const flags = (pkgs: readonly Package[]) =>
  pkgs.map((p) => `${p.name}@${p.version}${p.dependsOn ? ` -> ${p.dependsOn.join(',')}` : ''}`).sort();

const lock = `lock-version = '1.0'
environments = ["sys_platform == 'win32'", "sys_platform == 'linux'"]
requires-python = '==3.12'
created-by = 'mousebender'

[[packages]]
name = 'attrs'
version = '25.1.0'
requires-python = '>=3.8'
wheels = [
  {name = 'attrs-25.1.0-py3-none-any.whl', upload-time = 2025-01-25T11:30:10.164985+00:00, url = 'https://files.pythonhosted.org/packages/fc/30/d4986a882011f9df997a55e6becd864812ccfcd821d64aac8570ee39f719/attrs-25.1.0-py3-none-any.whl', size = 63152, hashes = {sha256 = 'c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a'}},
]

[[packages]]
name = 'cattrs'
version = '24.1.2'
dependencies = [
  {name = 'attrs'},
  {name = 'Spam', version = '1.1.0'},
]

[[packages]]
name = "spam"
version = "1.0.0"
marker = "sys_platform == 'linux'"

[[packages]]
name = "spam"
version = "1.1.0"
marker = "sys_platform == 'win32'"

[[packages]]
name = "mleroc"
vcs = { type = "git", url = "https://github.com/Veggente/mleroc.git", commit-id = "735093f03c4d8be70bfaaae44074ac92d7419b6d" }

[[packages]]
name = "net-inf-eval"
directory = { path = ".", editable = true }

[[packages]]
name = "Python_Dateutil"
version = "2.9.0.post0"
index = "https://pypi.org/simple"

[tool.mousebender]
command = ['.', 'lock', 'cattrs']
`;

test('pylock.toml: packages by name and version; the local project and versionless entries skipped', async () => {
  const r = await pylockAnalyzer.analyze(file('app/pylock.toml', lock), ctx);
  assert.equal(r?.warnings, undefined);
  const pkgs = allPackages(r);
  assert.deepEqual(flags(pkgs), [
    'Python_Dateutil@2.9.0.post0',
    'attrs@25.1.0',
    'cattrs@24.1.2 -> attrs@25.1.0,spam@1.1.0',
    'spam@1.0.0',
    'spam@1.1.0',
  ]);
  assert.equal(pkgs.find((p) => p.name === 'Python_Dateutil')?.purl, 'pkg:pypi/python-dateutil@2.9.0.post0');
  assert.ok(pkgs.every((p) => p.type === 'pypi' && p.path === 'app/pylock.toml' && p.dev === undefined));
});

test('pylock.toml: lock-version checked', () => {
  assert.deepEqual(parsePylock(`lock-version = "1.1"\n[[packages]]\nname = "a"\nversion = "1"\n`).warnings, []);
  const v2 = parsePylock(`lock-version = "2.0"\n[[packages]]\nname = "a"\nversion = "1"\n`);
  assert.deepEqual(v2.warnings, ['lock-version "2.0" is not 1.x: read as 1.0']);
  assert.deepEqual(flags(v2.packages), ['a@1']);
  assert.deepEqual(parsePylock(`[[packages]]\nname = "a"\nversion = "1"\n`).warnings, ['no lock-version: read as 1.0']);
});

test('pylock.toml: empty and malformed input', async () => {
  assert.equal(await pylockAnalyzer.analyze(file('pylock.toml', ''), ctx), undefined);
  // pip's lock of a project with no dependencies: only the project itself.
  assert.equal(
    await pylockAnalyzer.analyze(
      file(
        'pylock.toml',
        `lock-version = "1.0"\ncreated-by = "pip"\npackages = [\n  { name = "hspaans-github-io", directory = { path = ".", editable = true } },\n]\n`,
      ),
      ctx,
    ),
    undefined,
  );
  const bad = await pylockAnalyzer.analyze(file('pylock.toml', 'this is not valid toml! (I think)\n'), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.match(bad?.warnings?.[0] ?? '', /^pylock: pylock\.toml: not TOML/);
  const odd = parsePylock(
    `lock-version = "1.0"\npackages = [{ version = "1" }, 3, { name = "b", version = "2", dependencies = [{ name = "missing" }, 7] }]\n`,
  );
  assert.deepEqual(flags(odd.packages), ['b@2']);
  assert.deepEqual(odd.warnings, ['[[packages]] entry without a name']);
});

test('pylock file names: pylock.toml and pylock.<name>.toml only', () => {
  assert.equal(isPylockFile('app/pylock.toml'), true);
  assert.equal(isPylockFile('app/pylock.dev.toml'), true);
  assert.equal(isPylockFile('app/pylock.a.b.toml'), false);
  assert.equal(isPylockFile('app/mypylock.toml'), false);
  assert.equal(isPylockFile('app/pylock.toml.orig'), false);
});
