// Kubernetes API server stand-in for tests (never shipped): exactly the namespace list and watch,
// as the API server documents them (API concepts: "Efficient detection of changes", "Watch
// bookmarks", "Retrieving large results sets in chunks").
//
// - GET /api/v1/namespaces: a NamespaceList (apiVersion v1) whose metadata.resourceVersion is the
//   store's current version; `limit` pages it with an opaque `continue` token over a consistent
//   snapshot (410 Expired Status once that version is compacted away).
// - GET /api/v1/namespaces?watch=1&resourceVersion=N: 200, then one JSON watch event per line
//   ({"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":…}), every change after N. No N
//   (or "0") starts with a synthetic ADDED per namespace. A version older than the history kept
//   answers a single ERROR event whose object is a 410 Expired Status ("too old resource
//   version"), as the watch cache does. BOOKMARK events (allowWatchBookmarks=true) carry only
//   kind, apiVersion and metadata.resourceVersion. timeoutSeconds ends the stream cleanly.
// - GET /api/v1/namespaces/{name}: the Namespace, or 404 NotFound Status (`namespaces "x" not found`).
// - Authentication: `Authorization: Bearer <token>`; anything else is 401 with an Unauthorized
//   Status. Other paths are 404 NotFound Status.
//
// Faults and control for tests: create/label/delete namespaces, `dropWatches()` (sockets
// destroyed mid-stream), `compact()` (every version up to now expires), `bookmark()`,
// `refuseWatches` (new watches answered 503), `getDelayMs` (single-namespace GETs answer late),
// and counters of list, watch and get requests.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface KubeStandinOptions {
  /** Serve HTTPS with this key and certificate (PEM); plain HTTP otherwise. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** The bearer token accepted. */
  token: string;
  /** Send a BOOKMARK on every open watch this often (ms); 0 (default) only on `bookmark()`. */
  bookmarkIntervalMs?: number;
}

type Json = Record<string, unknown>;

interface Namespace {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: { name: string; uid: string; resourceVersion: string; creationTimestamp: string; labels: Record<string, string> };
  spec: { finalizers: string[] };
  status: { phase: 'Active' };
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Namespace;
}

interface Watcher {
  res: ServerResponse;
  wantsBookmarks: boolean;
}

const status = (code: number, reason: string, message: string): Json => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

export class KubeApiStandin {
  readonly #opts: KubeStandinOptions;
  readonly #server: Server;
  readonly #namespaces = new Map<string, Namespace>();
  readonly #history: WatchEvent[] = [];
  /** Versions at or below this are gone from the history (a watch from them is 410). */
  #compactedThrough = 0;
  #rv = 100;
  readonly #watchers = new Set<Watcher>();
  /** Paged-list snapshots by the version they were taken at. */
  readonly #snapshots = new Map<number, Namespace[]>();
  #bookmarkTimer: NodeJS.Timeout | undefined;
  token: string;
  lists = 0;
  watches = 0;
  gets = 0;
  unauthorized = 0;
  /** While true, new watch requests are answered 503 ServiceUnavailable (a broken watch). */
  refuseWatches = false;
  /** Delay before answering GET /api/v1/namespaces/{name}, in ms. */
  getDelayMs = 0;

