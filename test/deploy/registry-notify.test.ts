// deploy/compose/registry.yml runs in a real Distribution registry (Debian docker-registry 2.8,
// the code behind registry:2): storage and listen address moved to a temporary directory and a
// free loopback port, the notification host pointed at a local sink — everything else as
// shipped. A manifest push must arrive at the registry-watcher's path with its bearer token,
// and blob pushes must be filtered out by the endpoint's ignoredmediatypes.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { buildImage, httpRequest, pushImage } from '../support/oci-image.ts';
import { freePort } from '../support/ports.ts';
import { startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';

const binary = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']
  .filter(Boolean)
  .map((d) => join(d, 'docker-registry'))
  .find((p) => existsSync(p));

interface Received {
  path: string;
  authorization: string | undefined;
  events: { action: string; target: { mediaType: string; digest: string; repository: string; tag?: string } }[];
}

/** Collects notification POSTs with their path and Authorization header (the watcher's view). */
async function startSink() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: Received['events'] };
        received.push({ path: req.url ?? '', authorization: req.headers.authorization, events: body.events ?? [] });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

interface RegistryYml {
  storage: { filesystem: { rootdirectory: string } };
  http: { addr: string };
  notifications: { endpoints: { url: string; headers: Record<string, string[]> }[] };
}

test('compose registry.yml: a manifest push is announced to the registry-watcher path with its token', { timeout: 60_000 }, async (t) => {
  if (!binary) {
    t.skip('docker-registry is not installed (npm test installs Debian docker-registry)');
    return;
  }
  const shipped = parse(readFileSync(join(repoRoot, 'deploy', 'compose', 'registry.yml'), 'utf8')) as RegistryYml;
  const endpoint = shipped.notifications.endpoints[0]!;
  const watcherUrl = new URL(endpoint.url);
  const sink = await startSink();
  const tmp = await makeTempDir('deploy-registry');
  try {
    const port = await freePort();
    const config = structuredClone(shipped);
    config.storage.filesystem.rootdirectory = join(tmp.path, 'data');
    config.http.addr = `127.0.0.1:${port}`;
    config.notifications.endpoints[0]!.url = `${sink.base}${watcherUrl.pathname}`;
    const file = join(tmp.path, 'config.yml');
    await writeFile(file, JSON.stringify(config));
    const proc = startProcess(binary, ['serve', file]);
    try {
      await waitFor(
        `docker-registry on ${port}`,
        async () => ((await httpRequest('GET', `http://127.0.0.1:${port}/v2/`)).status === 200 ? true : undefined),
        {
          process: proc,
          timeoutMs: 20_000,
        },
      );
      const image = await buildImage({ layers: [[{ path: 'hello.txt', content: 'assay\n' }]] });
      const digest = await pushImage(`127.0.0.1:${port}`, 'team/app', '1.0', image);
      const found = await waitFor(
        'the manifest push notification',
        async () => sink.received.find((r) => r.events.some((e) => e.action === 'push' && e.target.digest === digest)),
        { timeoutMs: 15_000 },
      );
      const event = found.events.find((e) => e.target.digest === digest)!;
      assert.equal(event.target.repository, 'team/app');
      assert.equal(event.target.tag, '1.0');
      assert.equal(found.path, watcherUrl.pathname, 'the registry-watcher endpoint, with the registry name');
      assert.equal(found.authorization, endpoint.headers['Authorization']![0]);
      assert.ok(
        sink.received.every((r) => r.events.every((e) => e.target.mediaType !== 'application/octet-stream')),
        'blob pushes are filtered out (ignoredmediatypes)',
      );
    } finally {
      await proc.stop();
    }
  } finally {
    await sink.close();
    await tmp.remove();
  }
});
