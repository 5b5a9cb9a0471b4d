// What the walkthrough (`npm run demo`) needs from the local stack besides NATS and the services:
// generated secrets, TLS material for the admission webhook, and a local OCI registry
// (Debian `docker-registry`) that notifies registry-watcher of pushes.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnChild, type Child } from './children.ts';

/** Whether `name` is an executable on PATH (or in the usual sbin directories). */
export function hasBinary(name: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin', '/usr/local/bin']);
  return dirs.some((d) => d !== '' && existsSync(join(d, name)));
}

export interface Secrets {
  notificationToken: string;
  policyApiToken: string;
}

/** Tokens generated once into `<state>/secrets.json` (0600) and kept, so restarts keep working. */
export async function ensureSecrets(stateDir: string): Promise<Secrets> {
  const file = join(stateDir, 'secrets.json');
  let s: Partial<Secrets> = {};
  try {
    s = JSON.parse(await readFile(file, 'utf8')) as Partial<Secrets>;
  } catch {
    // absent or unreadable: generate
  }
  const token = () => randomBytes(24).toString('base64url');
  const out: Secrets = {
    notificationToken: typeof s.notificationToken === 'string' ? s.notificationToken : token(),
    policyApiToken: typeof s.policyApiToken === 'string' ? s.policyApiToken : token(),
  };
  await writeFile(file, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  return out;
}

export interface TlsFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

/**
 * A self-signed CA and a server certificate for 127.0.0.1/localhost under `<state>/tls/`, made
 * with openssl once and reused. Undefined (no webhook) when openssl is not installed.
 */
export function ensureTls(stateDir: string): TlsFiles | undefined {
  const dir = join(stateDir, 'tls');
  const files: TlsFiles = { caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
  if (Object.values(files).every((f) => existsSync(f))) return files;
  if (!hasBinary('openssl')) return undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3650',
    '-subj',
    '/CN=assay-local-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  ]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=assay-admission', '-keyout', 'server.key', '-out', 'server.csr']);
  openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    String(Date.now()),
    '-days',
    '825',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  ]);
  return files;
}

export interface RegistryProcess {
  readonly url: string;
  readonly host: string;
  readonly child: Child;
}

/**
 * docker-registry on `port` with storage in `<state>/registry/data`, notifying `notifyUrl` with
 * the bearer token. Its log goes to `<state>/registry/registry.log`; errors also to `onError`.
 */
export async function startRegistry(opts: {
  stateDir: string;
  port: number;
  notifyUrl: string;
  token: string;
  onLine: (line: string) => void;
  timeoutMs?: number;
}): Promise<RegistryProcess> {
  const dir = join(opts.stateDir, 'registry');
  await mkdir(join(dir, 'data'), { recursive: true, mode: 0o700 });
  // JSON is YAML: no value needs YAML quoting rules.
  const config = {
    version: '0.1',
    log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${opts.port}`, secret: randomBytes(16).toString('hex') },
    notifications: {
      events: { includereferences: true },
      endpoints: [
        {
          name: 'assay-local',
          url: opts.notifyUrl,
          headers: { Authorization: [`Bearer ${opts.token}`] },
          // Short backoff: a push made while the watcher starts is delivered seconds later, not minutes.
          timeout: '2s',
          threshold: 3,
          backoff: '500ms',
        },
      ],
    },
  };
  const configFile = join(dir, 'config.yml');
  // 0600: it holds the notification token.
  await writeFile(configFile, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  await chmod(configFile, 0o600);
  const child = spawnChild('registry', 'docker-registry', ['serve', configFile], { onLine: opts.onLine });
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitStatus)
      throw new Error(`docker-registry exited at start (${child.exitStatus.description}); see ${join(dir, 'registry.log')}`);
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return { url, host: `127.0.0.1:${opts.port}`, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await child.stop(2000);
  throw new Error(`docker-registry did not answer on ${url} within ${opts.timeoutMs ?? 20_000} ms`);
}
