// HTTPS with a private CA: the registry's certificate is trusted only when its CA is given.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { RegistryClient, RegistryError } from '@assay/registry-client';
import { buildImage, type BuiltImage, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, startProcess } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';

const run = promisify(execFile);
let plain: Registry;
let tls: { host: string; ca: string; proc: ManagedProcess; remove(): Promise<void> };
let image: BuiltImage;
const clients: RegistryClient[] = [];

before(async () => {
  plain = await startRegistry();
  image = await buildImage({ layers: [[{ path: 't.txt', content: 'tls\n' }]] });
  await pushImage(plain.host, 'secure/app', 'v1', image);
  await plain.stop();
  const tmp = await makeTempDir('tls-registry');
  const key = join(tmp.path, 'key.pem');
  const cert = join(tmp.path, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  const port = await freePort();
  const config = join(tmp.path, 'config.yml');
  await writeFile(
    config,
    JSON.stringify({
      version: '0.1',
      log: { level: 'info', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: plain.dataDir } },
      http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex'), tls: { certificate: cert, key } },
    }),
  );
  const proc = startProcess('docker-registry', ['serve', config]);
  tls = { host: `127.0.0.1:${port}`, ca: await readFile(cert, 'utf8'), proc, remove: tmp.remove };
  // Ready when it answers over TLS (with its CA trusted).
  const probe = new RegistryClient({ registry: tls.host, ca: tls.ca, retries: 0, timeoutMs: 1000 });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await probe.ping();
      break;
    } catch (err) {
      if (Date.now() > deadline || proc.child.exitCode !== null)
        throw new Error(`TLS registry did not start: ${String(err)}\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await probe.close();
});

after(async () => {
  for (const c of clients) await c.close();
  await tls?.proc.stop();
  await tls?.remove();
  await plain?.close();
});

test('with the registry CA: manifests over HTTPS', async () => {
  const c = new RegistryClient({ registry: tls.host, ca: tls.ca, retries: 0 });
  clients.push(c);
  assert.equal(c.baseUrl, `https://${tls.host}`);
  assert.equal((await c.getManifest('secure/app', 'v1')).digest, image.digest);
});

test('without the CA: the untrusted certificate is refused, not retried into success', async () => {
  const c = new RegistryClient({ registry: tls.host, retries: 0 });
  clients.push(c);
  await assert.rejects(c.ping(), (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.match(err.message, /certificate/i);
    return true;
  });
});
