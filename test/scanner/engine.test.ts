// The scan engine without the service: scanImage against a real registry answers an index as
// `{ kind: 'index' }` with its runnable platforms (no exception for control flow) and an image as
// `{ kind: 'image' }` with its state; the cache keys say what makes an image or a layer scanned again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '@assay/registry-client';
import {
  DEFAULT_LIMITS,
  layerCacheVersions,
  newScanState,
  reportVersions,
  scanImage,
  WALKER_KEY,
  type ScanTarget,
} from '@assay/scan-engine';
import { buildImage, buildIndex, pushImage } from '../support/oci-image.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { testAnalyzers } from './helpers.ts';

const base = [
  { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
  { path: 'srv/app/app.lock', content: 'left-pad@1.3.0\n' },
];

describe('scan engine: stages', () => {
  let registry: Registry;
  let client: RegistryClient;
  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ registry: registry.host, insecure: true, retries: 0 });
  });
  after(async () => {
    await client?.close();
    await registry?.close();
  });

  test('an index is answered as { kind: index } with its platforms; each platform as { kind: image }', async () => {
    const amd = await buildImage({ layers: [base], platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildImage({ layers: [base], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const index = buildIndex([amd, arm]);
    await pushImage(registry.host, 'engine/multi', 'v1', index);
    const deps = { analyzers: testAnalyzers(), clientFor: () => client, limits: DEFAULT_LIMITS };
    const target: ScanTarget = { registry: registry.host, repository: 'engine/multi', digest: index.digest };

    const state = newScanState();
    const result = await scanImage(deps, target, state);
    assert.equal(result.kind, 'index');
    if (result.kind !== 'index') return;
    assert.equal(result.mediaType, index.mediaType);
    assert.deepEqual(
      result.manifests.map((m) => [m.digest, m.platform?.architecture]),
      [
        [amd.digest, 'amd64'],
        [arm.digest, 'arm64'],
      ],
    );
    assert.equal(state.layers.length, 0, 'no layer of an index is fetched');

    const child = await scanImage(deps, { ...target, digest: arm.digest }, newScanState());
    assert.equal(child.kind, 'image');
    if (child.kind !== 'image') return;
    assert.equal(child.state.layers.length, 1);
    assert.ok(child.state.view?.packages.some((p) => p.name === 'left-pad'));
  });

  test('report versions: analyzers and the walker, malware scanning, and the hash of the checks', () => {
    const analyzers = testAnalyzers();
    const plain = reportVersions(analyzers, { malware: false });
    assert.ok(plain[WALKER_KEY] !== undefined, 'the walker is versioned with the analyzers');
    assert.equal(plain['test-os'], 1);
    assert.equal(plain['scanner-malware'], undefined);
    assert.ok(!Object.keys(plain).some((k) => k.startsWith('scanner-checks:')));
    const withMalware = reportVersions(analyzers, { malware: true });
    assert.equal(withMalware['scanner-malware'], 1);
    const checkA = reportVersions(analyzers, { malware: false, checks: [{ id: 'a', kind: 'fileExists', path: '/etc/a' } as never] });
    const checkB = reportVersions(analyzers, { malware: false, checks: [{ id: 'b', kind: 'fileExists', path: '/etc/b' } as never] });
    const checksKey = (v: Record<string, number>) => Object.keys(v).find((k) => k.startsWith('scanner-checks:'));
    assert.ok(checksKey(checkA));
    assert.notEqual(checksKey(checkA), checksKey(checkB), 'other checks are another analysis');
    assert.deepEqual(
      Object.keys(checkA),
      [...Object.keys(checkA)].sort((a, b) => a.localeCompare(b)),
      'sorted',
    );
  });

  test('layer cache versions: clamd database, check paths and the OS below each change the key', () => {
    const analyzers = testAnalyzers();
    const none = layerCacheVersions(analyzers, { checkPaths: new Map() });
    assert.deepEqual(Object.keys(none.forLayer(undefined)).sort(), Object.keys(reportVersions(analyzers, { malware: false })).sort());
    const clamd = layerCacheVersions(analyzers, { clamdVersion: 'ClamAV 1.4.6/27000/Mon Jan 1 2026', checkPaths: new Map() }).forLayer(
      undefined,
    );
    assert.ok(Object.keys(clamd).some((k) => k.startsWith('clamd:')));
    const paths = layerCacheVersions(analyzers, { checkPaths: new Map([['etc/passwd', 1024]]) }).forLayer(undefined);
    const otherPaths = layerCacheVersions(analyzers, { checkPaths: new Map([['etc/shadow', 0]]) }).forLayer(undefined);
    const pathKey = (v: Record<string, number>) => Object.keys(v).find((k) => k.startsWith('check-paths:'));
    assert.ok(pathKey(paths));
    assert.notEqual(pathKey(paths), pathKey(otherPaths));
    const upper = none.forLayer({ family: 'debian', name: '12' });
    assert.equal(upper['lower-os:debian:12'], 0);
    assert.equal(none.forLayer(undefined)['lower-os:debian:12'], undefined, 'a base layer has no OS below');
  });
});
