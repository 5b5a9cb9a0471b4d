// uv.lock. Fixtures modelled on osv-scalibr's extractor/filesystem/language/python/uvlock/testdata
// (grouped-packages.lock, source-git.lock, no-dependencies.lock) and Trivy's
// pkg/dependency/parser/python/uv/testdata (uv_normal.lock: dev-dependencies groups).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Package } from '../../packages/inventory/src/analyzer.ts';
import { parseUvLock, uvLockAnalyzer } from '../../packages/inventory/src/lang/uv.ts';
import { allPackages, ctx, file } from './lang/vectors.ts';

const flags = (pkgs: readonly Package[]) =>
  pkgs
    .map(
      (p) =>
        `${p.name}@${p.version}${p.dev ? ' dev' : ''}${p.indirect ? ' indirect' : ''}${p.dependsOn ? ` -> ${p.dependsOn.join(',')}` : ''}`,
    )
    .sort();

const lock = `version = 1
requires-python = ">=3.12"

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "colorama", marker = "platform_system == 'Windows'" },
]
sdist = { url = "https://files.pythonhosted.org/packages/96/d3/f04c7bfcf5c1862a2a5b845c6b2b360488cf47af55dfa79c98f6a6bf98b5/click-8.1.7.tar.gz", hash = "sha256:ca9853ad459e787e2192211578cc907e7594e294c7ccc834310722b41b9ca6de", size = 336121 }

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "Emoji"
version = "2.14.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "ruff"
version = "0.8.1"
source = { git = "https://github.com/astral-sh/ruff.git?rev=0.8.1#84748be16341b76e073d117329f7f5f4ee2941ad" }

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "six"
version = "1.17.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "uv-lockfiles"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "emoji" },
    { name = "six", version = "1.17.0" },
]

[package.optional-dependencies]
cli = [
    { name = "click" },
]

[package.dev-dependencies]
lint = [
    { name = "ruff" },
]

[package.metadata]
requires-dist = [{ name = "emoji" }]
`;

test('uv.lock: the project skipped; direct from its groups; dev only through dev groups; versioned references', async () => {
  const r = await uvLockAnalyzer.analyze(file('srv/app/uv.lock', lock), ctx);
  assert.equal(r?.warnings, undefined);
  assert.equal(r?.packageSets?.[0]?.analyzer, 'uv-lock');
  const pkgs = allPackages(r);
  assert.deepEqual(flags(pkgs), [
    'Emoji@2.14.0',
    'click@8.1.7 -> colorama@0.4.6',
    'colorama@0.4.6 indirect',
    'ruff@0.8.1 dev',
    'six@1.16.0 dev indirect',
    'six@1.17.0',
  ]);
  assert.equal(pkgs.find((p) => p.name === 'Emoji')?.purl, 'pkg:pypi/emoji@2.14.0');
  assert.ok(pkgs.every((p) => p.type === 'pypi' && p.path === 'srv/app/uv.lock'));
});

test('uv.lock: workspace members (editable) are roots and skipped', () => {
  const ws = `version = 1
[[package]]
name = "member"
version = "0.2.0"
source = { editable = "packages/member" }
dependencies = [{ name = "idna" }]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.org/simple" }
`;
  assert.deepEqual(flags(parseUvLock(ws).packages), ['idna@3.10']);
});

test('uv.lock: empty and malformed input', async () => {
  // Only the project itself: nothing to report.
  assert.equal(
    await uvLockAnalyzer.analyze(
      file('uv.lock', 'version = 1\n[[package]]\nname = "p"\nversion = "0.1.0"\nsource = { virtual = "." }\n'),
      ctx,
    ),
    undefined,
  );
  assert.equal(await uvLockAnalyzer.analyze(file('uv.lock', ''), ctx), undefined);
  const bad = await uvLockAnalyzer.analyze(file('uv.lock', 'this is not valid toml! (I think)\n'), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.match(bad?.warnings?.[0] ?? '', /^uv-lock: uv\.lock: not TOML/);
  const partial = parseUvLock('[[package]]\nversion = "1"\n[[package]]\nname = "x"\n[[package]]\nname = "y"\nversion = "2.0"\n');
  assert.deepEqual(flags(partial.packages), ['y@2.0']);
  assert.deepEqual(partial.warnings, ['[[package]] without a name', 'package x: no version']);
  assert.equal(partial.packages[0]?.indirect, undefined); // no project entry: nothing says what is direct
});

test('uv.lock is wanted by name only', () => {
  const info = { size: 10, mode: 0o644 };
  assert.equal(uvLockAnalyzer.required('app/uv.lock', info), true);
  assert.equal(uvLockAnalyzer.required('app/uv.lock.bak', info), false);
});
