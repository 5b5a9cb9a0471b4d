// Real OCI registry (Debian `docker-registry`, Distribution 2.8) on a free loopback port with its
// own filesystem storage, optional htpasswd basic auth and optional push notifications; and a
// small HTTP sink that collects those notifications the way registry-watcher would receive them.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { type Blob, httpRequest, type RegistryCredentials, type UncheckedBlobWriter } from './oci-image.ts';
import { freePort } from './ports.ts';
import { type ManagedProcess, startProcess, waitFor } from './processes.ts';
import { makeTempDir } from './tempdir.ts';

export interface RegistryOptions {
  /** Where the registry POSTs its events; `token` becomes an `Authorization: Bearer` header. */
  notifications?: {
    url: string;
    token?: string;
    /** Distribution's per-endpoint filter, e.g. `{ actions: ['pull'] }`. */
    ignore?: { mediatypes?: string[]; actions?: string[] };
  };
  /** Requires HTTP basic auth from this user (htpasswd file with a bcrypt entry). */
  basicAuth?: RegistryCredentials;
}

export interface Registry extends UncheckedBlobWriter {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, for image references and skopeo. */
  readonly host: string;
  readonly port: number;
  /** Root of the filesystem storage driver. */
  readonly dataDir: string;
  readonly process: () => ManagedProcess | undefined;
  /** Starts it again (same port, same storage) after `stop()`. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

function registryConfig(dir: string, port: number, opts: RegistryOptions): unknown {
  // JSON is YAML: the config is written as JSON so that no value needs YAML quoting rules.
  const config: Record<string, unknown> = {
    version: '0.1',
    log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
  };
  if (opts.basicAuth) config.auth = { htpasswd: { realm: 'assay-test', path: join(dir, 'htpasswd') } };
  if (opts.notifications) {
    const n = opts.notifications;
    config.notifications = {
      events: { includereferences: true },
      endpoints: [
        {
          name: 'assay-test',
          url: n.url,
          ...(n.token ? { headers: { Authorization: [`Bearer ${n.token}`] } } : {}),
          // Short timeout and backoff: a test waits seconds, not minutes, after a failed delivery.
          timeout: '2s',
          threshold: 3,
          backoff: '200ms',
          ...(n.ignore ? { ignore: n.ignore } : {}),
        },
      ],
    };
  }
  return config;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const tmp = await makeTempDir('registry');
  const dir = tmp.path;
  const port = await freePort();
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  if (opts.basicAuth) {
    // Low cost: Distribution checks the hash on every request, and this is test data.
    const hash = bcrypt.hashSync(opts.basicAuth.password, 6);
    await writeFile(join(dir, 'htpasswd'), `${opts.basicAuth.username}:${hash}\n`);
  }
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, JSON.stringify(registryConfig(dir, port, opts), null, 2));
  const url = `http://127.0.0.1:${port}`;
  let proc: ManagedProcess | undefined;

  const start = async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) return;
    proc = startProcess('docker-registry', ['serve', configFile]);
    const p = proc;
    await waitFor(
      `docker-registry on ${port}`,
      async () => {
        const res = await httpRequest('GET', `${url}/v2/`);
        return res.status === 200 || (opts.basicAuth && res.status === 401) ? true : undefined;
      },
      { process: p, timeoutMs: 20_000 },
    );
  };

  const registry: Registry = {
    url,
    host: `127.0.0.1:${port}`,
    port,
    dataDir,
    process: () => proc,
    start,
    async stop() {
      await proc?.stop();
    },
    async close() {
      await proc?.stop();
      await tmp.remove();
    },
    // Distribution's filesystem layout: the blob's bytes under blobs/, and a link file in the
    // repository naming the digest. Nothing checks that the bytes hash to the name.
    async putBlobUnchecked(repo, digest, blob: Blob) {
      const hex = digest.replace(/^sha256:/, '');
      const v2 = join(dataDir, 'docker', 'registry', 'v2');
      const blobDir = join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex);
      await mkdir(blobDir, { recursive: true });
      if (blob.data) await writeFile(join(blobDir, 'data'), blob.data);
      else if (blob.file) await copyFile(blob.file, join(blobDir, 'data'));
      const linkDir = join(v2, 'repositories', repo, '_layers', 'sha256', hex);
      await mkdir(linkDir, { recursive: true });
      await writeFile(join(linkDir, 'link'), digest);
    },
  };
  try {
    await start();
  } catch (err) {
    await proc?.kill();
    await tmp.remove();
    throw err;
  }
  return registry;
}

// ---- Notification sink ------------------------------------------------------------------------

/** One Distribution notification event (the fields Assay reads; the rest are kept as sent). */
export interface RegistryEvent {
  id: string;
  timestamp: string;
  action: 'push' | 'pull' | 'delete' | 'mount' | string;
  target: {
    mediaType?: string;
    size?: number;
    digest?: string;
    length?: number;
    repository: string;
    url?: string;
    tag?: string;
    references?: { mediaType: string; size: number; digest: string }[];
  };
  request?: { id?: string; addr?: string; host?: string; method?: string; useragent?: string };
  actor?: { name?: string };
  source?: { addr?: string; instanceID?: string };
  [key: string]: unknown;
}

export interface ReceivedNotification {
  headers: http.IncomingHttpHeaders;
  contentType: string | undefined;
  events: RegistryEvent[];
}

export interface NotificationSink {
  /** Endpoint URL to hand to `startRegistry({ notifications: { url } })`. */
  readonly url: string;
  /** Every event received so far, in arrival order. */
  readonly events: RegistryEvent[];
  /** Every POST received so far (headers and its events). */
  readonly requests: ReceivedNotification[];
  /** Resolves with the first event (already received or yet to come) matching `predicate`. */
  waitForEvent(predicate: (e: RegistryEvent) => boolean, timeoutMs?: number): Promise<RegistryEvent>;
  /** Status the sink answers with from now on (e.g. 500 to make the registry retry). Default 200. */
  setStatus(status: number): void;
  close(): Promise<void>;
}

export const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

export async function startNotificationSink(): Promise<NotificationSink> {
  const events: RegistryEvent[] = [];
  const requests: ReceivedNotification[] = [];
  const waiters = new Set<{ predicate: (e: RegistryEvent) => boolean; resolve: (e: RegistryEvent) => void }>();
  let status = 200;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      if (status >= 300) {
        res.writeHead(status).end();
        return;
      }
      let received: RegistryEvent[] = [];
      try {
        const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: RegistryEvent[] };
        received = Array.isArray(envelope.events) ? envelope.events : [];
      } catch {
        res.writeHead(400).end();
        return;
      }
      requests.push({ headers: req.headers, contentType: req.headers['content-type'], events: received });
      for (const e of received) {
        events.push(e);
        for (const w of [...waiters]) {
          if (w.predicate(e)) {
            waiters.delete(w);
            w.resolve(e);
          }
        }
      }
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/registry/events`,
    events,
    requests,
    waitForEvent(predicate, timeoutMs = 10_000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (e: RegistryEvent) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = events.map((e) => `${e.action} ${e.target.repository} ${e.target.mediaType} ${e.target.tag ?? ''}`).join('\n  ');
          reject(new Error(`no matching registry event within ${timeoutMs} ms; received:\n  ${seen || '(none)'}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    setStatus(s) {
      status = s;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