  private constructor(opts: KubeStandinOptions) {
    this.#opts = opts;
    this.token = opts.token;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res);
    this.#server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createServer(handler);
    // A real cluster starts with these.
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.createNamespace(name, { 'kubernetes.io/metadata.name': name });
    }
  }

  static async start(opts: KubeStandinOptions): Promise<KubeApiStandin> {
    const s = new KubeApiStandin(opts);
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    if (opts.bookmarkIntervalMs) s.#bookmarkTimer = setInterval(() => s.bookmark(), opts.bookmarkIntervalMs);
    return s;
  }

  get url(): string {
    const a = this.#server.address() as AddressInfo;
    return `${this.#opts.tls ? 'https' : 'http'}://127.0.0.1:${a.port}`;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  get openWatches(): number {
    return this.#watchers.size;
  }

  /** Creates a namespace (the API server adds the kubernetes.io/metadata.name label). */
  createNamespace(name: string, labels: Record<string, string> = {}): void {
    if (this.#namespaces.has(name)) throw new Error(`namespace ${name} exists`);
    const ns: Namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        uid: randomUUID(),
        resourceVersion: '',
        creationTimestamp: new Date().toISOString(),
        labels: { ...labels, 'kubernetes.io/metadata.name': name },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    this.#commit('ADDED', ns);
  }

  /** Sets (string) or removes (null) labels of a namespace, as a merge patch does. */
  labelNamespace(name: string, labels: Record<string, string | null>): void {
    const old = this.#namespaces.get(name);
    if (!old) throw new Error(`no namespace ${name}`);
    const next: Namespace = structuredClone(old);
    for (const [k, v] of Object.entries(labels)) {
      if (v === null) delete next.metadata.labels[k];
      else next.metadata.labels[k] = v;
    }
    this.#commit('MODIFIED', next);
  }

  /** Deletes a namespace at once (finalization skipped). */
  deleteNamespace(name: string): void {
    const old = this.#namespaces.get(name);
    if (!old) throw new Error(`no namespace ${name}`);
    this.#commit('DELETED', structuredClone(old));
  }

  /** Destroys every open watch connection mid-stream (no clean end). */
  dropWatches(): void {
    for (const w of this.#watchers) w.res.socket?.destroy();
    this.#watchers.clear();
  }

  /** Forgets the history up to now: a watch or a continue token from an older version is 410. */
  compact(): void {
    this.#compactedThrough = this.#rv;
    this.#history.length = 0;
    this.#snapshots.clear();
  }

  /** Sends a BOOKMARK at the current version to every watch that asked for bookmarks. */
  bookmark(): void {
    const event = { type: 'BOOKMARK', object: { kind: 'Namespace', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) } } };
    for (const w of this.#watchers) if (w.wantsBookmarks) w.res.write(`${JSON.stringify(event)}\n`);
  }

  async close(): Promise<void> {
    clearInterval(this.#bookmarkTimer);
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #commit(type: WatchEvent['type'], ns: Namespace): void {
    this.#rv += 1;
    ns.metadata.resourceVersion = String(this.#rv);
    if (type === 'DELETED') this.#namespaces.delete(ns.metadata.name);
    else this.#namespaces.set(ns.metadata.name, ns);
    const event: WatchEvent = { rv: this.#rv, type, object: structuredClone(ns) };
    this.#history.push(event);
    for (const w of this.#watchers) w.res.write(`${JSON.stringify({ type, object: event.object })}\n`);
  }

  #send(res: ServerResponse, code: number, body: Json): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://standin');
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.unauthorized += 1;
      return this.#send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const one = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname);
    if (one && req.method === 'GET') return this.#get(decodeURIComponent(one[1]!), res);
    if (url.pathname !== '/api/v1/namespaces') {
      return this.#send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (req.method !== 'GET')
      return this.#send(res, 405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
    const q = url.searchParams;
    if (q.get('watch') === '1' || q.get('watch') === 'true') return this.#watch(q, req, res);
    return this.#list(q, res);
  }

  #get(name: string, res: ServerResponse): void {
    this.gets += 1;
    const answer = () => {
      const ns = this.#namespaces.get(name);
      if (!ns) return this.#send(res, 404, status(404, 'NotFound', `namespaces "${name}" not found`));
      this.#send(res, 200, structuredClone(ns) as unknown as Json);
    };
    if (this.getDelayMs > 0) setTimeout(answer, this.getDelayMs);
    else answer();
  }

  #list(q: URLSearchParams, res: ServerResponse): void {
    this.lists += 1;
    const limit = Number(q.get('limit') ?? '0');
    const cont = q.get('continue');
    let at = this.#rv;
    let start = 0;
    let items: Namespace[];
    if (cont) {
      let token: { rv: number; start: number };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { rv: number; start: number };
      } catch {
        return this.#send(res, 400, status(400, 'BadRequest', 'continue key is not valid'));
      }
      const snap = this.#snapshots.get(token.rv);
      if (!snap) {
        return this.#send(
          res,
          410,
          status(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          ),
        );
      }
      ({ rv: at, start } = token);
      items = snap;
    } else {
      items = [...this.#namespaces.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)).map((n) => structuredClone(n));
    }
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const rest = items.length - start - page.length;
    const metadata: Json = { resourceVersion: String(at) };
    if (rest > 0) {
      this.#snapshots.set(at, items);
      metadata.continue = Buffer.from(JSON.stringify({ rv: at, start: start + page.length })).toString('base64url');
      metadata.remainingItemCount = rest;
    }
    this.#send(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata, items: page });
  }

  #watch(q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
    this.watches += 1;
    if (this.refuseWatches) return this.#send(res, 503, status(503, 'ServiceUnavailable', 'the watch cache is not ready'));
    const rvParam = q.get('resourceVersion') ?? '';
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const line = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    if (rvParam === '' || rvParam === '0') {
      for (const ns of this.#namespaces.values()) line('ADDED', ns);
    } else {
      const from = Number(rvParam);
      if (!Number.isInteger(from) || from < this.#compactedThrough) {
        line('ERROR', status(410, 'Expired', `too old resource version: ${rvParam} (${this.#compactedThrough})`));
        res.end();
        return;
      }
      for (const e of this.#history) if (e.rv > from) line(e.type, e.object);
    }
    const watcher: Watcher = { res, wantsBookmarks: q.get('allowWatchBookmarks') === 'true' };
    this.#watchers.add(watcher);
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    let timer: NodeJS.Timeout | undefined;
    const forget = () => {
      clearTimeout(timer);
      this.#watchers.delete(watcher);
    };
    if (timeout > 0) {
      timer = setTimeout(() => {
        forget();
        res.end();
      }, timeout * 1000);
    }
    res.on('close', forget);
    req.on('close', forget);
  }
}
