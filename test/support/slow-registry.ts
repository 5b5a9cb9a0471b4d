// A registry that is slow, for admission's tag lookups at their worst: a loopback HTTP server
// answering manifest HEADs (and GETs) the way Distribution does — 200 with Docker-Content-Digest,
// or 404 MANIFEST_UNKNOWN — each after a delay of the caller's choosing, or never at all (the
// connection stays open, as behind a stuck proxy). It counts the requests it holds at once, so a
// test can check a client's bound on concurrent lookups at the registry itself.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the registry does with one manifest request. */
export type TagAnswer = { digest: string; delayMs: number } | { notFound: true; delayMs: number } | { never: true };

export interface SlowRegistry {
  /** `127.0.0.1:PORT`, for image references (loopback: plain HTTP, anonymous). */
  readonly host: string;
  /** Manifest requests received so far. */
  readonly requests: number;
  /** Manifest requests being held right now (received, not answered, connection open). */
  readonly inFlight: number;
  /** The most manifest requests held at once since the start (or the last `resetStats`). */
  readonly maxInFlight: number;
  resetStats(): void;
  close(): Promise<void>;
}

const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/?]+)$/;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A digest that is stable for a tag: the same lookup answers the same manifest. */
export const digestOfTag = (repository: string, tag: string): string =>
  `sha256:${createHash('sha256').update(`${repository}:${tag}`).digest('hex')}`;

/**
 * The default behaviour, spread by a hash of the tag: 70% found after 50–500 ms, 20% not found
 * after 50–500 ms, 10% never answered.
 */
export function mixedAnswer(repository: string, tag: string): TagAnswer {
  const h = createHash('sha256').update(`${repository}:${tag}`).digest();
  const kind = h[0]! % 10;
  const delayMs = 50 + (h.readUInt16BE(1) % 451);
  if (kind < 7) return { digest: digestOfTag(repository, tag), delayMs };
  if (kind < 9) return { notFound: true, delayMs };
  return { never: true };
}

export async function startSlowRegistry(answer: (repository: string, tag: string) => TagAnswer = mixedAnswer): Promise<SlowRegistry> {
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const m = MANIFEST.exec(req.url ?? '');
    if (!m) {
      // `/v2/`: the API version check; anything else is not a registry route.
      res.writeHead(req.url === '/v2/' ? 200 : 404, { 'docker-distribution-api-version': 'registry/2.0' }).end();
      return;
    }
    requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let held = true;
    const release = () => {
      if (held) inFlight--;
      held = false;
    };
    res.on('close', release);
    const what = answer(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
    if ('never' in what) return; // held until the client gives up (or close())
    const timer = setTimeout(() => {
      timers.delete(timer);
      if ('notFound' in what) {
        const body = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      } else {
        const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] });
        res.writeHead(200, {
          'content-type': OCI_MANIFEST,
          'content-length': Buffer.byteLength(body),
          'docker-content-digest': what.digest,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      }
      release();
    }, what.delayMs);
    timers.add(timer);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Many clients at once: no backlog refusals of its own.
  server.maxConnections = 100_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetStats() {
      requests = 0;
      maxInFlight = inFlight;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
