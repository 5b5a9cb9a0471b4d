// Self-tests of the registry harness against the real Distribution server: pushes over the HTTP
// API, fetches by digest under both media type families, push notifications, basic auth,
// multi-platform indexes, skopeo copies of OCI layouts, and blobs planted behind the API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  buildImage,
  buildIndex,
  type BuiltImage,
  hostileLayers,
  httpRequest,
  MANIFEST_ACCEPT,
  MediaTypes,
  pushImage,
  sha256Digest,
  skopeoCopy,
  writeOciLayout,
} from '../support/oci-image.ts';
import { type NotificationSink, type Registry, startNotificationSink, startRegistry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';

const TOKEN = 'sink-token-123';

function smallImage(marker: string, opts: Partial<Parameters<typeof buildImage>[0]> = {}): Promise<BuiltImage> {
  return buildImage({
    layers: [
      [
        { path: 'etc', type: 'dir' },
        { path: 'etc/marker', content: `${marker}\n` },
      ],
    ],
    config: { User: '1000', Cmd: ['/bin/true'], Labels: { marker } },
    ...opts,
  });
}

describe('registry (Distribution) with notifications', () => {
  let sink: NotificationSink;
  let registry: Registry;

  before(async () => {
    sink = await startNotificationSink();
    registry = await startRegistry({ notifications: { url: sink.url, token: TOKEN } });
  });
  after(async () => {
    await registry?.close();
    await sink?.close();
  });

  test('an OCI image pushed over the API comes back by digest, and its blobs verify', async () => {
    const image = await smallImage('oci-roundtrip');
    const digest = await pushImage(registry.host, 'team/app', 'v1', image);
    assert.equal(digest, image.digest);

    for (const accept of [MANIFEST_ACCEPT, MediaTypes.ociManifest]) {
      const res = await httpRequest('GET', `${registry.url}/v2/team/app/manifests/${digest}`, { Accept: accept });
      assert.equal(res.status, 200, `Accept: ${accept}`);
      assert.equal(res.headers['content-type'], MediaTypes.ociManifest);
      assert.equal(res.headers['docker-content-digest'], digest);
      assert.equal(sha256Digest(res.body), digest);
    }
    // Distribution does not down-convert an OCI manifest for a Docker-only client.
    const dockerOnly = await httpRequest('GET', `${registry.url}/v2/team/app/manifests/${digest}`, { Accept: MediaTypes.dockerManifest });
    assert.equal(dockerOnly.status, 404);

    const byTag = await httpRequest('HEAD', `${registry.url}/v2/team/app/manifests/v1`, { Accept: MANIFEST_ACCEPT });
    assert.equal(byTag.headers['docker-content-digest'], digest);

    for (const blob of [image.configBlob, ...image.layers]) {
      const res = await httpRequest('GET', `${registry.url}/v2/team/app/blobs/${blob.digest}`);
      assert.equal(res.status, 200);
      assert.equal(sha256Digest(res.body), blob.digest);
    }
  });

  test('a Docker schema 2 image comes back under the Docker Accept header', async () => {
    const image = await smallImage('docker-roundtrip', { mediaTypes: 'docker' });
    assert.equal(image.mediaType, MediaTypes.dockerManifest);
    assert.equal(image.configBlob.mediaType, MediaTypes.dockerConfig);
    assert.equal(image.layers[0]?.mediaType, MediaTypes.dockerLayerGzip);
    const digest = await pushImage(registry.host, 'team/docker', 'v1', image);
    const res = await httpRequest('GET', `${registry.url}/v2/team/docker/manifests/${digest}`, { Accept: MediaTypes.dockerManifest });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], MediaTypes.dockerManifest);
    assert.equal(sha256Digest(res.body), digest);
  });

  test('a manifest push notifies the sink with media type, digest, repository and tag', async () => {
    const image = await smallImage('notify');
    const digest = await pushImage(registry.host, 'team/notify', 'release-1', image);
    const event = await sink.waitForEvent(
      (e) => e.action === 'push' && e.target.repository === 'team/notify' && e.target.mediaType === MediaTypes.ociManifest,
    );
    assert.equal(event.target.digest, digest);
    assert.equal(event.target.tag, 'release-1');
    assert.equal(event.target.size, image.size);
    assert.deepEqual(
      event.target.references?.map((r) => r.digest).sort(),
      [image.configBlob.digest, ...image.layers.map((l) => l.digest)].sort(),
    );
    const request = sink.requests.find((r) => r.events.includes(event));
    assert.ok(request);
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(request.contentType?.split(';')[0], 'application/vnd.docker.distribution.events.v1+json');
  });

  test('a multi-platform index pushes, and each platform manifest is reachable by digest', async () => {
    const amd64 = await smallImage('amd64', { platform: { architecture: 'amd64', os: 'linux' } });
    const arm64 = await smallImage('arm64', { platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } });
    assert.notEqual(amd64.digest, arm64.digest);
    const index = buildIndex([amd64, arm64], { annotations: { 'org.opencontainers.image.title': 'multi' } });
    const digest = await pushImage(registry.host, 'team/multi', 'latest', index);

    const res = await httpRequest('GET', `${registry.url}/v2/team/multi/manifests/latest`, { Accept: MANIFEST_ACCEPT });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], MediaTypes.ociIndex);
    assert.equal(res.headers['docker-content-digest'], digest);
    const fetched = JSON.parse(res.body.toString('utf8')) as { manifests: { digest: string; platform: { architecture: string } }[] };
    assert.deepEqual(
      fetched.manifests.map((m) => [m.platform.architecture, m.digest]),
      [
        ['amd64', amd64.digest],
        ['arm64', arm64.digest],
      ],
    );
    for (const m of fetched.manifests) {
      const child = await httpRequest('GET', `${registry.url}/v2/team/multi/manifests/${m.digest}`, { Accept: MANIFEST_ACCEPT });
      assert.equal(child.status, 200);
      assert.equal(sha256Digest(child.body), m.digest);
    }
    await sink.waitForEvent((e) => e.action === 'push' && e.target.mediaType === MediaTypes.ociIndex && e.target.digest === digest);
  });

  test('skopeo copies a written OCI layout to the registry with the same digests', async () => {
    const dir = await makeTempDir('layout');
    try {
      const image = await smallImage('skopeo', { compression: 'zstd' });
      const other = await smallImage('skopeo-2', { mediaTypes: 'oci' });
      await writeOciLayout(dir.path, [
        { tag: 'one', image },
        { tag: 'two', image: other },
      ]);
      const pushed = await skopeoCopy(dir.path, 'one', registry.host, 'team/skopeo', 'one', { preserveDigests: true });
      assert.equal(pushed, image.digest);
      const res = await httpRequest('GET', `${registry.url}/v2/team/skopeo/manifests/one`, { Accept: MANIFEST_ACCEPT });
      assert.equal(res.headers['docker-content-digest'], image.digest);
      const layer = await httpRequest('GET', `${registry.url}/v2/team/skopeo/blobs/${image.layers[0]!.digest}`);
      assert.equal(sha256Digest(layer.body), image.layers[0]!.digest);

      const index = buildIndex([image, other]);
      await writeOciLayout(dir.path, [{ tag: 'multi', image: index }]);
      const pushedIndex = await skopeoCopy(dir.path, 'multi', registry.host, 'team/skopeo', 'multi', { preserveDigests: true });
      assert.equal(pushedIndex, index.digest);
    } finally {
      await dir.remove();
    }
  });

  test('a digest-mismatch layer is refused by an honest push and planted by putBlobUnchecked', async () => {
    const image = await buildImage({ layers: [hostileLayers.digestMismatch()] });
    const layer = image.layers[0]!;
    await assert.rejects(pushImage(registry.host, 'team/bad', 'v1', image), /PushOptions.unchecked/);
    await pushImage(registry.host, 'team/bad', 'v1', image, { unchecked: registry });
    const res = await httpRequest('GET', `${registry.url}/v2/team/bad/blobs/${layer.digest}`);
    assert.equal(res.status, 200);
    assert.equal(sha256Digest(res.body), layer.actualDigest);
    assert.notEqual(sha256Digest(res.body), layer.digest);
  });

  test('the registry can be stopped and started again with its content', async () => {
    const image = await smallImage('restart');
    await pushImage(registry.host, 'team/restart', 'v1', image);
    await registry.stop();
    await assert.rejects(httpRequest('GET', `${registry.url}/v2/`));
    await registry.start();
    const res = await httpRequest('HEAD', `${registry.url}/v2/team/restart/manifests/v1`, { Accept: MANIFEST_ACCEPT });
    assert.equal(res.headers['docker-content-digest'], image.digest);
  });
});

