// Watches of the stand-in: one JSON event per line on a chunked 200 answer, as the API server
// streams them. From a resourceVersion: every later change of the resource (in the namespace
// asked), or a single ERROR event with a 410 Expired Status when that version was compacted away
// ("too old resource version"). No version (or "0"): a synthetic ADDED per object first.
// BOOKMARK events (allowWatchBookmarks=true) carry only kind, apiVersion and the version;
// timeoutSeconds ends the stream cleanly.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, statusBody, type StandinResource } from './resources.ts';
import type { Change, ObjectStore } from './store.ts';

interface Watcher {
  res: ServerResponse;
  resource: StandinResource;
  namespace: string | undefined;
  selector: (labels: unknown) => boolean;
  wantsBookmarks: boolean;
}

export class Watches {
  readonly #watchers = new Set<Watcher>();

  get open(): number {
    return this.#watchers.size;
  }

  /** Sends a change to every watch of its resource and namespace. */
  publish(c: Change): void {
    for (const w of this.#watchers) {
      if (w.resource !== c.resource || (w.namespace !== undefined && c.object.metadata.namespace !== w.namespace)) continue;
      if (!w.selector(c.object.metadata.labels)) continue;
      w.res.write(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
    }
  }

  /** A BOOKMARK at `rv` to every watch that asked for bookmarks. */
  bookmark(rv: number): void {
    for (const w of this.#watchers) {
      if (!w.wantsBookmarks) continue;
      const object = { kind: w.resource.kind, apiVersion: apiVersionOf(w.resource), metadata: { resourceVersion: String(rv) } };
      w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  /** Destroys every open watch connection mid-stream (no clean end). */
  drop(): void {
    for (const w of this.#watchers) w.res.socket?.destroy();
    this.#watchers.clear();
  }

  close(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  start(
    store: ObjectStore,
    r: StandinResource,
    namespace: string | undefined,
    q: URLSearchParams,
    selector: (labels: unknown) => boolean,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const rvParam = q.get('resourceVersion') ?? '';
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const line = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    if (rvParam === '' || rvParam === '0') {
      for (const o of store.list(r, namespace)) if (selector(o.metadata.labels)) line('ADDED', o);
    } else {
      const from = Number(rvParam);
      if (!Number.isInteger(from) || from < store.compactedThrough) {
        line('ERROR', statusBody(410, 'Expired', `too old resource version: ${rvParam} (${store.compactedThrough})`));
        res.end();
        return;
      }
      for (const c of store.history) {
        if (c.rv <= from || c.resource !== r) continue;
        if (namespace !== undefined && c.object.metadata.namespace !== namespace) continue;
        if (selector(c.object.metadata.labels)) line(c.type, c.object);
      }
    }
    const watcher: Watcher = { res, resource: r, namespace, selector, wantsBookmarks: q.get('allowWatchBookmarks') === 'true' };
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
