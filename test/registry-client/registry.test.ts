// RegistryClient against a real Distribution 2.8 registry: ping, catalog and tags pagination,
// manifests of both media-type families, index expansion, verified blob streams, and a planted
// digest-mismatch layer.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DigestMismatchError, MediaTypes, RegistryClient, RegistryError } from '@assay/registry-client';
import { buildImage, buildIndex, hostileLayers, pushImage, type BuiltImage, type BuiltIndex } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';

let registry: Registry;
let client: RegistryClient;
let ociImage: BuiltImage;
let dockerImage: BuiltImage;
let index: BuiltIndex;
let dockerList: BuiltIndex;
let bigLayerImage: BuiltImage;

const amd64 = { architecture: 'amd64', os: 'linux' };
const arm64 = { architecture: 'arm64', os: 'linux', variant: 'v8' };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

before(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ registry: registry.host, insecure: true, timeoutMs: 10_000 });
  ociImage = await buildImage({ layers: [[{ path: 'etc/os-release', content: 'ID=assay\n' }]], platform: amd64 });
  dockerImage = await buildImage({ layers: [[{ path: 'hello.txt', content: 'docker\n' }]], mediaTypes: 'docker', platform: amd64 });
  const ociArm = await buildImage({ layers: [[{ path: 'etc/os-release', content: 'ID=assay-arm\n' }]], platform: arm64 });
  index = buildIndex([ociImage, ociArm]);
  const dockerArm = await buildImage({ layers: [[{ path: 'hello.txt', content: 'docker arm\n' }]], mediaTypes: 'docker', platform: arm64 });
  dockerList = buildIndex([dockerImage, dockerArm]);
  // A layer of a few MiB of incompressible bytes: streamed in many chunks.
  const noise = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < noise.length; i += 32) createHash('sha256').update(String(i)).digest().copy(noise, i);
  bigLayerImage = await buildImage({ layers: [[{ path: 'noise.bin', content: noise }]], compression: 'none' });

  await pushImage(registry.host, 'apps/oci', 'v1', ociImage);
  await pushImage(registry.host, 'apps/docker', 'v1', dockerImage);
  await pushImage(registry.host, 'apps/multi', 'v1', index);
  await pushImage(registry.host, 'apps/dockerlist', 'v1', dockerList);
  await pushImage(registry.host, 'apps/big', 'v1', bigLayerImage);
  for (let i = 0; i < 5; i++) await pushImage(registry.host, 'apps/many-tags', `t${i}`, ociImage);
});

after(async () => {
  await client?.close();
  await registry?.close();
});

test('ping: a v2 registry answers with its API version', async () => {
  const r = await client.ping();
  assert.equal(r.apiVersion, 'registry/2.0');
  assert.equal(r.authScheme, undefined);
});

test('ping: nothing listening is a RegistryError naming the registry', async () => {
  await registry.stop();
  try {
    const c = new RegistryClient({ registry: registry.host, insecure: true, retries: 1, retryPolicy: { baseDelayMs: 10 } });
    await assert.rejects(c.ping(), (err: unknown) => {
      assert.ok(err instanceof RegistryError, String(err));
      assert.match(err.message, new RegExp(`registry ${registry.host.replace(/\./g, '\\.')}`));
      assert.match(err.message, /ECONNREFUSED|request failed/);
      assert.equal(err.timedOut, false);
      return true;
    });
    await c.close();
  } finally {
    await registry.start();
  }
});

test('catalog pages through every repository (page size 2)', async () => {
  const repos = await collect(client.catalog({ pageSize: 2 }));
  assert.deepEqual(repos, ['apps/big', 'apps/docker', 'apps/dockerlist', 'apps/many-tags', 'apps/multi', 'apps/oci']);
  // Without a page size the registry picks one; the same list either way.
  assert.deepEqual(await collect(client.catalog()), repos);
});

test('tags pages through every tag (page size 2)', async () => {
  const tags = await collect(client.tags('apps/many-tags', { pageSize: 2 }));
  assert.deepEqual(tags.sort(), ['t0', 't1', 't2', 't3', 't4']);
});

test('tags of an unknown repository: RegistryError with NAME_UNKNOWN', async () => {
  await assert.rejects(collect(client.tags('apps/nope')), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 404);
    assert.deepEqual(err.codes, ['NAME_UNKNOWN']);
    assert.equal(err.repository, 'apps/nope');
    assert.match(err.message, /NAME_UNKNOWN/);
    return true;
  });
});

