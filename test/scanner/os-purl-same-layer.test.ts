// A single-layer base image (Alpine, UBI, SLES BCI, Mariner) holds its os-release and its package
// database in the same layer. The database's analyzer runs as the tar is read, before the layer's
// OS is known; the walker must still give its purls the distribution (namespace and `distro`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { analyzeLayer, DEFAULT_LIMITS, defaultAnalyzerRegistry, finalView, type LayerAnalysis } from '@assay/scan-engine';
import { buildLayer, type LayerEntry } from '../support/oci-image.ts';
import { OS_VECTORS } from '../inventory/os-support/vectors.ts';

async function walk(entries: LayerEntry[]): Promise<LayerAnalysis> {
  const l = await buildLayer(entries);
  return analyzeLayer(Readable.from([l.data!]), defaultAnalyzerRegistry(), {
    layerDigest: l.digest,
    expectedDiffId: l.diffId,
    limits: DEFAULT_LIMITS,
  });
}

const purls = (a: LayerAnalysis) => a.packageSets.flatMap((s) => s.packages.map((p) => p.purl));

test('apk database and os-release in one layer: purls carry the Alpine distro', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  // The database is written before os-release in the tar, as in real Alpine layers (etc/ < lib/ would not matter: os detection runs last).
  const a = await walk([
    { path: 'lib/apk/db/installed', content: readFileSync(join(OS_VECTORS, 'osv-scalibr', 'apk', 'testdata', 'installed')) },
    { path: 'etc/alpine-release', content: '3.20.1\n' },
    { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.1\nPRETTY_NAME="Alpine Linux v3.20"\n' },
  ]);
  assert.deepEqual(a.os, { family: 'alpine', name: '3.20.1' });
  const got = purls(a);
  assert.ok(got.length >= 10, `packages: ${got.length}`);
  for (const p of got) assert.match(p, /^pkg:apk\/alpine\/[^?]+\?(.*&)?distro=alpine-3\.20\.1(&|$)/);
  assert.ok(got.includes('pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=alpine-3.20.1'), got.join('\n'));
  // The final view (what the report lists) has them too.
  assert.ok(finalView([a]).packages.every((p) => /distro=alpine-3\.20\.1/.test(p.purl)));
});

test('rpm database and os-release in one layer: purls carry the SUSE namespace and distro', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const a = await walk([
    { path: 'usr/lib/os-release', content: 'NAME="SLES"\nVERSION="15-SP3"\nVERSION_ID="15.3"\nID="sles"\nID_LIKE="suse"\n' },
    { path: 'var/lib/rpm/Packages', content: readFileSync(join(OS_VECTORS, 'osv-scalibr', 'rpm', 'Packages_epoch')) },
  ]);
  assert.equal(a.os?.family, 'sles');
  assert.deepEqual(purls(a), ['pkg:rpm/suse/hello@0.0.1-rls?arch=x86_64&distro=sles-15.3&epoch=1']);
});

test('an OS from a lower layer is replaced by the one this layer states', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const l = await buildLayer([
    { path: 'var/lib/rpm/Packages', content: readFileSync(join(OS_VECTORS, 'osv-scalibr', 'rpm', 'Packages_epoch')) },
    { path: 'etc/os-release', content: 'ID="rhel"\nVERSION_ID="9.4"\n' },
  ]);
  const a = await analyzeLayer(Readable.from([l.data!]), defaultAnalyzerRegistry(), {
    layerDigest: l.digest,
    expectedDiffId: l.diffId,
    limits: DEFAULT_LIMITS,
    os: { family: 'fedora', name: '32' },
  });
  assert.deepEqual(purls(a), ['pkg:rpm/redhat/hello@0.0.1-rls?arch=x86_64&distro=redhat-9.4&epoch=1']);
});

test('without an os-release in the layer, the lower layer OS stays', async (t) => {
  if (!OS_VECTORS) return t.skip('vectors not present');
  const l = await buildLayer([
    { path: 'var/lib/rpm/Packages', content: readFileSync(join(OS_VECTORS, 'osv-scalibr', 'rpm', 'Packages_epoch')) },
  ]);
  const a = await analyzeLayer(Readable.from([l.data!]), defaultAnalyzerRegistry(), {
    layerDigest: l.digest,
    expectedDiffId: l.diffId,
    limits: DEFAULT_LIMITS,
    os: { family: 'fedora', name: '32' },
  });
  assert.equal(a.os, undefined);
  assert.deepEqual(purls(a), ['pkg:rpm/fedora/hello@0.0.1-rls?arch=x86_64&distro=fedora-32&epoch=1']);
});
