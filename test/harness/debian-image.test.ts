// Self-tests of the Debian image harness: the cache lock lets one process of many produce an
// entry, and an image from the real mmdebstrap root filesystem pushes to the real registry and
// holds a real dpkg database. The first run builds the rootfs (~20 s); later runs use the cache.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { debianImage } from '../support/debian-rootfs.ts';
import { httpRequest, MANIFEST_ACCEPT, pushImage, skopeoCopy, writeOciLayout } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { startProcess } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';

const DEBIAN_TIMEOUT = 10 * 60_000;

test('cachedFile: of several processes asking at once, one produces and all get the file', async () => {
  const cache = await makeTempDir('cache-lock');
  try {
    const moduleUrl = new URL('../support/debian-rootfs.ts', import.meta.url).href;
    const script = `
      import { appendFile } from 'node:fs/promises';
      import { join } from 'node:path';
      const { cachedFile } = await import(${JSON.stringify(moduleUrl)});
      const path = await cachedFile('thing.txt', async (tmp) => {
        await appendFile(join(process.env.ASSAY_TEST_CACHE, 'producers.log'), process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 700));
        await appendFile(tmp, 'made by ' + process.pid);
      });
      console.log('GOT ' + path);
    `;
    const procs = [0, 1, 2].map(() =>
      startProcess(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ASSAY_TEST_CACHE: cache.path } }),
    );
    const codes = await Promise.all(procs.map((p) => p.exited));
    assert.deepEqual(codes, [0, 0, 0], procs.map((p) => p.output()).join('\n'));
    const producers = (await readFile(join(cache.path, 'producers.log'), 'utf8')).trim().split('\n');
    assert.equal(producers.length, 1);
    assert.equal(await readFile(join(cache.path, 'thing.txt'), 'utf8'), `made by ${producers[0]}`);
    for (const p of procs) assert.match(p.output(), new RegExp(`GOT ${join(cache.path, 'thing.txt')}`));
    assert.deepEqual((await readdir(cache.path)).sort(), ['producers.log', 'thing.txt']);
  } finally {
    await cache.remove();
  }
});

/** Streams a blob from the registry: sha256 of the bytes, and the tar entries after gunzip. */
function fetchLayer(url: string, wanted: string): Promise<{ digest: string; names: number; wantedContent?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode}`));
        const hash = createHash('sha256');
        const tap = new Transform({
          transform(chunk: Buffer, _e, cb) {
            hash.update(chunk);
            cb(null, chunk);
          },
        });
        let names = 0;
        let wantedContent: string | undefined;
        const ex = extract();
        ex.on('entry', (header, stream, next) => {
          names++;
          if (header.name.replace(/^\.\//, '') === wanted) {
            const chunks: Buffer[] = [];
            stream.on('data', (c) => chunks.push(c as Buffer));
            stream.on('end', () => {
              wantedContent = Buffer.concat(chunks).toString('utf8');
              next();
            });
          } else {
            stream.on('end', () => next());
            stream.resume();
          }
        });
        pipeline(res, tap, createGunzip(), ex).then(
          () => resolve({ digest: `sha256:${hash.digest('hex')}`, names, ...(wantedContent !== undefined ? { wantedContent } : {}) }),
          reject,
        );
      })
      .on('error', reject);
  });
}

describe('Debian image from the real root filesystem', { timeout: DEBIAN_TIMEOUT }, () => {
  let registry: Registry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.close();
  });

  test('builds, pushes, and its layer holds var/lib/dpkg/status', { timeout: DEBIAN_TIMEOUT }, async () => {
    const image = await debianImage({
      layers: [[{ path: 'etc/assay-marker', content: 'on top of debian\n' }]],
      config: { User: 'nobody' },
    });
    assert.equal(image.layers.length, 2);
    const base = image.layers[0]!;
    assert.ok(base.file && !base.data, 'the base layer stays in its file');
    assert.ok(base.size > 20 * 1024 * 1024, `base layer is ${base.size} bytes`);
    assert.equal(image.config.config.User, 'nobody');
    assert.deepEqual(image.config.config.Cmd, ['bash']);

    const digest = await pushImage(registry.host, 'library/debian', 'bookworm', image);
    const head = await httpRequest('HEAD', `${registry.url}/v2/library/debian/manifests/bookworm`, { Accept: MANIFEST_ACCEPT });
    assert.equal(head.headers['docker-content-digest'], digest);

    const layer = await fetchLayer(`${registry.url}/v2/library/debian/blobs/${base.digest}`, 'var/lib/dpkg/status');
    assert.equal(layer.digest, base.digest);
    assert.ok(layer.names > 1000, `${layer.names} entries`);
    assert.match(layer.wantedContent ?? '', /^Package: ca-certificates$/m);
    assert.match(layer.wantedContent ?? '', /^Package: dpkg$/m);
  });

  test('skopeo copies it from an OCI layout with the same digest', { timeout: DEBIAN_TIMEOUT }, async () => {
    const image = await debianImage();
    const dir = await makeTempDir('debian-layout');
    try {
      await writeOciLayout(dir.path, [{ tag: 'bookworm', image }]);
      const pushed = await skopeoCopy(dir.path, 'bookworm', registry.host, 'mirror/debian', 'bookworm', { preserveDigests: true });
      assert.equal(pushed, image.digest);
      const head = await httpRequest('HEAD', `${registry.url}/v2/mirror/debian/blobs/${image.layers[0]!.digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(image.layers[0]!.size));
    } finally {
      await dir.remove();
    }
  });
});
