// Informer: keeps a consumer in step with one resource type, the way client-go's reflector does.
// List every object (paged), then watch from the list's resourceVersion with bookmarks (which
// only move the version on). A watch the server ends, or that drops, is resumed from the last
// version seen, so nothing is missed and nothing re-sent. 410 Gone (that version is older than
// the server keeps) means only a fresh list is consistent: the informer re-lists, tells the
// consumer of objects that vanished meanwhile (remove, with the last metadata it saw) and hands
// over the full set (relisted). Other failures back off, doubling, and retry.
//
// Memory: the informer keeps, per object, its key and last metadata (for deletions seen only by
// a re-list), never spec or status; a watch event line is capped (maxEventBytes).
import { pause } from '@assay/kit';
import type { KubeClient, WatchEventType } from './client.ts';
import { KubeApiError } from './errors.ts';
import type { KubeObject, ObjectMeta, ResourceRef } from './resource.ts';

export interface InformerHandlers {
  upsert(obj: KubeObject): void | Promise<void>;
  remove(obj: KubeObject): void | Promise<void>;
  /** After every full list (the first, and each re-list after 410 Gone), with every object listed. */
  relisted?(objs: KubeObject[]): void | Promise<void>;
}

/** The logging an informer does: pino's Logger fits. */
export interface InformerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface InformerOptions {
  /** Only this namespace (a namespaced resource); all namespaces otherwise. */
  namespace?: string;
  /** Objects per list page. Default 500. */
  pageSize?: number;
  /** Asked of the server for each watch (it ends the watch then; it is resumed). Default 300. */
  watchTimeoutSeconds?: number;
  /** Retry delays after a failure: doubling from `min` to `max` ms. Default 500 → 30000. */
  backoff?: { min: number; max: number };
  logger?: InformerLogger;
  /** A single watch event larger than this fails the watch. Default 4 MiB. */
  maxEventBytes?: number;
}

const keyOf = (m: ObjectMeta) => (m.namespace ? `${m.namespace}/${m.name}` : m.name);

