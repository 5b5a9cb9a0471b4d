// Self-tests of the OCI image builder: digests and diff_ids are what the bytes hash to, each
// compression decodes back to the same tar, entries come out as written (hostile ones included),
// and the layout it writes is one that umoci and skopeo accept.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { createGunzip, gunzipSync } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import {
  buildImage,
  buildIndex,
  buildLayer,
  decompress,
  hostileLayers,
  MediaTypes,
  sha256Digest,
  tarBytes,
  writeOciLayout,
} from '../support/oci-image.ts';
import { startProcess } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';

interface TarItem {
  header: Header;
  content: Buffer;
}

async function readTar(tar: Buffer): Promise<TarItem[]> {
  const items: TarItem[] = [];
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      items.push({ header: entry.header, content: Buffer.concat(chunks) });
    }
  })();
  ex.end(tar);
  await done;
  return items;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const p = startProcess(cmd, args);
  const code = await p.exited;
  assert.equal(code, 0, `${cmd} ${args.join(' ')}\n${p.output()}`);
  return p.output();
}

describe('buildImage', () => {
  test('digests, sizes and diff_ids match the bytes; the same spec gives the same digests', async () => {
    const spec = {
      layers: [
        [
          { path: 'etc', type: 'dir' as const },
          { path: 'etc/os-release', content: 'ID=assay\n' },
        ],
        [{ path: 'app/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755 }],
      ],
      config: { User: 'app', Env: ['A=1'], Entrypoint: ['/app/run.sh'], WorkingDir: '/app', ExposedPorts: { '8080/tcp': {} } },
      annotations: { 'org.opencontainers.image.source': 'https://example.invalid/assay' },
    };
    const image = await buildImage(spec);
    assert.equal(image.digest, sha256Digest(image.bytes));
    assert.equal(image.size, image.bytes.length);
    assert.deepEqual(JSON.parse(image.bytes.toString('utf8')), image.manifest);
    assert.equal(image.manifest.mediaType, MediaTypes.ociManifest);
    assert.equal(image.manifest.annotations?.['org.opencontainers.image.source'], 'https://example.invalid/assay');
    assert.equal(image.manifest.config.digest, sha256Digest(image.configBlob.data!));
    const config = JSON.parse(image.configBlob.data!.toString('utf8')) as typeof image.config;
    assert.equal(config.config.User, 'app');
    assert.deepEqual(config.config.ExposedPorts, { '8080/tcp': {} });
    assert.equal(config.os, 'linux');
    assert.equal(config.rootfs.diff_ids.length, 2);
    image.layers.forEach((layer, i) => {
      assert.equal(layer.mediaType, MediaTypes.ociLayerGzip);
      assert.equal(image.manifest.layers[i]?.digest, sha256Digest(layer.data!));
      assert.equal(image.manifest.layers[i]?.size, layer.data!.length);
      assert.equal(config.rootfs.diff_ids[i], sha256Digest(gunzipSync(layer.data!)));
    });
    assert.equal((await buildImage(spec)).digest, image.digest);
  });

  test('gzip, zstd and none hold the same tar under the right media types', async () => {
    const entries = [{ path: 'data.txt', content: 'x'.repeat(10_000) }];
    const tar = await tarBytes(entries);
    const expected = { gzip: MediaTypes.ociLayerGzip, zstd: MediaTypes.ociLayerZstd, none: MediaTypes.ociLayer };
    for (const compression of ['gzip', 'zstd', 'none'] as const) {
      const layer = await buildLayer({ entries, compression });
      assert.equal(layer.mediaType, expected[compression]);
      assert.equal(layer.diffId, sha256Digest(tar));
      assert.deepEqual(decompress(layer.data!, compression), tar);
      if (compression !== 'none') assert.ok(layer.size < tar.length / 10, `${compression} compresses`);
    }
    await assert.rejects(buildImage({ layers: [{ entries, compression: 'zstd' }], mediaTypes: 'docker' }), /zstd/);
  });

  test('entries come out as written: types, modes, owners, links, whiteouts', async () => {
    const items = await readTar(
      await tarBytes([
        { path: 'bin', type: 'dir', mode: 0o700 },
        { path: 'bin/tool', content: 'ELF', mode: 0o4755, uid: 1000, gid: 2000 },
        { path: 'bin/alias', type: 'symlink', linkname: 'tool' },
        { path: 'bin/hard', type: 'hardlink', linkname: 'bin/tool' },
        { path: 'etc/.wh.removed.conf' },
        { path: 'var/cache/.wh..wh..opq' },
        { path: 'run/fifo', type: 'fifo' },
        { path: `deep/${'d'.repeat(120)}/file`, content: 'long name' },
      ]),
    );
    const byName = new Map(items.map((i) => [i.header.name.replace(/\/$/, ''), i]));
    assert.equal(byName.get('bin')?.header.type, 'directory');
    assert.equal(byName.get('bin')?.header.mode, 0o700);
    assert.equal(byName.get('bin/tool')?.header.mode, 0o4755);
    assert.equal(byName.get('bin/tool')?.header.uid, 1000);
    assert.equal(byName.get('bin/tool')?.header.gid, 2000);
    assert.equal(byName.get('bin/tool')?.content.toString(), 'ELF');
    assert.equal(byName.get('bin/alias')?.header.type, 'symlink');
    assert.equal(byName.get('bin/alias')?.header.linkname, 'tool');
    assert.equal(byName.get('bin/hard')?.header.type, 'link');
    assert.equal(byName.get('bin/hard')?.header.linkname, 'bin/tool');
    assert.equal(byName.get('etc/.wh.removed.conf')?.header.size, 0);
    assert.ok(byName.has('var/cache/.wh..wh..opq'));
    assert.equal(byName.get('run/fifo')?.header.type, 'fifo');
    assert.equal(byName.get(`deep/${'d'.repeat(120)}/file`)?.content.toString(), 'long name');
  });

  test('a multi-platform index lists each image with its platform', async () => {
    const a = await buildImage({ layers: [[{ path: 'a', content: 'a' }]], platform: { architecture: 'amd64', os: 'linux' } });
    const b = await buildImage({ layers: [[{ path: 'b', content: 'b' }]], platform: { architecture: 'arm', os: 'linux', variant: 'v7' } });
    const index = buildIndex([a, b]);
    assert.equal(index.mediaType, MediaTypes.ociIndex);
    assert.equal(index.digest, sha256Digest(index.bytes));
    assert.deepEqual(
      index.index.manifests.map((m) => [m.digest, m.platform?.architecture, m.platform?.variant]),
      [
        [a.digest, 'amd64', undefined],
        [b.digest, 'arm', 'v7'],
      ],
    );
    const dockerA = await buildImage({ layers: [[{ path: 'a', content: 'a' }]], mediaTypes: 'docker' });
    assert.equal(buildIndex([dockerA]).mediaType, MediaTypes.dockerManifestList);
  });
});

describe('hostile layers are what they claim', () => {
  test('path traversal and absolute paths survive into the tar unchanged', async () => {
    const traversal = (await readTar(await tarBytes(hostileLayers.pathTraversal()))).map((i) => i.header.name);
    assert.deepEqual(traversal, ['../../etc/passwd', 'app/../../../escape.txt']);
    const absolute = await readTar(await tarBytes(hostileLayers.absolutePaths()));
    assert.equal(absolute[0]?.header.name, '/etc/shadow');
    assert.equal(absolute[1]?.header.type, 'link');
    assert.equal(absolute[1]?.header.linkname, '/etc/shadow');
  });

  test('symlink loop and symlink escape', async () => {
    const loop = await readTar(await tarBytes(hostileLayers.symlinkLoop()));
    const links = new Map(loop.filter((i) => i.header.type === 'symlink').map((i) => [i.header.name, i.header.linkname]));
    assert.deepEqual(Object.fromEntries(links), { 'loop/a': 'b', 'loop/b': 'a', 'loop/self': 'self' });
    const escape = await readTar(await tarBytes(hostileLayers.symlinkEscape()));
    assert.equal(escape[0]?.header.type, 'symlink');
    assert.match(escape[0]?.header.linkname ?? '', /^(\.\.\/){3,}/);
    assert.equal(escape[1]?.header.name, 'escape/assay-escaped.txt');
  });

  test('gzip bomb: tiny blob, huge stream, one entry of the stated size, diff_id right', async () => {
    const size = 256 * 1024 * 1024;
    const layer = await buildLayer(hostileLayers.gzipBomb(size));
    assert.ok(layer.size * 500 < size, `ratio ${size / layer.size}`);
    const hash = (await import('node:crypto')).createHash('sha256');
    const names: [string, number][] = [];
    let total = 0;
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      names.push([header.name, header.size]);
      stream.on('data', (c) => (total += (c as Buffer).length));
      stream.on('end', () => next());
      stream.resume();
    });
    const hasher = new (await import('node:stream')).Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(Readable.from([layer.data!]), createGunzip(), hasher, ex);
    assert.deepEqual(names, [['zeros.bin', size]]);
    assert.equal(total, size);
    assert.equal(`sha256:${hash.digest('hex')}`, layer.diffId);
  });

  test('digest and diff_id mismatches state what the bytes are not', async () => {
    const image = await buildImage({ layers: [hostileLayers.digestMismatch(), hostileLayers.diffIdMismatch()] });
    const [wrongDigest, wrongDiffId] = image.layers;
    assert.ok(wrongDigest && wrongDiffId);
    assert.equal(wrongDigest.actualDigest, sha256Digest(wrongDigest.data!));
    assert.notEqual(wrongDigest.digest, wrongDigest.actualDigest);
    assert.equal(image.manifest.layers[0]?.digest, wrongDigest.digest);
    assert.equal(image.config.rootfs.diff_ids[0], sha256Digest(gunzipSync(wrongDigest.data!)));
    assert.equal(wrongDiffId.digest, wrongDiffId.actualDigest);
    assert.notEqual(image.config.rootfs.diff_ids[1], sha256Digest(gunzipSync(wrongDiffId.data!)));
  });

  test('truncated gzip does not decompress; not-a-tar decompresses but is no tar', async () => {
    const truncated = await buildLayer(hostileLayers.truncatedGzip());
    assert.throws(() => gunzipSync(truncated.data!));
    const notTar = await buildLayer(hostileLayers.notATar());
    const plain = gunzipSync(notTar.data!);
    assert.match(plain.toString('utf8'), /not a tar/);
    await assert.rejects(readTar(plain));
  });
});

