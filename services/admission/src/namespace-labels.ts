// Namespace name → labels, kept from the Kubernetes API by list + watch, for runtime policies
// scoped by `scope.namespaceLabels`. An AdmissionReview does not carry the namespace's labels, so
// admission keeps its own copy through an @assay/kube Informer over namespaces (paged list, watch
// with bookmarks resumed from the last version, re-list on 410 Gone, backoff on failures). Only
// labels are kept, so memory is bounded by the labels of the cluster's namespaces, and a decision
// reads one Map lookup.
// A namespace the watch has not delivered (just created, or the watch is broken) is fetched
// directly before deciding: one GET, bounded in time and concurrency, remembered briefly.
import { isObject, TtlLru } from '@assay/kit';
import { Informer, KubeClient, type KubeConnection, type KubeObject, type ResourceRef } from '@assay/kube';

export type { KubeConnection } from '@assay/kube';

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

type Labels = Readonly<Record<string, string>>;
function labelsOf(metadata: unknown): Labels {
  const out: Record<string, string> = {};
  if (isObject(metadata) && isObject(metadata.labels)) {
    for (const [k, v] of Object.entries(metadata.labels)) if (typeof v === 'string') out[k] = v;
  }
  return Object.freeze(out);
}

/** Direct lookups: well under the webhook's 5 s timeout; a handful at once; a few hundred remembered. */
const LOOKUP_DEFAULTS = { timeoutMs: 1000, concurrency: 8, cacheSize: 500, ttlMs: 30_000 };

const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

export class NamespaceLabels {
  readonly #opts: Required<Omit<NamespaceLabelsOptions, 'logger' | 'onLookup'>> & Pick<NamespaceLabelsOptions, 'logger' | 'onLookup'>;
  readonly #labels = new Map<string, Labels>();
  /** Namespaces fetched directly (null: it does not exist), and the GETs under way. */
  readonly #looked: TtlLru<Labels | null>;
  readonly #lookups = new Map<string, Promise<void>>();
  readonly #client: KubeClient;
  readonly #informer: Informer;
  readonly #abort = new AbortController();
  /** Resolves once the first list has loaded. */
  readonly loaded: Promise<void>;

  constructor(opts: NamespaceLabelsOptions) {
    this.#opts = { pageSize: 500, watchTimeoutSeconds: 300, backoff: { min: 500, max: 30_000 }, lookup: LOOKUP_DEFAULTS, ...opts };
    this.#looked = new TtlLru(this.#opts.lookup.cacheSize);
    this.#client = new KubeClient(this.#opts.connection);
    this.#informer = new Informer(
      this.#client,
      NAMESPACES,
      {
        upsert: (ns: KubeObject) => void this.#labels.set(ns.metadata.name, labelsOf(ns.metadata)),
        remove: (ns: KubeObject) => void this.#labels.delete(ns.metadata.name),
      },
      {
        pageSize: this.#opts.pageSize,
        watchTimeoutSeconds: this.#opts.watchTimeoutSeconds,
        backoff: this.#opts.backoff,
        // A namespace object is a few kB.
        maxEventBytes: 4 * 1024 * 1024,
        ...(this.#opts.logger ? { logger: this.#opts.logger } : {}),
      },
    );
    this.loaded = this.#informer.synced;
  }

  /** Lists done so far (the first, and every re-list after 410 Gone). */
  get lists(): number {
    return this.#informer.lists;
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
    const done = this.#client
      .get(NAMESPACES, namespace, undefined, { timeoutMs, signal })
      .then((ns) => {
        this.#looked.set(namespace, ns ? labelsOf(ns.metadata) : null, ttlMs);
        this.#opts.onLookup?.(ns ? 'found' : 'not_found');
      })
      .catch((err: unknown) => {
        this.#opts.onLookup?.('error');
        this.#opts.logger?.warn({ namespace, error: (err as Error).message }, 'namespace lookup failed; deciding without its labels');
      })
      .finally(() => this.#lookups.delete(namespace));
    this.#lookups.set(namespace, done);
    return done;
  }

  /** Seconds since the list/watch broke after the first load (labels may be stale); 0 while it is up. */
  staleSeconds(now = Date.now()): number {
    return this.#informer.staleSeconds(now);
  }

  get size(): number {
    return this.#labels.size;
  }

  /** Whether the first list has loaded (labels may be stale later while the API is unreachable). */
  isLoaded(): boolean {
    return this.#informer.isSynced;
  }

  /** For a readiness check: ready once the first list has loaded; otherwise why not. */
  readiness(): { ok: boolean; detail?: string } {
    // A watch that broke after loading keeps admission ready (it decides with what it has, and
    // looks up namespaces it has not seen); the detail says so.
    const stale = this.staleSeconds();
    if (this.isLoaded() && stale > 0) {
      return {
        ok: true,
        detail: `stale for ${Math.round(stale)} s (watch broken: ${this.lastError ?? 'reconnecting'}); unknown namespaces are looked up directly`,
      };
    }
    if (this.isLoaded()) return { ok: true };
    return { ok: false, detail: this.lastError ?? 'first namespace list not loaded yet' };
  }

  /** The last failure talking to the API server, if the last attempt failed. */
  get lastError(): string | undefined {
    return this.#informer.lastError;
  }

  start(): void {
    this.#informer.start();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#informer.stop();
  }
}
