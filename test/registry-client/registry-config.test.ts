// The registry list's optional `host`: the host[:port] image references name when it is not the
// URL's (kind: the node pulls `localhost:30500/…` through a NodePort, Assay reaches the same
// registry at its Service URL). References match by `host`; requests go to `url` — checked
// against a real Distribution registry.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeRegistry, parseRegistries, RegistryClients, RegistryConfigError } from '@assay/registry-client';
import { buildImage, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';

test('host defaults to the URL host; given, references use it while requests go to the URL', () => {
  const [plain, split] = parseRegistries([
    { name: 'plain', url: 'https://registry.example:8443' },
    {
      name: 'kind',
      url: 'http://registry.assay-system.svc.cluster.local:5000',
      host: 'LocalHost:30500',
      insecure: true,
      trustNotifications: true,
    },
  ]);
  assert.equal(plain!.host, 'registry.example:8443');
  assert.equal(plain!.baseUrl, 'https://registry.example:8443');
  assert.equal(split!.host, 'localhost:30500');
  assert.equal(split!.baseUrl, 'http://registry.assay-system.svc.cluster.local:5000');
  // A push through either name may be notified: both are accepted as notification hosts.
  assert.deepEqual(split!.notificationHosts, ['localhost:30500', 'registry.assay-system.svc.cluster.local:5000']);
  assert.equal(describeRegistry(split!)['host'], 'localhost:30500');
});

test('host is refused unless it is a host[:port] that can start an image reference', () => {
  for (const bad of [
    'http://localhost:30500',
    'localhost:30500/team',
    'registry',
    'localhost:99999',
    'user@host.example',
    'host.example:',
  ]) {
    assert.throws(
      () => parseRegistries([{ name: 'r', url: 'http://127.0.0.1:5000', insecure: true, host: bad }]),
      (err: unknown) =>
        err instanceof RegistryConfigError && err.message.startsWith('[0].host ') && err.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
  for (const good of ['localhost', 'localhost:5000', 'registry.example', '10.0.0.7:30500', '[::1]:5000']) {
    assert.equal(parseRegistries([{ name: 'r', url: 'http://127.0.0.1:5000', insecure: true, host: good }])[0]!.host, good);
  }
});

let registry: Registry;
before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry?.close();
});

test('RegistryClients: a reference naming the configured host reaches the registry at its URL', async () => {
  const image = await buildImage({ layers: [[{ path: 'etc/hostname', content: 'kind\n' }]] });
  await pushImage(registry.host, 'team/app', '1.0', image);
  // The reference host (localhost:30500) has nothing listening here: only the URL can answer.
  const [spec] = parseRegistries([{ name: 'kind', url: registry.url, host: 'localhost:30500', insecure: true }]);
  const clients = new RegistryClients([spec!], { timeoutMs: 5_000, retries: 0 });
  try {
    const client = clients.clientFor('localhost:30500');
    assert.equal(client.registry, 'localhost:30500');
    assert.equal(client.baseUrl, registry.url);
    const head = await client.headManifest('team/app', '1.0');
    assert.equal(head?.digest, image.digest);
  } finally {
    await clients.close();
  }
});
