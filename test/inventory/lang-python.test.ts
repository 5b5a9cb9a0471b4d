// Python analyzers against osv-scalibr's wheelegg, requirements, poetry.lock and Pipfile.lock goldens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { zipSync } from 'fflate';
import {
  parseCoreMetadata,
  parsePipfileLock,
  parsePoetryLock,
  parseRequirements,
  pep503,
  pipRequirementsAnalyzer,
  pipfileLockAnalyzer,
  poetryLockAnalyzer,
  pythonPackageAnalyzer,
} from '../../packages/inventory/src/lang/python.ts';
import { allPackages, ctx, file, golden, ids, keyed, skipNoVectors, vecPath, vfs } from './lang/vectors.ts';

const SC = 'osv-scalibr';

test('python-pkg: osv-scalibr wheelegg goldens (METADATA, PKG-INFO, .egg-info, .whl, .egg)', { skip: skipNoVectors }, async () => {
  const g = golden(`${SC}/python_wheelegg/expected.wheelegg.json`);
  let n = 0;
  for (const c of g.tests.TestExtract) {
    // The analyzer sees the file under a path it requires: the case name is that suffix.
    const content = readFileSync(vecPath(`${SC}/python_wheelegg/${c.path}`));
    const p =
      c.path.endsWith('.whl') || c.path.endsWith('.egg')
        ? `usr/lib/${c.path.split('/').pop()}`
        : `usr/lib/python3/site-packages/x${c.name.startsWith('.') ? c.name : '.dist-info/METADATA'}`;
    assert.ok(pythonPackageAnalyzer.required(p, { size: content.length, mode: 0o644 }), p);
    const r = await pythonPackageAnalyzer.analyze(file(p, content), ctx);
    const want = (c.wantPackages ?? []).map((x: any) => ({ name: x.Name, version: x.Version }));
    assert.deepEqual(ids(allPackages(r)), ids(want), c.name);
    if (c.wantErr) assert.ok(r?.warnings?.length, `${c.name}: warning expected`);
    n++;
  }
  assert.ok(n >= 10);
});

test('python-pkg: licences from License-Expression, License, or classifiers; purl normalised', () => {
  assert.deepEqual(parseCoreMetadata('Name: A_b.C\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\nLicense: whatever\n')?.licences, [
    'MIT OR Apache-2.0',
  ]);
  assert.deepEqual(
    parseCoreMetadata('Name: x\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n')?.licences,
    ['MIT License'],
  );
  assert.deepEqual(parseCoreMetadata('Name: x\nVersion: 1\nLicense: GPLv2+\n')?.licences, ['GPLv2+']);
  const p = parseCoreMetadata('Name: Zope.Interface\nVersion: 5.0\n\nName: body-is-ignored\n');
  assert.equal(p?.purl, 'pkg:pypi/zope-interface@5.0');
  assert.equal(p?.name, 'Zope.Interface');
  assert.equal(pep503('backports.ssl_match_hostname'), 'backports-ssl-match-hostname');
});

test('python-pkg: required() paths; .whl with a zip bomb-sized METADATA is refused', async () => {
  const info = { size: 100, mode: 0o644 };
  assert.equal(pythonPackageAnalyzer.required('usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA', info), true);
  assert.equal(pythonPackageAnalyzer.required('usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD', info), false);
  assert.equal(pythonPackageAnalyzer.required('usr/lib/python3/dist-packages/pycups-2.0.1.egg-info', info), true);
  assert.equal(pythonPackageAnalyzer.required('x/foo.egg-info/PKG-INFO', info), true);
  assert.equal(pythonPackageAnalyzer.required('x/README.txt', info), false);
  const whl = zipSync({ 'x-1.0.dist-info/METADATA': new Uint8Array(2 * 1024 * 1024).fill(65) });
  const r = await pythonPackageAnalyzer.analyze(file('a/x-1.0-py3-none-any.whl', Buffer.from(whl)), ctx);
  assert.equal(allPackages(r).length, 0);
  const bad = await pythonPackageAnalyzer.analyze(file('a/x.whl', Buffer.from('not a zip')), ctx);
  assert.ok(bad?.warnings?.length);
});

