// Basic auth against a real registry with an htpasswd file: credentials given directly, from a
// Docker config.json, and from a kubernetes.io/dockerconfigjson Secret; and a clear failure without.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  credentialsFromDockerConfig,
  credentialsFromDockerConfigSecret,
  dockerConfigCredentialProvider,
  RegistryClient,
  RegistryError,
} from '@assay/registry-client';
import { buildImage, type BuiltImage, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';

const user = { username: 'assay', password: 's3cret:with:colons' };
let registry: Registry;
let image: BuiltImage;
const clients: RegistryClient[] = [];

function client(opts: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const c = new RegistryClient({ registry: registry.host, insecure: true, retries: 0, ...opts });
  clients.push(c);
  return c;
}

before(async () => {
  registry = await startRegistry({ basicAuth: user });
  image = await buildImage({ layers: [[{ path: 'a.txt', content: 'a\n' }]] });
  await pushImage(registry.host, 'team/app', 'v1', image, { auth: user });
});

after(async () => {
  for (const c of clients) await c.close();
  await registry?.close();
});

test('with credentials: ping, tags, manifest and blob succeed', async () => {
  const c = client({ credentials: user });
  assert.equal((await c.ping()).authScheme, 'basic');
  const tags: string[] = [];
  for await (const t of c.tags('team/app')) tags.push(t);
  assert.deepEqual(tags, ['v1']);
  const m = await c.getManifest('team/app', 'v1');
  assert.equal(m.digest, image.digest);
  const buf = await c.blobBuffer('team/app', image.configBlob.digest, { maxBytes: 1 << 20 });
  assert.ok(buf.equals(image.configBlob.data!));
});

test('without credentials: RegistryError 401 UNAUTHORIZED naming the registry', async () => {
  await assert.rejects(client().getManifest('team/app', 'v1'), (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.status, 401);
    assert.ok(err.hasCode('UNAUTHORIZED'), err.message);
    assert.equal(err.registry, registry.host);
    assert.equal(err.repository, 'team/app');
    return true;
  });
});

test('with a wrong password: 401, and the same credentials are not resent in a loop', async () => {
  await assert.rejects(client({ credentials: { username: 'assay', password: 'wrong' } }).headManifest('team/app', 'v1'), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 401);
    assert.deepEqual(err.codes, ['UNAUTHORIZED']);
    return true;
  });
});

test('credentials from a Docker config.json object (auth field and username/password fields)', async () => {
  const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
  const config = { auths: { 'https://index.docker.io/v1/': { auth: 'ZG9jazpodWI=' }, [`http://${registry.host}/v2/`]: { auth } } };
  const creds = credentialsFromDockerConfig(config, registry.host);
  assert.deepEqual(creds, user);
  const c = client({ credentials: dockerConfigCredentialProvider(JSON.stringify(config)) });
  assert.equal((await c.getManifest('team/app', 'v1')).digest, image.digest);

  const plain = { auths: { [registry.host]: { username: user.username, password: user.password } } };
  assert.equal(
    (await client({ credentials: credentialsFromDockerConfig(plain, registry.host)! }).getManifest('team/app', 'v1')).digest,
    image.digest,
  );
});

test('credentials from a kubernetes.io/dockerconfigjson Secret', async () => {
  const dockerconfigjson = JSON.stringify({
    auths: {
      [registry.host]: {
        username: user.username,
        password: user.password,
        auth: Buffer.from(`${user.username}:${user.password}`).toString('base64'),
      },
    },
  });
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: 'pull', namespace: 'apps' },
    data: { '.dockerconfigjson': Buffer.from(dockerconfigjson).toString('base64') },
  };
  const c = client({ credentials: credentialsFromDockerConfigSecret(secret) });
  assert.equal((await c.getManifest('team/app', 'v1')).digest, image.digest);
});

test('Docker config matching rules', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const config = {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
      'ghcr.io': { username: 'gh', password: 'ghpw' },
      'registry.example.com:5000': { identitytoken: 'refresh-me' },
    },
  };
  assert.deepEqual(credentialsFromDockerConfig(config, 'docker.io'), { username: 'hub', password: 'hubpw' });
  assert.deepEqual(credentialsFromDockerConfig(JSON.stringify(config), 'index.docker.io'), { username: 'hub', password: 'hubpw' });
  assert.deepEqual(credentialsFromDockerConfig(config, 'ghcr.io'), { username: 'gh', password: 'ghpw' });
  assert.deepEqual(credentialsFromDockerConfig(config, 'registry.example.com:5000'), { identityToken: 'refresh-me' });
  assert.equal(credentialsFromDockerConfig(config, 'registry.example.com'), undefined, 'the port is part of the key');
  assert.equal(credentialsFromDockerConfig(config, 'quay.io'), undefined);
  assert.throws(
    () => credentialsFromDockerConfig({ auths: { 'x.io': { auth: b64('no-colon') } } }, 'x.io'),
    /not base64 of "username:password"/,
  );
});

test('legacy .dockercfg Secret and a Secret without data', () => {
  const legacy = { 'quay.io': { auth: Buffer.from('q:qpw').toString('base64'), email: 'x@y' } };
  const provider = credentialsFromDockerConfigSecret({
    type: 'kubernetes.io/dockercfg',
    data: { '.dockercfg': Buffer.from(JSON.stringify(legacy)).toString('base64') },
  });
  assert.deepEqual(provider('quay.io'), { username: 'q', password: 'qpw' });
  assert.throws(
    () => credentialsFromDockerConfigSecret({ type: 'Opaque', metadata: { name: 'x', namespace: 'ns' }, data: {} }),
    /secret ns\/x: no \.dockerconfigjson or \.dockercfg data \(type Opaque\)/,
  );
});
