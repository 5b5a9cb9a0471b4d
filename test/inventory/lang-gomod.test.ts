// go.mod (+ go.sum) against osv-scalibr's gomod goldens, read in place; handcrafted cases for the
// analyzer's routing, pairing with go.sum, indirect flags, purls and malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { goModAnalyzer, goModPackages } from '../../packages/inventory/src/lang/gomod.ts';
import { allPackages, ctx, golden, ids, keyed, skipNoVectors, vecPath, vfs } from './lang/vectors.ts';

const DIR = 'osv-scalibr/golang_gomod';

test(
  'go.mod: osv-scalibr goldens (Go versions keep their v; no stdlib; local replacements skipped with a warning)',
  { skip: skipNoVectors },
  () => {
    const g = golden(`${DIR}/expected.gomod.json`);
    const cases = g.tests.TestExtractor_Extract as any[];
    assert.ok(cases.length >= 14);
    for (const c of cases) {
      const modPath = vecPath(`${DIR}/${c.InputConfig.Path}`);
      const sumPath = modPath.replace(/\.mod$/, '.sum');
      const r = goModPackages(readFileSync(modPath, 'utf8'), existsSync(sumPath) ? readFileSync(sumPath, 'utf8') : undefined);
      // Differences from upstream, on purpose: the go/toolchain directive is the least Go version,
      // not a build's, so no stdlib; a module replaced by a local directory has no version.
      const want = (c.WantPackages ?? [])
        .filter((p: any) => p.Name !== 'stdlib' && p.Version !== '')
        .map((p: any) => ({ name: p.Name, version: p.Version }));
      const got = r.packages.map((p) => ({ name: p.name, version: p.version.replace(/^v/, '') }));
      assert.deepEqual(ids(got), ids(want), c.Name);
      assert.ok(
        r.packages.every((p) => p.type === 'golang' && p.version.startsWith('v')),
        c.Name,
      );
      if (c.WantErr) assert.match(r.warnings.join('\n'), /not a go\.mod file/, c.Name);
      if ((c.WantPackages ?? []).some((p: any) => p.Version === ''))
        assert.match(r.warnings.join('\n'), /replaced by the local directory \.\/fork\/net: not reported/, c.Name);
    }
    // FileRequired: same answers as upstream for go.mod.
    for (const f of g.tests.TestExtractor_FileRequired as { inputPath: string; want: boolean }[])
      assert.equal(goModAnalyzer.required(f.inputPath, { size: 100, mode: 0o644 }), f.want, f.inputPath);
  },
);

test('go.mod: indirect flags; go.sum read beside a go.mod older than 1.17 only', { skip: skipNoVectors }, async () => {
  const read = (n: string) => readFileSync(vecPath(`${DIR}/testdata/${n}`), 'utf8');
  const r = await goModAnalyzer.analyzeGroup(
    vfs({
      'src/app/go.mod': read('indirect-1.16.mod'),
      'src/app/go.sum': read('indirect-1.16.sum'),
      'src/new/go.mod': read('indirect-1.23.mod'),
      'src/new/go.sum': read('indirect-1.23.sum'), // "wrongly formatted": must not be read at all
    }),
    ctx,
  );
  assert.deepEqual(r?.warnings ?? [], []);
  const sets = r?.packageSets ?? [];
  assert.deepEqual(
    sets.map((s) => s.path),
    ['src/app/go.mod', 'src/new/go.mod'],
  );
  assert.deepEqual(
    keyed(sets[0]!.packages, (p) => `${p.purl} indirect=${p.indirect}`),
    [
      'pkg:golang/github.com/davecgh/go-spew@v1.1.1 indirect=true',
      'pkg:golang/github.com/pmezard/go-difflib@v1.0.0 indirect=true',
      'pkg:golang/github.com/sirupsen/logrus@v1.9.3 indirect=false',
      'pkg:golang/github.com/stretchr/testify@v1.7.0 indirect=true',
      'pkg:golang/golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8 indirect=true',
      'pkg:golang/gopkg.in/yaml.v3@v3.0.0-20200313102051-9f266ea9e77c indirect=true',
    ],
  );
  assert.deepEqual(
    keyed(sets[1]!.packages, (p) => `${p.name}@${p.version} indirect=${p.indirect} path=${p.path}`),
    [
      'github.com/sirupsen/logrus@v1.9.3 indirect=false path=src/new/go.mod',
      'golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8 indirect=true path=src/new/go.mod',
    ],
  );
});