// Scalibr reports unpinned requirements (no version) and ranges (>=, <=, ~=) with their bound;
// we report only pins (== and ===), since a range says nothing about what is installed. So the
// golden is filtered to pins. Scalibr keeps stray text in one version (foo7): we keep the first token.
test('requirements.txt: osv-scalibr goldens (pins only), -r followed within the VirtualFs', { skip: skipNoVectors }, async () => {
  const g = golden(`${SC}/python_requirements/expected.requirements.json`);
  const dir = `${SC}/python_requirements/testdata`;
  const files: Record<string, Buffer> = {};
  for (const f of readdirSync(vecPath(dir))) files[`app/${f}`] = readFileSync(vecPath(`${dir}/${f}`));
  const fsys = vfs(files);
  const load = (p: string) => fsys.get(p)?.content.toString('utf8');
  for (const c of g.tests.TestExtract) {
    const w: string[] = [];
    const got = parseRequirements(`app/${c.path.replace(/^testdata\//, '')}`, load, w);
    const want = (c.wantPackages ?? []).filter(
      (p: any) =>
        p.Version && (!p.Metadata?.VersionComparator || p.Metadata.VersionComparator === '===' || p.Metadata.VersionComparator === '=='),
    );
    assert.deepEqual(ids(got), ids(want.map((p: any) => ({ name: p.Name, version: p.Version.split(' ')[0] }))), c.name);
  }
  // The loop case terminates, and the group analyzer reports every required file.
  assert.ok(pipRequirementsAnalyzer.required('app/requirements.txt', { size: 1, mode: 0o644 }));
  assert.ok(pipRequirementsAnalyzer.required('app/dev-requirements.txt', { size: 1, mode: 0o644 }));
  assert.ok(!pipRequirementsAnalyzer.required('app/notes.txt', { size: 1, mode: 0o644 }));
  const r = await pipRequirementsAnalyzer.analyzeGroup(
    vfs({
      'app/requirements.txt': 'flask==2.0.1 ; python_version > "3"\n-r base/requirements.txt\nrequests>=2\n',
      'app/base/requirements.txt': 'Django[argon2] == 4.2.1\n-r ../requirements.txt\n',
    }),
    ctx,
  );
  const set = r?.packageSets?.find((s) => s.path === 'app/requirements.txt');
  assert.deepEqual(
    keyed(set?.packages ?? [], (p) => p.purl),
    ['pkg:pypi/django@4.2.1', 'pkg:pypi/flask@2.0.1'],
  );
});

// Golden groups: "dev" in DepGroupVals ⇔ our dev flag ("optional" has no counterpart).
test('poetry.lock and Pipfile.lock: osv-scalibr goldens (name, version, dev)', { skip: skipNoVectors }, async () => {
  for (const [rel, parse] of [
    ['python_poetrylock', parsePoetryLock],
    ['python_pipfilelock', parsePipfileLock],
  ] as const) {
    const g = golden(`${SC}/${rel}/expected.${rel.split('_')[1]}.json`);
    for (const c of g.tests.TestExtractor_Extract) {
      const r = parse(readFileSync(vecPath(`${SC}/${rel}/${c.InputConfig.Path}`), 'utf8'));
      const want = keyed(
        c.WantPackages ?? [],
        (p: any) => `${p.Name}@${p.Version}${(p.Metadata?.DepGroupVals ?? []).includes('dev') ? ' dev' : ''}`,
      );
      assert.deepEqual(
        keyed(r.packages, (p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`),
        want,
        `${rel}: ${c.Name}`,
      );
      if (c.WantErr) assert.ok(r.warnings.length > 0, `${c.Name}: warning expected`);
    }
  }
  const r = await poetryLockAnalyzer.analyzeGroup(
    vfs({
      'app/poetry.lock':
        '[[package]]\nname = "a"\nversion = "1"\n[package.dependencies]\nB_c = "*"\n[[package]]\nname = "b-c"\nversion = "2"\n',
    }),
    ctx,
  );
  assert.deepEqual(
    keyed(allPackages(r), (p) => `${p.purl} ${(p.dependsOn ?? []).join(',')}`),
    ['pkg:pypi/a@1 b-c@2', 'pkg:pypi/b-c@2 '],
  );
  const bad = await pipfileLockAnalyzer.analyzeGroup(vfs({ 'Pipfile.lock': '{"default": ' }), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.match(bad?.warnings?.[0] ?? '', /not JSON/);
});
