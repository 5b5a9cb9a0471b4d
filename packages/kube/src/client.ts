// KubeClient: the handful of calls Assay's controllers, informers and report writers make —
// get (undefined on 404), paged list, create, replace (PUT with the object's resourceVersion, so
// a stale write is a 409 Conflict rather than a lost update), replaceStatus (the status
// subresource), delete (404 ignored) and watch (newline-delimited events, each line capped).
import type { IncomingMessage } from 'node:http';
import { isObject } from '@assay/kit';
import type { KubeConnection } from './connection.ts';
import { KubeApiError, watchError } from './errors.ts';
import { exchange, readBody, type Exchange } from './http.ts';
import { resourcePath, type KubeObject, type ResourceRef } from './resource.ts';

export interface KubeClientOptions {
  /** Idle deadline of a call (ms). Default 30000. */
  timeoutMs?: number;
  /** Cap on a response body (a list page, an object). Default 64 MiB. */
  maxBodyBytes?: number;
}

export interface ListOptions {
  namespace?: string;
  limit?: number;
  continue?: string;
  labelSelector?: string;
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchOptions {
  namespace?: string;
  resourceVersion: string;
  timeoutSeconds: number;
  allowWatchBookmarks?: boolean;
  labelSelector?: string;
  /** A single event line longer than this fails the watch. Default 4 MiB. */
  maxEventBytes?: number;
  signal?: AbortSignal;
  /** Called once the server has accepted the watch (200), before any event. */
  onOpen?: () => void;
}

/** Per-call overrides: a shorter deadline, or an abort signal. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

function isKubeObject(v: unknown): v is KubeObject {
  return isObject(v) && isObject(v.metadata) && typeof v.metadata.name === 'string';
}

export class KubeClient {
  readonly connection: KubeConnection;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;

  constructor(conn: KubeConnection, opts: KubeClientOptions = {}) {
    this.connection = conn;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxBodyBytes = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  }

  async #json(x: Omit<Exchange, 'idleMs' | 'maxBodyBytes'>, call: CallOptions = {}): Promise<unknown> {
    const res = await exchange(this.connection, {
      ...x,
      idleMs: call.timeoutMs ?? this.#timeoutMs,
      signal: call.signal ?? x.signal,
      maxBodyBytes: this.#maxBodyBytes,
    });
    const body = await readBody(res, this.#maxBodyBytes);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new Error(`${x.method} ${x.path}: the answer is not JSON`);
    }
  }

  async #object(x: Omit<Exchange, 'idleMs' | 'maxBodyBytes'>, call?: CallOptions): Promise<KubeObject> {
    const body = await this.#json(x, call);
    if (!isKubeObject(body)) throw new Error(`${x.method} ${x.path}: the answer is not an object with metadata.name`);
    return body;
  }

  /** The object, or undefined when it does not exist (404). */
  async get(ref: ResourceRef, name: string, namespace?: string, call?: CallOptions): Promise<KubeObject | undefined> {
    try {
      return await this.#object({ method: 'GET', path: resourcePath(ref, namespace, name) }, call);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** One page of a list (all namespaces of a namespaced resource when no namespace is given). */
  async list(ref: ResourceRef, opts: ListOptions = {}, call?: CallOptions): Promise<ListPage> {
    const q = new URLSearchParams();
    if (opts.limit) q.set('limit', String(opts.limit));
    if (opts.continue) q.set('continue', opts.continue);
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    const path = `${resourcePath(ref, opts.namespace)}${q.size ? `?${q}` : ''}`;
    const body = await this.#json({ method: 'GET', path }, call);
    if (!isObject(body) || !Array.isArray(body.items) || !isObject(body.metadata)) throw new Error(`GET ${path}: not a list`);
    const page: ListPage = {
      items: body.items.filter(isKubeObject),
      resourceVersion: typeof body.metadata.resourceVersion === 'string' ? body.metadata.resourceVersion : '',
    };
    if (typeof body.metadata.continue === 'string' && body.metadata.continue) page.continue = body.metadata.continue;
    return page;
  }

  create(ref: ResourceRef, obj: KubeObject, call?: CallOptions): Promise<KubeObject> {
    return this.#object({ method: 'POST', path: resourcePath(ref, obj.metadata.namespace), body: obj }, call);
  }

  /** PUT of the whole object; its metadata.resourceVersion, when set, must be current (else 409 Conflict). */
  replace(ref: ResourceRef, obj: KubeObject, call?: CallOptions): Promise<KubeObject> {
    return this.#object({ method: 'PUT', path: resourcePath(ref, obj.metadata.namespace, obj.metadata.name), body: obj }, call);
  }

  /** PUT of the status subresource: only `status` changes. */
  replaceStatus(ref: ResourceRef, obj: KubeObject, call?: CallOptions): Promise<KubeObject> {
    return this.#object({ method: 'PUT', path: resourcePath(ref, obj.metadata.namespace, obj.metadata.name, 'status'), body: obj }, call);
  }

  /** Deletes the object; one already gone (404) is not an error. */
  async delete(ref: ResourceRef, name: string, namespace?: string, call?: CallOptions): Promise<void> {
    try {
      await this.#json({ method: 'DELETE', path: resourcePath(ref, namespace, name) }, call);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return;
      throw err;
    }
  }

  /**
   * Watches from `resourceVersion`, calling `onEvent` for each event in order. Resolves when the
   * server ends the stream (its timeout), rejects when the connection drops, on an ERROR event
   * (a KubeApiError: 410 is "too old resource version") or on a line longer than the cap.
   */
  async watch(
    ref: ResourceRef,
    opts: WatchOptions,
    onEvent: (type: WatchEventType, obj: KubeObject) => void | Promise<void>,
  ): Promise<void> {
    const q = new URLSearchParams({ watch: '1', resourceVersion: opts.resourceVersion, timeoutSeconds: String(opts.timeoutSeconds) });
    if (opts.allowWatchBookmarks !== false) q.set('allowWatchBookmarks', 'true');
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    const path = `${resourcePath(ref, opts.namespace)}?${q}`;
    // No byte for this long (bookmarks come about once a minute) means a dead connection.
    const res: IncomingMessage = await exchange(this.connection, {
      method: 'GET',
      path,
      idleMs: (opts.timeoutSeconds + 60) * 1000,
      signal: opts.signal,
      maxBodyBytes: this.#maxBodyBytes,
    });
    opts.onOpen?.();
    const max = opts.maxEventBytes ?? 4 * 1024 * 1024;
    const what = `watch ${ref.plural}`;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const line = async (raw: Buffer) => {
      const text = raw.toString('utf8').trim();
      if (!text) return;
      const event: unknown = JSON.parse(text);
      if (!isObject(event) || typeof event.type !== 'string' || !isObject(event.object)) throw new Error(`${what}: not a watch event`);
      if (event.type === 'ERROR') throw watchError(what, event.object);
      if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED' && event.type !== 'BOOKMARK') return;
      if (!isObject(event.object.metadata)) throw new Error(`${what}: an event without metadata`);
      await onEvent(event.type, event.object as KubeObject);
    };
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        let from = 0;
        let nl: number;
        while ((nl = chunk.indexOf(0x0a, from)) >= 0) {
          const part = chunk.subarray(from, nl);
          if (pendingBytes + part.length > max) throw new Error(`${what}: an event larger than ${max} bytes`);
          const whole = pending.length ? Buffer.concat([...pending, part]) : part;
          pending = [];
          pendingBytes = 0;
          from = nl + 1;
          await line(whole);
        }
        if (from < chunk.length) {
          pending.push(chunk.subarray(from));
          pendingBytes += chunk.length - from;
          if (pendingBytes > max) throw new Error(`${what}: an event larger than ${max} bytes`);
        }
      }
    } finally {
      if (!res.complete) res.destroy();
    }
    if (pendingBytes) await line(Buffer.concat(pending));
    if (!res.complete) throw new Error(`${what}: connection dropped`);
  }
}