test('go.mod: block and single forms, quoted paths, comments, replacements, the main module left out', () => {
  // Shapes from Go's own modfile testdata and Trivy's gomod fixtures (pkg/dependency/parser/golang/mod/testdata).
  const mod = [
    'module github.com/org/app // the project',
    '',
    'go 1.21',
    'toolchain go1.21.4',
    '',
    'require "github.com/pkg/errors" v0.9.1',
    'require (',
    '\tgithub.com/org/app v0.0.0 // never itself',
    '\tgolang.org/x/net v0.17.0 // indirect; needed by grpc',
    '\tgithub.com/old/lib v1.0.0',
    '\tgithub.com/gone/local v1.2.0',
    '\tgolang.org/x/text v0.3.0+incompatible // indirect',
    ')',
    'exclude golang.org/x/net v0.1.0',
    'retract [v1.0.0, v1.0.5]',
    'replace github.com/old/lib => github.com/new/lib v1.1.0',
    'replace github.com/gone/local v1.2.0 => ../local',
    'replace github.com/not/required v1.0.0 => github.com/x/y v2.0.0',
  ].join('\n');
  const r = goModPackages(mod, 'github.com/never/read v1.0.0 h1:x=\n');
  assert.deepEqual(
    keyed(r.packages, (p) => `${p.purl} ${p.indirect}`),
    [
      'pkg:golang/github.com/new/lib@v1.1.0 false',
      'pkg:golang/github.com/pkg/errors@v0.9.1 false',
      'pkg:golang/golang.org/x/net@v0.17.0 true',
      'pkg:golang/golang.org/x/text@v0.3.0+incompatible true',
    ],
  );
  assert.deepEqual(r.warnings, [
    'github.com/gone/local v1.2.0 is replaced by the local directory ../local: not reported (it has no version)',
  ]);
});

test('go.mod: empty, malformed, and module-cache copies', async () => {
  assert.equal(await goModAnalyzer.analyzeGroup(vfs({ 'go.mod': '' }), ctx), undefined);
  const bad = await goModAnalyzer.analyzeGroup(vfs({ 'app/go.mod': 'this is not a go.mod file!\nrequire a/b v1.0.0\n' }), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.deepEqual(bad?.warnings, ['gomod: app/go.mod: not a go.mod file: line 1: unknown directive "this"']);
  const broken = goModPackages('module x\nrequire (\n\tgithub.com/a/b\n\tgithub.com/c/d v1.0.0\n\t"unterminated v1\n');
  assert.deepEqual(ids(broken.packages), ['github.com/c/d@v1.0.0']);
  assert.equal(broken.warnings.length, 3); // the malformed require, the bad string, the open block
  const binary = goModPackages(Buffer.from([0xff, 0x00, 0x28, 0x0a, 0x29]).toString('latin1'));
  assert.equal(binary.packages.length, 0);
  assert.equal(goModAnalyzer.required('root/go/pkg/mod/github.com/a/b@v1.0.0/go.mod', { size: 10, mode: 0o644 }), false);
  assert.equal(goModAnalyzer.required('usr/local/go/src/go.mod', { size: 10, mode: 0o644 }), true);
  assert.equal(goModAnalyzer.required('app/go.sum', { size: 10, mode: 0o644 }), true);
  // A go.sum without a go.mod says nothing on its own.
  assert.equal(await goModAnalyzer.analyzeGroup(vfs({ 'app/go.sum': 'github.com/a/b v1.0.0 h1:x=\n' }), ctx), undefined);
});
