// The bearer token flow against a real registry with token auth: challenge, token from the realm
// with basic credentials and the needed scope, the token cached per scope, refusal reported clearly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RegistryClient, RegistryError } from '@assay/registry-client';
import { buildImage, type BuiltImage, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { startTokenRegistry, type TokenRegistry } from './token-registry.ts';

let plain: Registry;
let tokenRegistry: TokenRegistry;
let image: BuiltImage;
const clients: RegistryClient[] = [];
const alice = { username: 'alice', password: 'wonderland' };

function client(opts: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}, host = tokenRegistry.host): RegistryClient {
  const c = new RegistryClient({ registry: host, insecure: true, retries: 0, ...opts });
  clients.push(c);
  return c;
}

before(async () => {
  plain = await startRegistry();
  image = await buildImage({ layers: [[{ path: 'b.txt', content: 'bearer\n' }]] });
  for (const repo of ['team/a', 'team/b', 'secret/app']) await pushImage(plain.host, repo, 'v1', image);
  await plain.stop(); // the token registry serves the same storage from here on
  tokenRegistry = await startTokenRegistry({
    dataDir: plain.dataDir,
    users: { alice: alice.password },
    pullable: (_user, repo) => !repo.startsWith('secret/'),
  });
});

after(async () => {
  for (const c of clients) await c.close();
  await tokenRegistry?.close();
  await plain?.close();
});

test('pull with a token; a second pull within expiry reuses the cached token; scope per repository', async () => {
  const requests = tokenRegistry.tokens.requests;
  const start = requests.length;
  const c = client({ credentials: alice });

  const m = await c.getManifest('team/a', 'v1');
  assert.equal(m.digest, image.digest);
  const first = requests.slice(start);
  assert.equal(first.length, 1, 'one token request for the first pull');
  assert.deepEqual(first[0], { method: 'GET', service: tokenRegistry.service, scopes: ['repository:team/a:pull'], user: 'alice' });

  // Same repository again (manifest and a blob): the cached token is sent up front.
  assert.equal((await c.headManifest('team/a', 'v1'))?.digest, image.digest);
  const config = await c.blobBuffer('team/a', image.configBlob.digest, { maxBytes: 1 << 20 });
  assert.ok(config.equals(image.configBlob.data!));
  assert.equal(requests.length - start, 1, 'no new token request within expiry');

  // Another repository needs its own scope, hence its own token.
  assert.equal((await c.getManifest('team/b', 'v1')).digest, image.digest);
  assert.equal(requests.length - start, 2);
  assert.deepEqual(requests.at(-1)?.scopes, ['repository:team/b:pull']);
  // And team/a is still served from the cache.
  await c.getManifest('team/a', 'v1');
  assert.equal(requests.length - start, 2);
});

test('ping and catalog ask for their own scopes', async () => {
  const requests = tokenRegistry.tokens.requests;
  const c = client({ credentials: alice });
  const ping = await c.ping();
  assert.equal(ping.authScheme, 'bearer');
  const repos: string[] = [];
  for await (const r of c.catalog({ pageSize: 2 })) repos.push(r);
  assert.deepEqual(repos, ['secret/app', 'team/a', 'team/b']);
  assert.ok(requests.some((r) => r.scopes.includes('registry:catalog:*') && r.user === 'alice'));
});

test('an expired token is not reused (expires_in honoured, access_token accepted)', async () => {
  const short = await startTokenRegistry({
    dataDir: plain.dataDir,
    users: { alice: alice.password },
    expiresIn: 1,
    accessTokenField: true,
  });
  try {
    const c = client({ credentials: alice }, short.host);
    await c.getManifest('team/a', 'v1');
    await c.getManifest('team/a', 'v1');
    // A 1 s token is renewed before use once its safety margin is reached: every pull fetches.
    assert.equal(short.tokens.requests.length, 2);
  } finally {
    await short.close();
  }
});

test('wrong credentials: the token endpoint refusal is a RegistryError with UNAUTHORIZED', async () => {
  await assert.rejects(client({ credentials: { username: 'alice', password: 'nope' } }).getManifest('team/a', 'v1'), (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.status, 401);
    assert.ok(err.hasCode('UNAUTHORIZED'));
    assert.match(err.message, /token endpoint .* refused the request for repository:team\/a:pull/);
    return true;
  });
});

test('no access to a repository: 401 from the registry after one token attempt', async () => {
  const requests = tokenRegistry.tokens.requests;
  const start = requests.length;
  await assert.rejects(client({ credentials: alice }).getManifest('secret/app', 'v1'), (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.status, 401);
    assert.ok(err.hasCode('UNAUTHORIZED'), err.message);
    assert.equal(err.repository, 'secret/app');
    return true;
  });
  assert.equal(requests.length - start, 1, 'one token request, no loop');
});

test('anonymous: gets a token without access and is refused', async () => {
  await assert.rejects(client().getManifest('team/a', 'v1'), (err: unknown) => err instanceof RegistryError && err.status === 401);
  assert.ok(tokenRegistry.tokens.requests.some((r) => r.user === undefined));
});
