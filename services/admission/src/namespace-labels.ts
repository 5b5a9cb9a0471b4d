// Namespace name → labels, kept from the Kubernetes API by list + watch, for runtime policies
// scoped by `scope.namespaceLabels`. An AdmissionReview does not carry the namespace's labels, so
// admission keeps its own copy: list every namespace (paged), then watch from the list's
// resourceVersion (newline-delimited JSON events ADDED/MODIFIED/DELETED/BOOKMARK/ERROR). A watch
// the server closes is resumed from the last resourceVersion seen; 410 Gone (that version is
// too old) re-lists; any other failure backs off and retries. Only labels are kept, so memory is
// bounded by the labels of the cluster's namespaces, and a decision reads one Map lookup.
// A namespace the watch has not delivered (just created, or the watch is broken) is fetched
// directly before deciding: one GET, bounded in time and concurrency, remembered briefly.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { isObject, pause, TtlLru } from '@assay/kit';

/** Where the Kubernetes API is and how to authenticate to it. */
export interface KubeConnection {
  /** `https://host:port` of the API server (no trailing path). */
  url: string;
  /** Bearer token file, re-read at every connection (projected service-account tokens rotate). */
  tokenFile?: string | undefined;
  /** CA bundle (PEM text) the API server certificate must chain to; the system CAs otherwise. */
  ca?: string | undefined;
}

/** The in-cluster service-account mount. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The connection from explicit settings, or in cluster from KUBERNETES_SERVICE_HOST/PORT and the
 * mounted service-account token and CA. Throws when neither is there.
 */
export function kubeConnection(
  settings: { url?: string | undefined; tokenFile?: string | undefined; caFile?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): KubeConnection {
  const ca = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file, 'utf8'));
  if (settings.url !== undefined) {
    return { url: settings.url.replace(/\/+$/, ''), tokenFile: settings.tokenFile, ca: ca(settings.caFile) };
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error('namespace labels: no ADMISSION_KUBE_API_URL and not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset)');
  }
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tokenFile: settings.tokenFile ?? join(serviceAccountDir, 'token'),
    ca: ca(settings.caFile ?? join(serviceAccountDir, 'ca.crt')),
  };
}

export interface NamespaceLabelsOptions {
  connection: KubeConnection;
  /** Namespaces per list page. Default 500. */
  pageSize?: number;
  /** Asked of the server for each watch (it closes the watch then; it is resumed). Default 300. */
  watchTimeoutSeconds?: number;
  /** Retry delays after a failure: doubling from `min` to `max` ms. Default 500 → 30000. */
  backoff?: { min: number; max: number };
  /** Direct lookups of namespaces the watch has not delivered: deadline (ms), concurrent GETs, cached entries, cache TTL (ms). */
  lookup?: { timeoutMs: number; concurrency: number; cacheSize: number; ttlMs: number };
  /** Observes each direct lookup: found, not_found, error, or busy (the concurrency cap was reached). */
  onLookup?(result: 'found' | 'not_found' | 'error' | 'busy'): void;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** A failed API call, with the Status message the server gave. */
export class KubeApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
  }
}

type Labels = Readonly<Record<string, string>>;
/** A watch event line longer than this is refused (a namespace object is a few kB). */
const MAX_LINE = 4 * 1024 * 1024;

function labelsOf(metadata: unknown): Labels {
  const out: Record<string, string> = {};
  if (isObject(metadata) && isObject(metadata.labels)) {
    for (const [k, v] of Object.entries(metadata.labels)) if (typeof v === 'string') out[k] = v;
  }
  return Object.freeze(out);
}

function statusMessage(status: number, body: string): string {
  try {
    const s: unknown = JSON.parse(body);
    if (isObject(s) && typeof s.message === 'string') return `${status} ${s.reason ?? ''}: ${s.message}`.replace(' :', ':');
  } catch {
    // not a Status: fall through to the raw body
  }
  return `${status}: ${body.slice(0, 200)}`;
}

/** Direct lookups: well under the webhook's 5 s timeout; a handful at once; a few hundred remembered. */
const LOOKUP_DEFAULTS = { timeoutMs: 1000, concurrency: 8, cacheSize: 500, ttlMs: 30_000 };

