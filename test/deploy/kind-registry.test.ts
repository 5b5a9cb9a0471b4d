// The kind overlay's registry wiring, run for real: Distribution (Debian docker-registry 2.8, the
// code behind registry:2) with the overlay's ConfigMap config — storage and listen address moved
// to a temporary directory and a free loopback port, the notification host pointed at the
// watcher, path and token as shipped — and the registry-watcher in-process with the dev
// Secret's WATCHER_REGISTRIES and NOTIFICATION_TOKEN, its `url` pointed at that registry and its
// `host` (localhost:30500, what the node pulls) as shipped. A push through the registry's own
// address is announced and recorded under the name pods use: localhost:30500/<repo>:<tag>.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { connectAdmin, DiscoveredEvents, smallImage, startWatcher, tagDigest, type RegistryEntry } from '../registry-watcher/helpers.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { httpRequest, pushImage } from '../support/oci-image.ts';
import { freePort } from '../support/ports.ts';
import { startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { renderKustomization } from './kustomize-render.ts';

interface RegistryYml {
  storage: { filesystem: { rootdirectory: string } };
  http: { addr: string };
  notifications: { endpoints: { url: string; headers: Record<string, string[]> }[] };
}

test(
  'kind: a push to the in-cluster registry reaches the watcher and is recorded as localhost:30500/<repo>:<tag>',
  { timeout: 90_000 },
  async () => {
    const objs = renderKustomization(join(repoRoot, 'deploy', 'k8s', 'overlays', 'kind'));
    const configMap = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'registry-config') as
      { data: Record<string, string> } | undefined;
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === 'assay-registry-watcher') as
      { stringData: Record<string, string> } | undefined;
    assert.ok(configMap && secret, 'the registry ConfigMap and the watcher Secret');
    const shipped = parse(configMap.data['config.yml']!) as RegistryYml;
    const [kind] = parse(secret.stringData['WATCHER_REGISTRIES']!) as (RegistryEntry & { host: string })[];
    assert.equal(kind!.host, 'localhost:30500');

    const nats = await startNatsServer();
    const tmp = await makeTempDir('kind-registry');
    const registryPort = await freePort();
    const watcherPort = await freePort();
    const registryUrl = `http://127.0.0.1:${registryPort}`;
    let watcher: Awaited<ReturnType<typeof startWatcher>> | undefined;
    let proc: ReturnType<typeof startProcess> | undefined;
    const admin = await connectAdmin(nats.url);
    try {
      // Notifications only (no polling): a poll must not be what finds the push.
      watcher = await startWatcher(nats.url, [{ ...kind!, url: registryUrl, pollIntervalSeconds: 0 }], {
        HTTP_PORT: String(watcherPort),
        NOTIFICATION_TOKEN: secret.stringData['NOTIFICATION_TOKEN']!,
      });
      const events = await DiscoveredEvents.start(admin.bus);

      const config = structuredClone(shipped);
      config.storage.filesystem.rootdirectory = join(tmp.path, 'data');
      config.http.addr = `127.0.0.1:${registryPort}`;
      const endpoint = new URL(config.notifications.endpoints[0]!.url);
      config.notifications.endpoints[0]!.url = `http://127.0.0.1:${watcherPort}${endpoint.pathname}`;
      const file = join(tmp.path, 'config.yml');
      await writeFile(file, JSON.stringify(config));
      proc = startProcess('docker-registry', ['serve', file]);
      const p = proc;
      await waitFor(
        `docker-registry on ${registryPort}`,
        async () => ((await httpRequest('GET', `${registryUrl}/v2/`)).status === 200 ? true : undefined),
        {
          process: p,
          timeoutMs: 20_000,
        },
      );

      const image = await smallImage('kind-registry');
      const digest = await pushImage(`127.0.0.1:${registryPort}`, 'demo/clean', '1', image);
      const [event] = await events.waitCount('demo/clean', 1, 30_000);
      assert.equal(event!.image?.registry, 'localhost:30500', 'announced under the name the node pulls');
      assert.equal(event!.image?.digest, digest);
      const kv = await admin.tags();
      assert.equal(await tagDigest(kv, 'localhost:30500', 'demo/clean', '1'), digest, 'tags bucket: localhost:30500/demo/clean:1');
      assert.equal(
        await tagDigest(kv, `127.0.0.1:${registryPort}`, 'demo/clean', '1'),
        undefined,
        'never under the address Assay reaches it at',
      );
      events.stop();
    } finally {
      await proc?.stop();
      await watcher?.stop();
      await admin.bus.close();
      await nats.close();
      await tmp.remove();
    }
  },
);
