// An npm project shipped with its lockfile and its installed node_modules names every package
// twice (npm-lock from package-lock.json, npm-installed from node_modules/*/package.json): the
// report lists each once, `path` the first place it was found and `locations` every place.
// Two lockfiles or two binaries in one directory stay apart (nothing says they are one install).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ScanReportSchema } from '@assay/domain';
import {
  analyzeLayer,
  buildReport,
  DEFAULT_LIMITS,
  defaultAnalyzerRegistry,
  finalView,
  newScanState,
  type LayerAnalysis,
} from '@assay/scan-engine';
import type { Package } from '@assay/inventory';
import { mergePackageLocations } from '../../packages/scan-engine/src/package-locations.ts';
import { buildLayer, sha256Digest, type LayerEntry } from '../support/oci-image.ts';

// A package-lock.json v3 as npm 9+ writes it (shape of npm's own docs/examples).
const lock = JSON.stringify({
  name: 'web',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'web', version: '1.0.0', dependencies: { lodash: '^4.17.21', '@types/node': '^20' }, devDependencies: { ms: '^2' } },
    'node_modules/lodash': { version: '4.17.21', resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz', license: 'MIT' },
    'node_modules/@types/node': { version: '20.11.5', dependencies: { 'undici-types': '~5.26.4' } },
    'node_modules/undici-types': { version: '5.26.5' },
    'node_modules/ms': { version: '2.1.3', dev: true },
  },
});
const installed = (name: string, version: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, version, ...extra });

async function walk(entries: LayerEntry[]): Promise<LayerAnalysis> {
  const l = await buildLayer(entries);
  return analyzeLayer(Readable.from([l.data!]), defaultAnalyzerRegistry(), {
    layerDigest: l.digest,
    expectedDiffId: l.diffId,
    limits: DEFAULT_LIMITS,
  });
}

function report(analyses: LayerAnalysis[]) {
  const state = newScanState();
  state.analyses = analyses;
  state.view = finalView(analyses);
  const r = buildReport({ registry: 'registry.example', repository: 'web', digest: sha256Digest('x') }, {}, state);
  return ScanReportSchema.parse(r);
}

test('package-lock.json and node_modules in one image: one package, both locations', async () => {
  const a = await walk([
    { path: 'srv/web/package.json', content: installed('web', '1.0.0', { dependencies: { lodash: '^4.17.21' } }) },
    { path: 'srv/web/package-lock.json', content: lock },
    { path: 'srv/web/node_modules/lodash/package.json', content: installed('lodash', '4.17.21', { license: 'MIT' }) },
    { path: 'srv/web/node_modules/@types/node/package.json', content: installed('@types/node', '20.11.5', { license: 'MIT' }) },
    { path: 'srv/web/node_modules/undici-types/package.json', content: installed('undici-types', '5.26.5') },
    { path: 'srv/web/node_modules/ms/package.json', content: installed('ms', '2.1.3') },
    // Another project in the image with the same lodash: a different place, its own entry.
    { path: 'opt/tool/node_modules/lodash/package.json', content: installed('lodash', '4.17.21') },
  ]);
  // The walker still sees both sources.
  assert.ok(a.packageSets.some((s) => s.analyzer === 'npm-lock'));
  assert.ok(a.packageSets.some((s) => s.analyzer === 'npm-installed'));
  const r = report([a]);
  const byPurl = new Map<string, any[]>();
  for (const p of r.packages as any[]) byPurl.set(p.purl, [...(byPurl.get(p.purl) ?? []), p]);
  const lodash = byPurl.get('pkg:npm/lodash@4.17.21') ?? [];
  assert.equal(lodash.length, 2, JSON.stringify(lodash));
  const web = lodash.find((p) => p.path.startsWith('srv/web/'));
  assert.deepEqual([...web.locations].sort(), ['srv/web/node_modules/lodash/package.json', 'srv/web/package-lock.json']);
  assert.equal(web.path, web.locations[0]);
  assert.equal(web.indirect, false); // the lockfile knows it is direct
  assert.deepEqual(web.licences, ['MIT']);
  const tool = lodash.find((p) => p.path.startsWith('opt/tool/'));
  assert.equal(tool.locations, undefined);
  for (const purl of ['pkg:npm/%40types/node@20.11.5', 'pkg:npm/undici-types@5.26.5', 'pkg:npm/ms@2.1.3'])
    assert.equal(byPurl.get(purl)?.length, 1, purl);
  assert.equal(byPurl.get('pkg:npm/ms@2.1.3')?.[0].dev, true); // dev from the lockfile survives the merge
  assert.deepEqual(byPurl.get('pkg:npm/%40types/node@20.11.5')?.[0].dependsOn, ['undici-types@5.26.5']);
  assert.equal(r.summary?.packages, r.packages.length);
  assert.equal(r.packages.length, 5);
});

test('lockfile in one layer, node_modules in the next: merged, first layer kept', async () => {
  const l0 = await walk([{ path: 'app/package-lock.json', content: lock }]);
  const l1 = await walk([{ path: 'app/node_modules/lodash/package.json', content: installed('lodash', '4.17.21') }]);
  const r = report([l0, l1]);
  const lodash = (r.packages as any[]).filter((p) => p.name === 'lodash');
  assert.equal(lodash.length, 1);
  assert.equal(lodash[0].layerDigest, l0.layerDigest);
  assert.deepEqual(lodash[0].locations, ['app/package-lock.json', 'app/node_modules/lodash/package.json']);
});

test('not merged: two lockfiles or two binaries in one directory', () => {
  const p = (path: string, purl = 'pkg:golang/stdlib@1.22.1'): Package => ({ name: 'x', version: '1', type: 'golang', purl, path });
  const two = [p('usr/bin/a'), p('usr/bin/b'), p('app/package-lock.json', 'pkg:npm/a@1'), p('app/yarn.lock', 'pkg:npm/a@1')];
  assert.deepEqual(mergePackageLocations(two), two);
  // composer.lock and vendor/composer/installed.json: the same rule as npm's.
  const php = [
    p('app/composer.lock', 'pkg:composer/monolog/monolog@3.5.0'),
    p('app/vendor/composer/installed.json', 'pkg:composer/monolog/monolog@3.5.0'),
  ];
  const merged = mergePackageLocations(php);
  assert.equal(merged.length, 1);
  assert.deepEqual(merged[0]?.locations, ['app/composer.lock', 'app/vendor/composer/installed.json']);
});