describe('registry with basic auth', () => {
  const creds = { username: 'pusher', password: 's3cret-pass' };
  let registry: Registry;

  before(async () => {
    registry = await startRegistry({ basicAuth: creds });
  });
  after(async () => {
    await registry?.close();
  });

  test('rejects anonymous and wrong credentials, accepts the right ones', async () => {
    const anon = await httpRequest('GET', `${registry.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(String(anon.headers['www-authenticate']), /^Basic realm="assay-test"/);
    const wrong = await httpRequest('GET', `${registry.url}/v2/`, {
      Authorization: `Basic ${Buffer.from(`${creds.username}:nope`).toString('base64')}`,
    });
    assert.equal(wrong.status, 401);
    const ok = await httpRequest('GET', `${registry.url}/v2/`, {
      Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`,
    });
    assert.equal(ok.status, 200);
  });

  test('pushes need the credentials', async () => {
    const image = await smallImage('auth');
    await assert.rejects(pushImage(registry.host, 'private/app', 'v1', image), /HTTP 401/);
    assert.equal(await pushImage(registry.host, 'private/app', 'v1', image, { auth: creds }), image.digest);
    const dir = await makeTempDir('layout-auth');
    try {
      await writeOciLayout(dir.path, [{ tag: 'v2', image }]);
      await assert.rejects(skopeoCopy(dir.path, 'v2', registry.host, 'private/app', 'v2'));
      assert.equal(await skopeoCopy(dir.path, 'v2', registry.host, 'private/app', 'v2', { creds }), image.digest);
    } finally {
      await dir.remove();
    }
  });
});
