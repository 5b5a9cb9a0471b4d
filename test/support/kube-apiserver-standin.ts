// Kubernetes API server stand-in for tests (never shipped), at the protocol level, for the
// resources Assay uses (see kube-standin/resources.ts): core namespaces and pods, assay.dev
// policies and exceptions, openreports.io and wgpolicyk8s.io reports. It follows the API server's
// documented behaviour (API concepts: "Efficient detection of changes", "Watch bookmarks",
// "Retrieving large results sets in chunks", "Resource versions"; CRD status subresource):
//
// - list: `limit` pages with an opaque `continue` token over a consistent snapshot (410 Expired
//   once that version is compacted away); metadata.resourceVersion is the store's version.
// - watch (kube-standin/watch.ts): from a resourceVersion, bookmarks, 410 Expired for too old a
//   version, timeoutSeconds.
// - get, create (409 AlreadyExists), replace (409 Conflict on a stale resourceVersion), the
//   status subresource, delete; uid, creationTimestamp and generation kept by the server;
//   422 Invalid with field causes when a CRD schema given (`crdSchemas`) refuses an object
//   (kube-standin/store.ts, validate.ts).
// - Authentication: `Authorization: Bearer <token>`; anything else is 401 Unauthorized.
//
// Faults and control for tests: `apply(obj)` (what a controller or the kubelet would write,
// status included), `objects(plural)`, namespace helpers, `dropWatches()` (sockets destroyed
// mid-stream), `compact()`, `bookmark()`, `refuseWatches` (503), `getDelayMs`, and counters.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { labelSelector, parsePath, readJson, type Target } from './kube-standin/routes.ts';
import { apiVersionOf, STANDIN_RESOURCES, StandinError, statusBody, type StandinResource } from './kube-standin/resources.ts';
import { ObjectStore, type Obj } from './kube-standin/store.ts';
import { SchemaValidator } from './kube-standin/validate.ts';
import { Watches } from './kube-standin/watch.ts';

export interface KubeStandinOptions {
  /** Serve HTTPS with this key and certificate (PEM); plain HTTP otherwise. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** The bearer token accepted. */
  token: string;
  /** Send a BOOKMARK on every open watch this often (ms); 0 (default) only on `bookmark()`. */
  bookmarkIntervalMs?: number;
  /** openAPIV3Schema by plural: objects of that resource are validated as the CRD would. */
  crdSchemas?: Record<string, object>;
}

type Json = Record<string, unknown>;

export class KubeApiStandin {
  readonly #opts: KubeStandinOptions;
  readonly #server: Server;
  readonly #watches = new Watches();
  readonly #store: ObjectStore;
  /** Paged-list snapshots by continue-token id. */
  readonly #snapshots = new Map<string, { rv: number; items: Obj[] }>();
  #bookmarkTimer: NodeJS.Timeout | undefined;
  token: string;
  lists = 0;
  watches = 0;
  gets = 0;
  creates = 0;
  replaces = 0;
  statusReplaces = 0;
  deletes = 0;
  unauthorized = 0;
  /** While true, new watch requests are answered 503 ServiceUnavailable (a broken watch). */
  refuseWatches = false;
  /** Delay before answering a GET of one object, in ms. */
  getDelayMs = 0;

  private constructor(opts: KubeStandinOptions) {
    this.#opts = opts;
    this.token = opts.token;
    this.#store = new ObjectStore(new SchemaValidator(opts.crdSchemas), (c) => this.#watches.publish(c));
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    this.#server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createServer(handler);
    // A real cluster starts with these.
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) this.createNamespace(name);
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
    return String(this.#store.rv);
  }

  get openWatches(): number {
    return this.#watches.open;
  }

  /** Every request counter at once. */
  get counters(): Record<'lists' | 'watches' | 'gets' | 'creates' | 'replaces' | 'statusReplaces' | 'deletes' | 'unauthorized', number> {
    const { lists, watches, gets, creates, replaces, statusReplaces, deletes, unauthorized } = this;
    return { lists, watches, gets, creates, replaces, statusReplaces, deletes, unauthorized };
  }

  static resource(plural: string): StandinResource {
    const r = STANDIN_RESOURCES.find((x) => x.plural === plural);
    if (!r) throw new Error(`the stand-in does not serve ${plural}`);
    return r;
  }

  /**
   * Creates or replaces an object as the cluster itself would (a controller, the kubelet):
   * status is taken as given, no resourceVersion check. The resource is found from apiVersion
   * and kind. Returns the stored object.
   */
  apply(obj: Json & { apiVersion: string; kind: string; metadata: Json & { name: string; namespace?: string } }): Obj {
    const r = STANDIN_RESOURCES.find((x) => apiVersionOf(x) === obj.apiVersion && x.kind === obj.kind);
    if (!r) throw new Error(`the stand-in does not serve ${obj.apiVersion} ${obj.kind}`);
    const ns = r.namespaced ? obj.metadata.namespace : undefined;
    if (this.#store.get(r, ns, obj.metadata.name)) {
      const { resourceVersion: _drop, ...metadata } = obj.metadata as Json;
      return this.#store.replace(r, ns, obj.metadata.name, { ...obj, metadata }, false, true);
    }
    return this.#store.create(r, ns, obj, true);
  }

  /** The stored objects of a resource (one namespace, or all). */
  objects(plural: string, namespace?: string): Obj[] {
    return this.#store.list(KubeApiStandin.resource(plural), namespace);
  }

  /** Deletes an object at once (no finalizers, no grace). */
  remove(plural: string, name: string, namespace?: string): void {
    this.#store.delete(KubeApiStandin.resource(plural), namespace, name);
  }