export class Informer {
  readonly #client: KubeClient;
  readonly #ref: ResourceRef;
  readonly #handlers: InformerHandlers;
  readonly #opts: Required<Omit<InformerOptions, 'namespace' | 'logger'>> & Pick<InformerOptions, 'namespace' | 'logger'>;
  /** Key → the last apiVersion/kind/metadata seen, to tell the consumer of deletions found by a re-list. */
  #known = new Map<string, KubeObject>();
  #resourceVersion = '';
  #synced = false;
  #brokenSince: number | undefined;
  #lastError: string | undefined;
  #stopped = false;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #resolveSynced!: () => void;
  /** Resolves after the first full list was delivered. */
  readonly synced = new Promise<void>((resolve) => (this.#resolveSynced = resolve));
  /** Full lists done (the first, and every re-list after 410 Gone). */
  lists = 0;
  /** Watches opened (the first and every resumption). */
  watches = 0;

  constructor(client: KubeClient, ref: ResourceRef, handlers: InformerHandlers, opts: InformerOptions = {}) {
    this.#client = client;
    this.#ref = ref;
    this.#handlers = handlers;
    this.#opts = { pageSize: 500, watchTimeoutSeconds: 300, backoff: { min: 500, max: 30_000 }, maxEventBytes: 4 * 1024 * 1024, ...opts };
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Whether the first list was delivered. */
  get isSynced(): boolean {
    return this.#synced;
  }

  /** The last failure talking to the API server, while the last attempt failed. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Objects currently known. */
  get size(): number {
    return this.#known.size;
  }

  /** Seconds since the list/watch broke after the first list (what the consumer has may be stale); 0 while it is up. */
  staleSeconds(now = Date.now()): number {
    return this.#synced && this.#brokenSince !== undefined ? (now - this.#brokenSince) / 1000 : 0;
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
    const { min, max } = this.#opts.backoff;
    let delay = min;
    let needList = true;
    const what = this.#ref.plural;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
          delay = min;
        }
        await this.#watch();
        this.#lastError = undefined;
        delay = min;
        continue;
      } catch (err) {
        if (this.#stopped) return;
        if (err instanceof KubeApiError && err.status === 410) {
          this.#opts.logger?.info({ resource: what, resourceVersion: this.#resourceVersion }, 'watch expired (410 Gone); re-listing');
          needList = true;
          continue;
        }
        this.#lastError = (err as Error).message;
        if (this.#synced && this.#brokenSince === undefined) this.#brokenSince = Date.now();
        this.#opts.logger?.warn(
          { resource: what, error: this.#lastError, retryInMs: delay, stale: this.#synced },
          'list/watch failed; retrying',
        );
      }
      await pause(delay, this.#abort.signal);
      delay = Math.min(delay * 2, max);
    }
  }

  /** Lists every object (paged), delivers changes and deletions against what was known, then the full set. */
  async #list(): Promise<void> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let version = '';
    do {
      const page = await this.#client.list(
        this.#ref,
        {
          limit: this.#opts.pageSize,
          ...(cont ? { continue: cont } : {}),
          ...(this.#opts.namespace ? { namespace: this.#opts.namespace } : {}),
        },
        { signal: this.#abort.signal },
      );
      items.push(...page.items);
      cont = page.continue;
      version = page.resourceVersion || version;
    } while (cont);
    const previous = this.#known;
    const next = new Map<string, KubeObject>();
    for (const obj of items) {
      const key = keyOf(obj.metadata);
      const was = previous.get(key);
      next.set(key, this.#tombstone(obj));
      // A re-list delivers only what changed while the watch was not looking.
      if (!was || was.metadata.resourceVersion !== obj.metadata.resourceVersion || !this.#synced) await this.#handlers.upsert(obj);
    }
    for (const [key, gone] of previous) if (!next.has(key)) await this.#handlers.remove(gone);
    this.#known = next;
    this.#resourceVersion = version;
    this.#brokenSince = undefined;
    this.#lastError = undefined;
    this.lists += 1;
    await this.#handlers.relisted?.(items);
    if (!this.#synced) {
      this.#synced = true;
      this.#resolveSynced();
      this.#opts.logger?.info({ resource: this.#ref.plural, objects: next.size, resourceVersion: version }, 'informer synced');
    }
  }

  /** Watches from the last version, delivering events, until the server ends the stream. */
  async #watch(): Promise<void> {
    this.watches += 1;
    await this.#client.watch(
      this.#ref,
      {
        resourceVersion: this.#resourceVersion,
        timeoutSeconds: this.#opts.watchTimeoutSeconds,
        allowWatchBookmarks: true,
        maxEventBytes: this.#opts.maxEventBytes,
        signal: this.#abort.signal,
        onOpen: () => this.#opened(),
        ...(this.#opts.namespace ? { namespace: this.#opts.namespace } : {}),
      },
      (type, obj) => this.#event(type, obj),
    );
  }

  /** The server accepted the watch: what the consumer has is current again. */
  #opened(): void {
    if (this.#brokenSince !== undefined) {
      this.#opts.logger?.info({ resource: this.#ref.plural, staleSeconds: this.staleSeconds() }, 'watch resumed');
      this.#brokenSince = undefined;
    }
  }

  async #event(type: WatchEventType, obj: KubeObject): Promise<void> {
    const version = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') {
      if (typeof version === 'string' && version) this.#resourceVersion = version;
      return;
    }
    if (typeof obj.metadata.name !== 'string') return;
    const key = keyOf(obj.metadata);
    if (type === 'DELETED') {
      this.#known.delete(key);
      await this.#handlers.remove(obj);
    } else {
      this.#known.set(key, this.#tombstone(obj));
      await this.#handlers.upsert(obj);
    }
    // Moved on only once delivered: a failure in between resumes at this event.
    if (typeof version === 'string' && version) this.#resourceVersion = version;
  }

  #tombstone(obj: KubeObject): KubeObject {
    return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata };
  }
}