export class NamespaceLabels {
  readonly #opts: Required<Omit<NamespaceLabelsOptions, 'logger' | 'onLookup'>> & Pick<NamespaceLabelsOptions, 'logger' | 'onLookup'>;
  #labels = new Map<string, Labels>();
  /** Namespaces fetched directly (null: it does not exist), and the GETs under way. */
  readonly #looked: TtlLru<Labels | null>;
  readonly #lookups = new Map<string, Promise<void>>();
  /** When the list/watch last broke after the first load; undefined while it is up. */
  #brokenSince: number | undefined;
  #resourceVersion = '';
  #loaded = false;
  #lastError: string | undefined;
  #stopped = false;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #resolveLoaded!: () => void;
  /** Resolves once the first list has loaded. */
  readonly loaded = new Promise<void>((resolve) => (this.#resolveLoaded = resolve));
  /** Lists done so far (the first, and every re-list after 410 Gone). */
  lists = 0;

  constructor(opts: NamespaceLabelsOptions) {
    this.#opts = { pageSize: 500, watchTimeoutSeconds: 300, backoff: { min: 500, max: 30_000 }, lookup: LOOKUP_DEFAULTS, ...opts };
    this.#looked = new TtlLru(this.#opts.lookup.cacheSize);
  }

  /** The labels of a namespace; undefined when it is unknown (not listed, not looked up, or deleted). */
  get(namespace: string): Labels | undefined {
    return this.#labels.get(namespace) ?? this.#looked.get(namespace)?.value ?? undefined;
  }

  /**
   * Fetches a namespace the watch has not delivered (GET /api/v1/namespaces/{name}), so `get`
   * knows it. Never rejects and never waits longer than the lookup deadline; when the
   * concurrency cap is reached it does not ask (the decision goes on without the labels).
   */
  lookup(namespace: string): Promise<void> {
    if (!namespace || this.#labels.has(namespace) || this.#looked.get(namespace)) return Promise.resolve();
    const running = this.#lookups.get(namespace);
    if (running) return running;
    if (this.#lookups.size >= this.#opts.lookup.concurrency) {
      this.#opts.onLookup?.('busy');
      return Promise.resolve();
    }
    const { timeoutMs, ttlMs } = this.#opts.lookup;
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(timeoutMs)]);
    const done = this.#get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`, timeoutMs, signal)
      .then(async (res) => {
        const body: unknown = JSON.parse(await readAll(res));
        this.#looked.set(namespace, labelsOf(isObject(body) ? body.metadata : undefined), ttlMs);
        this.#opts.onLookup?.('found');
      })
      .catch((err: unknown) => {
        if (err instanceof KubeApiError && err.status === 404) {
          this.#looked.set(namespace, null, ttlMs);
          this.#opts.onLookup?.('not_found');
          return;
        }
        this.#opts.onLookup?.('error');
        this.#opts.logger?.warn({ namespace, error: (err as Error).message }, 'namespace lookup failed; deciding without its labels');
      })
      .finally(() => this.#lookups.delete(namespace));
    this.#lookups.set(namespace, done);
    return done;
  }

  /** Seconds since the list/watch broke after the first load (labels may be stale); 0 while it is up. */
  staleSeconds(now = Date.now()): number {
    return this.#loaded && this.#brokenSince !== undefined ? (now - this.#brokenSince) / 1000 : 0;
  }

  get size(): number {
    return this.#labels.size;
  }

  /** Whether the first list has loaded (labels may be stale later while the API is unreachable). */
  isLoaded(): boolean {
    return this.#loaded;
  }

  /** For a readiness check: ready once the first list has loaded; otherwise why not. */
  readiness(): { ok: boolean; detail?: string } {
    // A watch that broke after loading keeps admission ready (it decides with what it has, and
    // looks up namespaces it has not seen); the detail says so.
    if (this.#loaded && this.#brokenSince !== undefined) {
      return {
        ok: true,
        detail: `stale for ${Math.round(this.staleSeconds())} s (watch broken: ${this.#lastError ?? 'reconnecting'}); unknown namespaces are looked up directly`,
      };
    }
    if (this.#loaded) return { ok: true };
    return { ok: false, detail: this.#lastError ?? 'first namespace list not loaded yet' };
  }

  /** The last failure talking to the API server, if the last attempt failed. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    let delay = this.#opts.backoff.min;
    let needList = true;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
          delay = this.#opts.backoff.min;
        }
        // Resolves when the server ends the watch (its timeout): resume from the last version.
        await this.#watch();
        this.#lastError = undefined;
        continue;
      } catch (err) {
        if (this.#stopped) return;
        if (err instanceof KubeApiError && err.status === 410) {
          // The version is older than the server keeps: only a fresh list is consistent.
          this.#opts.logger?.info({ resourceVersion: this.#resourceVersion }, 'namespace watch expired (410 Gone); re-listing');
          needList = true;
          continue;
        }
        this.#lastError = (err as Error).message;
        if (this.#loaded && this.#brokenSince === undefined) this.#brokenSince = Date.now();
        this.#opts.logger?.warn({ error: this.#lastError, retryInMs: delay, stale: this.#loaded }, 'namespace list/watch failed; retrying');
      }
      await pause(delay, this.#abort.signal);
      delay = Math.min(delay * 2, this.#opts.backoff.max);
    }
  }

  /** Lists every namespace (paged) and replaces the map with what the list says. */
  async #list(): Promise<void> {
    const next = new Map<string, Labels>();
    let cont = '';
    let version = '';
    do {
      const q = new URLSearchParams({ limit: String(this.#opts.pageSize) });
      if (cont) q.set('continue', cont);
      const res = await this.#get(`/api/v1/namespaces?${q}`);
      const body: unknown = JSON.parse(await readAll(res));
      if (!isObject(body) || !Array.isArray(body.items) || !isObject(body.metadata)) throw new Error('namespace list: not a NamespaceList');
      for (const item of body.items) {
        if (isObject(item) && isObject(item.metadata) && typeof item.metadata.name === 'string')
          next.set(item.metadata.name, labelsOf(item.metadata));
      }
      cont = typeof body.metadata.continue === 'string' ? body.metadata.continue : '';
      version = typeof body.metadata.resourceVersion === 'string' ? body.metadata.resourceVersion : version;
    } while (cont);
    this.#labels = next;
    this.#resourceVersion = version;
    this.#brokenSince = undefined;
    this.lists += 1;
    this.#lastError = undefined;
    if (!this.#loaded) {
      this.#loaded = true;
      this.#resolveLoaded();
      this.#opts.logger?.info({ namespaces: next.size, resourceVersion: version }, 'namespace labels loaded');
    }
  }

  /** Watches from the last version, applying events, until the server ends the stream. */
  async #watch(): Promise<void> {
    const q = new URLSearchParams({
      watch: '1',
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.#opts.watchTimeoutSeconds),
    });
    // No byte for this long (bookmarks come about once a minute) means a dead connection.
    const res = await this.#get(`/api/v1/namespaces?${q}`, (this.#opts.watchTimeoutSeconds + 60) * 1000);
    if (this.#brokenSince !== undefined) {
      this.#opts.logger?.info({ staleSeconds: this.staleSeconds() }, 'namespace watch resumed');
      this.#brokenSince = undefined;
    }
    let buffered = '';
    res.setEncoding('utf8');
    for await (const chunk of res as AsyncIterable<string>) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) this.#apply(line);
      }
      if (buffered.length > MAX_LINE) throw new Error('namespace watch: event line too long');
    }
    if (!res.complete) throw new Error('namespace watch: connection dropped');
  }

  #apply(line: string): void {
    const event: unknown = JSON.parse(line);
    if (!isObject(event) || typeof event.type !== 'string' || !isObject(event.object))
      throw new Error('namespace watch: not a watch event');
    const object = event.object;
    if (event.type === 'ERROR') {
      // The object is a Status; 410 is "too old resource version".
      const code = typeof object.code === 'number' ? object.code : 500;
      throw new KubeApiError(code, `namespace watch: ${statusMessage(code, JSON.stringify(object))}`);
    }
    const metadata = isObject(object.metadata) ? object.metadata : {};
    if (typeof metadata.resourceVersion === 'string') this.#resourceVersion = metadata.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    if (typeof metadata.name !== 'string') return;
    if (event.type === 'DELETED') this.#labels.delete(metadata.name);
    else if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#labels.set(metadata.name, labelsOf(metadata));
  }

  /** GET with the bearer token; resolves with a 200 response, rejects with a KubeApiError otherwise. */
  #get(path: string, idleMs = 30_000, signal: AbortSignal = this.#abort.signal): Promise<IncomingMessage> {
    const { url, tokenFile, ca } = this.#opts.connection;
    const target = new URL(url + path);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (tokenFile !== undefined) {
      // Read at every request: the kubelet rotates projected tokens in place.
      const token = readFileSync(tokenFile, 'utf8').trim();
      if (token) headers.authorization = `Bearer ${token}`;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(target, { method: 'GET', headers, signal, timeout: idleMs, ...(ca !== undefined ? { ca } : {}) }, (res) => {
        if (res.statusCode === 200) return resolve(res);
        readAll(res).then((body) => {
          const status = res.statusCode ?? 0;
          const hint =
            status === 401
              ? ' (the token was refused: check ADMISSION_KUBE_TOKEN_FILE or the service account)'
              : status === 403
                ? ' (the service account may not list/watch namespaces: check the ClusterRole)'
                : '';
          reject(new KubeApiError(status, `GET ${target.pathname}: ${statusMessage(status, body)}${hint}`));
        }, reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${target.pathname}: no data for ${idleMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}

async function readAll(res: IncomingMessage): Promise<string> {
  let s = '';
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) {
    s += chunk;
    if (s.length > 64 * 1024 * 1024) throw new Error('Kubernetes API response too large');
  }
  return s;
}