  /** Creates a namespace (the API server adds the kubernetes.io/metadata.name label). */
  createNamespace(name: string, labels: Record<string, string> = {}): void {
    this.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  /** Sets (string) or removes (null) labels of a namespace, as a merge patch does. */
  labelNamespace(name: string, labels: Record<string, string | null>): void {
    const ns = this.#store.get(KubeApiStandin.resource('namespaces'), undefined, name);
    if (!ns) throw new Error(`no namespace ${name}`);
    const next = { ...((ns.metadata.labels ?? {}) as Record<string, string>) };
    for (const [k, v] of Object.entries(labels)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    ns.metadata.labels = next;
    this.apply(ns as Obj & { apiVersion: string; kind: string });
  }

  /** Deletes a namespace at once (finalization skipped; its namespaced objects stay). */
  deleteNamespace(name: string): void {
    this.remove('namespaces', name);
  }

  /** Destroys every open watch connection mid-stream (no clean end). */
  dropWatches(): void {
    this.#watches.drop();
  }

  /** Forgets the history up to now: a watch or a continue token from an older version is 410. */
  compact(): void {
    this.#store.compact();
    this.#snapshots.clear();
  }

  /** Sends a BOOKMARK at the current version to every watch that asked for bookmarks. */
  bookmark(): void {
    this.#watches.bookmark(this.#store.rv);
  }

  async close(): Promise<void> {
    clearInterval(this.#bookmarkTimer);
    this.#watches.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #send(res: ServerResponse, code: number, body: Json): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://standin');
      if (req.headers.authorization !== `Bearer ${this.token}`) {
        this.unauthorized += 1;
        return this.#send(res, 401, statusBody(401, 'Unauthorized', 'Unauthorized'));
      }
      const t = parsePath(url.pathname);
      if (!t) return this.#send(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      await this.#route(t, url.searchParams, req, res);
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      if (err instanceof StandinError) return this.#send(res, err.code, err.body);
      this.#send(res, 500, statusBody(500, 'InternalError', (err as Error).message));
    }
  }

  async #route(t: Target, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = t.resource;
    const ns = r.namespaced ? t.namespace : undefined;
    const method = req.method ?? 'GET';
    const notAllowed = () =>
      this.#send(res, 405, statusBody(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    if (t.subresource !== undefined) {
      if (t.subresource !== 'status' || !r.status)
        return this.#send(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      if (method === 'GET') return this.#getOne(r, ns, t.name!, res);
      if (method !== 'PUT') return notAllowed();
      this.statusReplaces += 1;
      return this.#send(res, 200, this.#store.replace(r, ns, t.name!, await readJson(req), true));
    }
    if (t.name === undefined) {
      if (method === 'GET') {
        const selector = labelSelector(q.get('labelSelector'));
        if (q.get('watch') === '1' || q.get('watch') === 'true') {
          this.watches += 1;
          if (this.refuseWatches) return this.#send(res, 503, statusBody(503, 'ServiceUnavailable', 'the watch cache is not ready'));
          return this.#watches.start(this.#store, r, ns, q, selector, req, res);
        }
        return this.#list(r, ns, q, selector, res);
      }
      if (method !== 'POST') return notAllowed();
      this.creates += 1;
      const body = await readJson(req);
      return this.#send(res, 201, this.#store.create(r, r.namespaced ? t.namespace : undefined, body));
    }
    if (method === 'GET') return this.#getOne(r, ns, t.name, res);
    if (method === 'PUT') {
      this.replaces += 1;
      return this.#send(res, 200, this.#store.replace(r, ns, t.name, await readJson(req)));
    }
    if (method === 'DELETE') {
      this.deletes += 1;
      return this.#send(res, 200, this.#store.delete(r, ns, t.name));
    }
    return notAllowed();
  }

  #getOne(r: StandinResource, ns: string | undefined, name: string, res: ServerResponse): void {
    this.gets += 1;
    const answer = () => {
      const o = this.#store.get(r, ns, name);
      if (!o)
        return this.#send(res, 404, statusBody(404, 'NotFound', `${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}" not found`));
      this.#send(res, 200, o);
    };
    if (this.getDelayMs > 0) setTimeout(answer, this.getDelayMs);
    else answer();
  }

  #list(r: StandinResource, ns: string | undefined, q: URLSearchParams, selector: (labels: unknown) => boolean, res: ServerResponse): void {
    this.lists += 1;
    const limit = Number(q.get('limit') ?? '0');
    const cont = q.get('continue');
    let at = this.#store.rv;
    let start = 0;
    let items: Obj[];
    if (cont) {
      let token: { id: string; start: number };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { id: string; start: number };
      } catch {
        return this.#send(res, 400, statusBody(400, 'BadRequest', 'continue key is not valid'));
      }
      const snap = this.#snapshots.get(token.id);
      if (!snap) {
        const msg =
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';
        return this.#send(res, 410, statusBody(410, 'Expired', msg));
      }
      ({ rv: at, items } = snap);
      start = token.start;
    } else {
      items = this.#store.list(r, ns).filter((o) => selector(o.metadata.labels));
    }
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const rest = items.length - start - page.length;
    const metadata: Json = { resourceVersion: String(at) };
    if (rest > 0) {
      const id = cont ? (JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { id: string }).id : randomUUID();
      this.#snapshots.set(id, { rv: at, items });
      metadata.continue = Buffer.from(JSON.stringify({ id, start: start + page.length })).toString('base64url');
      metadata.remainingItemCount = rest;
    }
    this.#send(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata, items: page });
  }
}
