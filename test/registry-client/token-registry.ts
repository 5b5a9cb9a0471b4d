// A real Distribution 2.8 registry with token authentication (`auth: token`), and the token
// endpoint it points at: a loopback HTTP server of the test's own that checks basic credentials,
// counts token requests and signs ES256 JWTs whose `x5c` header holds a self-signed certificate
// that is also the registry's rootcertbundle. The registry serves the storage of another
// (unauthenticated) registry, so images are pushed there first with the ordinary helpers.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { importPKCS8, SignJWT } from 'jose';
import { httpRequest } from '../support/oci-image.ts';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';

export interface TokenRequestRecord {
  method: string;
  service: string | null;
  scopes: string[];
  user: string | undefined;
}

export interface TokenServer {
  readonly realm: string;
  readonly requests: TokenRequestRecord[];
  close(): Promise<void>;
}

export interface TokenRegistry {
  readonly host: string;
  readonly tokens: TokenServer;
  readonly service: string;
  close(): Promise<void>;
}

export interface TokenRegistryOptions {
  /** Storage root of a registry the images were pushed to (`Registry.dataDir`). */
  dataDir: string;
  users: Record<string, string>;
  /** Repositories each user may pull; `*` for all. */
  pullable?: (user: string | undefined, repository: string) => boolean;
  /** `expires_in` the token endpoint answers with (seconds). */
  expiresIn?: number;
  /** Answer with `access_token` instead of `token`. */
  accessTokenField?: boolean;
}

const run = promisify(execFile);

export async function startTokenRegistry(opts: TokenRegistryOptions): Promise<TokenRegistry> {
  const tmp = await makeTempDir('token-registry');
  const dir = tmp.path;
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=assay-test-token-issuer',
  ]);
  const certPem = await readFile(certFile, 'utf8');
  const x5c = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  const key = await importPKCS8(await readFile(keyFile, 'utf8'), 'ES256');
  const service = 'assay-test-registry';
  const issuer = 'assay-test-issuer';
  const requests: TokenRequestRecord[] = [];
  const pullable = opts.pullable ?? (() => true);

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const scopes = url.searchParams.getAll('scope');
      let user: string | undefined;
      const auth = req.headers.authorization;
      if (auth?.startsWith('Basic ')) {
        const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const name = decoded.slice(0, colon);
        if (colon === -1 || opts.users[name] !== decoded.slice(colon + 1)) {
          requests.push({ method: req.method ?? '', service: url.searchParams.get('service'), scopes, user: undefined });
          res
            .writeHead(401, { 'content-type': 'application/json' })
            .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
          return;
        }
        user = name;
      }
      requests.push({ method: req.method ?? '', service: url.searchParams.get('service'), scopes, user });
      // Docker's token spec: grant what was asked for and is allowed; anonymous gets nothing.
      const access = scopes.flatMap((s) => {
        const [type, name, actions] = s.split(':');
        if (type === 'repository' && name && user && pullable(user, name)) {
          return [{ type, name, actions: (actions ?? '').split(',').filter((a) => a === 'pull') }];
        }
        if (type === 'registry' && name === 'catalog' && user) return [{ type, name, actions: ['*'] }];
        return [];
      });
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = opts.expiresIn ?? 300;
      const jwt = await new SignJWT({ access })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [x5c] })
        .setIssuer(issuer)
        .setSubject(user ?? '')
        .setAudience(service)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + expiresIn)
        .setJti(randomUUID())
        .sign(key);
      const body = opts.accessTokenField
        ? { access_token: jwt, expires_in: expiresIn }
        : { token: jwt, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;

  const port = await freePort();
  const configFile = join(dir, 'config.yml');
  await writeFile(
    configFile,
    JSON.stringify({
      version: '0.1',
      log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: opts.dataDir } },
      http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
      auth: { token: { realm, service, issuer, rootcertbundle: certFile } },
    }),
  );
  const proc: ManagedProcess = startProcess('docker-registry', ['serve', configFile]);
  const closeServer = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  try {
    await waitFor(
      `token-auth docker-registry on ${port}`,
      async () => ((await httpRequest('GET', `http://127.0.0.1:${port}/v2/`)).status === 401 ? true : undefined),
      { process: proc, timeoutMs: 20_000 },
    );
  } catch (err) {
    await proc.kill();
    await closeServer();
    await tmp.remove();
    throw err;
  }
  return {
    host: `127.0.0.1:${port}`,
    service,
    tokens: { realm, requests, close: closeServer },
    async close() {
      await proc.stop();
      await closeServer();
      await tmp.remove();
    },
  };
}
