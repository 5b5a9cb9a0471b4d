// A file an analyzer recognised (its `required()` took it) but could not read must leave a
// warning naming that file, for every analyzer of the default set: through the real layer walker,
// a malformed file of each format, then an oversized one. Binary sniffers (Go, cargo-auditable)
// take every executable and say nothing of one that is not theirs; the secrets scanner reads
// any text: neither has a format to be malformed.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { analyzeLayer, DEFAULT_LIMITS, defaultAnalyzerRegistry, type LayerAnalysis } from '@assay/scan-engine';
import { AnalyzerRegistry, type GroupAnalyzer } from '@assay/inventory';
import { buildLayer, type LayerEntry } from '../support/oci-image.ts';

const garbage = Buffer.from('\u0000\u0001\u0002 {[( not this format )]} \u00ff\n'.repeat(8));
const badJson = '{"name": "x", "packages": {';
const badToml = '[[package]\nname = "x\nversion = ';
const badYaml = 'lockfileVersion: "9.0"\npackages:\n  - [unclosed\n    : : :\n';
const badXml = '<project><dependencies><dependency><groupId>x</groupId>';

/** Analyzer type → a path it takes and content it cannot read. */
const MALFORMED: Record<string, [string, string | Buffer]> = {
  'os-release': ['etc/os-release', garbage],
  dpkg: ['var/lib/dpkg/status', 'Package foo\nthis is not deb822\n\u0000\u0001'],
  apk: ['lib/apk/db/installed', garbage],
  'rpm-sqlite': ['var/lib/rpm/rpmdb.sqlite', garbage],
  'rpm-bdb': ['var/lib/rpm/Packages', garbage],
  'rpm-ndb': ['var/lib/rpm/Packages.db', garbage],
  rpmqa: ['var/lib/rpmmanifest/container-manifest-2', garbage],
  opkg: ['usr/lib/opkg/status', 'Package foo\nthis is not a control file\n\u0000\u0001'],
  'npm-lock': ['app/package-lock.json', badJson],
  'npm-installed': ['app/node_modules/left-pad/package.json', badJson],
  'yarn-lock': ['app/yarn.lock', garbage],
  'pnpm-lock': ['app/pnpm-lock.yaml', badYaml],
  'bun-lock': ['app/bun.lock', badJson],
  'python-pkg': ['usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA', garbage],
  'pip-requirements': ['app/requirements.txt', garbage],
  'poetry-lock': ['app/poetry.lock', badToml],
  'pipfile-lock': ['app/Pipfile.lock', badJson],
  'uv-lock': ['app/uv.lock', badToml],
  pylock: ['app/pylock.toml', badToml],
  gomod: ['app/go.mod', garbage],
  jar: ['app/lib/app.jar', garbage],
  'maven-pom': ['app/pom.xml', badXml],
  'gradle-lockfile': ['app/gradle.lockfile', garbage],
  gemspec: ['usr/local/bundle/specifications/rack-3.0.0.gemspec', garbage],
  bundler: ['app/Gemfile.lock', garbage],
  'cargo-lock': ['app/Cargo.lock', badToml],
  composer: ['app/composer.lock', badJson],
  'dotnet-deps': ['app/app.deps.json', badJson],
  'nuget-lock': ['app/packages.lock.json', badJson],
};
/** Analyzers with no format of their own to be malformed (see above). */
const SNIFFERS = new Set(['gobinary', 'cargo-auditable', 'secrets']);

async function walkWith(registry: AnalyzerRegistry, entries: LayerEntry[], limits = DEFAULT_LIMITS): Promise<LayerAnalysis> {
  const l = await buildLayer(entries);
  return analyzeLayer(Readable.from([l.data!]), registry, { layerDigest: l.digest, expectedDiffId: l.diffId, limits });
}

test('every analyzer of the default set has a malformed case here (or is a sniffer)', () => {
  const types = defaultAnalyzerRegistry().analyzers.map((a) => a.type);
  assert.deepEqual(
    types.filter((t) => !(t in MALFORMED) && !SNIFFERS.has(t)),
    [],
  );
});

for (const a of defaultAnalyzerRegistry().analyzers) {
  const c = MALFORMED[a.type];
  if (!c) continue;
  const [path, content] = c;
  test(`${a.type}: a malformed ${path} gives a warning naming it`, async () => {
    assert.ok(a.required(path, { size: Buffer.byteLength(content), mode: 0o644 }), `${a.type} must take ${path}`);
    const r = await walkWith(new AnalyzerRegistry([a]), [{ path, content }]);
    assert.ok(
      r.warnings.some((w) => w.includes(path)),
      `${a.type}: no warning names ${path}: ${JSON.stringify(r.warnings)}`,
    );
  });
}

test('a recognised file over the size limit: a warning naming it and the limit, for each analyzer', async () => {
  const limits = { ...DEFAULT_LIMITS, maxFileSize: 64 };
  for (const a of defaultAnalyzerRegistry().analyzers) {
    const c = MALFORMED[a.type];
    if (!c) continue;
    const r = await walkWith(new AnalyzerRegistry([a]), [{ path: c[0], content: Buffer.alloc(100, 0x20) }], limits);
    assert.ok(
      r.warnings.some((w) => w.includes(c[0]) && w.includes('64 bytes')),
      `${a.type}: ${JSON.stringify(r.warnings)}`,
    );
  }
});

test('a group analyzer that throws: the warning names the files it was given', async () => {
  const thrower: GroupAnalyzer = {
    kind: 'group',
    type: 'test-thrower',
    version: 1,
    required: (p) => p.endsWith('.thr'),
    analyzeGroup() {
      throw new Error('boom');
    },
  };
  const r = await walkWith(new AnalyzerRegistry([thrower]), [
    { path: 'a/one.thr', content: 'x' },
    { path: 'b/two.thr', content: 'y' },
  ]);
  const w = r.warnings.find((x) => x.startsWith('test-thrower'));
  assert.ok(w, JSON.stringify(r.warnings));
  assert.match(w, /a\/one\.thr/);
  assert.match(w, /b\/two\.thr/);
  assert.match(w, /boom/);
});