describe('manifests', () => {
  test('headManifest of an OCI image by tag and by digest', async () => {
    const byTag = await client.headManifest('apps/oci', 'v1');
    assert.deepEqual(byTag, { digest: ociImage.digest, mediaType: MediaTypes.ociManifest, size: ociImage.size });
    assert.deepEqual(await client.headManifest('apps/oci', ociImage.digest), byTag);
  });

  test('headManifest of a Docker schema 2 image and of an index', async () => {
    assert.deepEqual(await client.headManifest('apps/docker', 'v1'), {
      digest: dockerImage.digest,
      mediaType: MediaTypes.dockerManifest,
      size: dockerImage.size,
    });
    assert.deepEqual(await client.headManifest('apps/multi', 'v1'), {
      digest: index.digest,
      mediaType: MediaTypes.ociIndex,
      size: index.size,
    });
  });

  test('headManifest of an unknown tag is undefined', async () => {
    assert.equal(await client.headManifest('apps/oci', 'missing'), undefined);
  });

  test('getManifest returns the exact bytes, digest and media type (OCI and Docker)', async () => {
    for (const [repo, img] of [
      ['apps/oci', ociImage],
      ['apps/docker', dockerImage],
      ['apps/multi', index],
      ['apps/dockerlist', dockerList],
    ] as const) {
      const m = await client.getManifest(repo, 'v1');
      assert.equal(m.digest, img.digest, repo);
      assert.equal(m.mediaType, img.mediaType, repo);
      assert.equal(m.size, img.size, repo);
      assert.ok(m.bytes.equals(img.bytes), repo);
      assert.deepEqual(m.json, JSON.parse(img.bytes.toString('utf8')));
      const byDigest = await client.getManifest(repo, img.digest);
      assert.equal(byDigest.digest, img.digest);
    }
  });

  test('getManifest of an unknown tag: RegistryError with MANIFEST_UNKNOWN', async () => {
    await assert.rejects(client.getManifest('apps/oci', 'missing'), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 404);
      assert.ok(err.hasCode('MANIFEST_UNKNOWN'), err.message);
      assert.match(err.message, /repository apps\/oci/);
      return true;
    });
  });

  test('invalid repository or reference is refused before any request', async () => {
    await assert.rejects(client.getManifest('../etc', 'v1'), /invalid repository name/);
    await assert.rejects(client.getManifest('apps/oci', 'bad/tag'), /invalid manifest reference/);
  });

  test('expandIndex gives one descriptor per platform (OCI index and Docker list)', async () => {
    for (const [repo, idx] of [
      ['apps/multi', index],
      ['apps/dockerlist', dockerList],
    ] as const) {
      const m = await client.getManifest(repo, 'v1');
      const platforms = await client.expandIndex(repo, m);
      assert.deepEqual(
        platforms.map((p) => ({ digest: p.digest, mediaType: p.mediaType, size: p.size, platform: p.platform })),
        idx.images.map((img) => ({ digest: img.digest, mediaType: img.mediaType, size: img.size, platform: img.platform })),
      );
      assert.deepEqual(
        platforms.map((p) => p.platform?.architecture),
        ['amd64', 'arm64'],
      );
      // Each expanded manifest is fetchable by its digest and is an image manifest.
      for (const p of platforms) assert.equal((await client.getManifest(repo, p.digest)).mediaType, p.mediaType);
    }
  });

  test('expandIndex of a single image reads its platform from the config', async () => {
    const m = await client.getManifest('apps/docker', 'v1');
    assert.deepEqual(await client.expandIndex('apps/docker', m), [
      { digest: dockerImage.digest, mediaType: MediaTypes.dockerManifest, size: dockerImage.size, platform: amd64 },
    ]);
  });
});

describe('blobs', () => {
  test('blob streams the bytes and they hash to the digest', async () => {
    const layer = bigLayerImage.layers[0]!;
    const stream = await client.blob('apps/big', layer.digest, { expectedSize: layer.size });
    const hash = createHash('sha256');
    let chunks = 0;
    let bytes = 0;
    for await (const c of stream) {
      hash.update(c as Buffer);
      bytes += (c as Buffer).length;
      chunks++;
    }
    assert.equal(bytes, layer.size);
    assert.equal(`sha256:${hash.digest('hex')}`, layer.digest);
    assert.ok(chunks > 1, `streamed in ${chunks} chunks, not one buffer`);
  });

  test('a blob over maxBytes is refused', async () => {
    const layer = bigLayerImage.layers[0]!;
    await assert.rejects(client.blob('apps/big', layer.digest, { maxBytes: 1024 }), DigestMismatchError);
  });

  test('a planted digest-mismatch layer makes the stream fail with DigestMismatchError', async () => {
    const hostile = await buildImage({ layers: [hostileLayers.digestMismatch()] });
    await pushImage(registry.host, 'apps/hostile', 'v1', hostile, { unchecked: registry });
    const layer = hostile.layers[0]!;
    assert.notEqual(layer.digest, layer.actualDigest, 'the layer is what it claims to be');
    const stream = await client.blob('apps/hostile', layer.digest);
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      (err: unknown) => {
        assert.ok(err instanceof DigestMismatchError, String(err));
        assert.equal(err.expected, layer.digest);
        assert.equal(err.actual, layer.actualDigest);
        return true;
      },
    );
    // A buffered read fails the same way.
    await assert.rejects(client.blobBuffer('apps/hostile', layer.digest, { maxBytes: 1 << 20 }), DigestMismatchError);
  });

  test('an unknown blob: RegistryError with BLOB_UNKNOWN', async () => {
    await assert.rejects(client.blob('apps/oci', `sha256:${'0'.repeat(64)}`), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 404);
      assert.ok(err.hasCode('BLOB_UNKNOWN'), err.message);
      return true;
    });
  });
});
