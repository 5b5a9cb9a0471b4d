// Ruby: Gemfile.lock against osv-scalibr's goldens; installed gemspecs handcrafted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bundlerAnalyzer, gemspecAnalyzer, parseGemfileLock, parseGemspec } from '../../packages/inventory/src/lang/ruby.ts';
import { allPackages, ctx, file, golden, ids, keyed, skipNoVectors, vecPath, vfs } from './lang/vectors.ts';

const SC = 'osv-scalibr/ruby_gemfilelock';

test('Gemfile.lock: osv-scalibr goldens', { skip: skipNoVectors }, () => {
  const g = golden(`${SC}/expected.gemfilelock.json`);
  assert.ok(g.tests.TestExtractor_Extract.length >= 10);
  for (const c of g.tests.TestExtractor_Extract) {
    const r = parseGemfileLock(readFileSync(vecPath(`${SC}/${c.InputConfig.Path}`), 'utf8'));
    assert.deepEqual(ids(r.packages), ids((c.WantPackages ?? []).map((p: any) => ({ name: p.Name, version: p.Version }))), c.Name);
  }
});

test('Gemfile.lock: direct from DEPENDENCIES, dependsOn from the specs', async () => {
  const lock =
    'GEM\n  remote: https://rubygems.org/\n  specs:\n    pry (0.14.1)\n      coderay (~> 1.1)\n      method_source (~> 1.0)\n    coderay (1.1.3)\n    method_source (1.0.0)\n    nokogiri (1.13.3-x86_64-linux)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  pry\n  nokogiri (>= 1)\n';
  const r = await bundlerAnalyzer.analyzeGroup(vfs({ 'app/Gemfile.lock': lock }), ctx);
  assert.deepEqual(
    keyed(allPackages(r), (p) => `${p.purl} ${p.indirect} ${(p.dependsOn ?? []).join(',')}`),
    [
      'pkg:gem/coderay@1.1.3 true ',
      'pkg:gem/method_source@1.0.0 true ',
      'pkg:gem/nokogiri@1.13.3 false ',
      'pkg:gem/pry@0.14.1 false coderay@1.1.3,method_source@1.0.0',
    ],
  );
  const bad = await bundlerAnalyzer.analyzeGroup(vfs({ 'Gemfile.lock': '\u0000\u0001 garbage (' }), ctx);
  assert.equal(allPackages(bad).length, 0);
});

const GEMSPEC = `# -*- encoding: utf-8 -*-
# stub: rack 2.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.3"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Leah Neukirchen".freeze]
  s.licenses = ["MIT".freeze, "Ruby".freeze]
  s.summary = "a modular Ruby webserver interface".freeze
end
`;

test('gemspec: installed specifications', async () => {
  assert.ok(gemspecAnalyzer.required('usr/local/bundle/specifications/rack-2.2.3.gemspec', { size: 1, mode: 0o644 }));
  assert.ok(!gemspecAnalyzer.required('app/rack.gemspec', { size: 1, mode: 0o644 }));
  const r = await gemspecAnalyzer.analyze(file('usr/local/bundle/specifications/rack-2.2.3.gemspec', GEMSPEC), ctx);
  const p = allPackages(r)[0];
  assert.equal(p?.purl, 'pkg:gem/rack@2.2.3');
  assert.deepEqual(p?.licences, ['MIT', 'Ruby']);
  assert.equal(
    parseGemspec(
      "Gem::Specification.new do |spec|\n  spec.name = 'x'\n  spec.version = Gem::Version.new('1.0')\n  spec.license = 'BSD-2-Clause'\nend",
    )?.licences?.[0],
    'BSD-2-Clause',
  );
  const bad = await gemspecAnalyzer.analyze(file('a/specifications/b.gemspec', 'puts 1'), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.ok(bad?.warnings?.length);
});