describe('OCI image layout', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await makeTempDir('layout');
  });
  after(async () => {
    await dir?.remove();
  });

  test('writeOciLayout writes index.json and blobs that umoci and skopeo read back', async () => {
    const image = await buildImage({
      layers: [[{ path: 'etc/hostname', content: 'assay\n' }], [{ path: 'etc/.wh.hostname' }]],
      config: { Cmd: ['sh'], Labels: { 'org.example': 'yes' } },
    });
    const index = buildIndex([image]);
    await writeOciLayout(dir.path, [{ tag: 'single', image }]);
    await writeOciLayout(dir.path, [{ tag: 'multi', image: index }]);
    const layoutIndex = JSON.parse(await readFile(join(dir.path, 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    assert.deepEqual(
      layoutIndex.manifests.map((m) => [m.annotations['org.opencontainers.image.ref.name'], m.digest]),
      [
        ['single', image.digest],
        ['multi', index.digest],
      ],
    );
    const blob = await readFile(join(dir.path, 'blobs', 'sha256', image.layers[0]!.digest.slice('sha256:'.length)));
    assert.equal(sha256Digest(blob), image.layers[0]!.digest);

    const stat = JSON.parse(await run('umoci', ['stat', '--json', '--image', `${dir.path}:single`])) as {
      history: { created_by: string }[];
    };
    assert.equal(stat.history.length, 2);
    const raw = await run('skopeo', ['inspect', '--raw', `oci:${dir.path}:single`]);
    assert.equal(sha256Digest(raw), image.digest);
    const config = JSON.parse(await run('skopeo', ['inspect', '--config', `oci:${dir.path}:single`])) as {
      config: { Labels: Record<string, string> };
    };
    assert.equal(config.config.Labels['org.example'], 'yes');
  });
});
