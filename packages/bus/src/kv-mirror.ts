// An in-memory copy of a KV bucket, kept current by a watch: admission answers from it without
// a network round trip. It is `synced` once it holds every key the bucket had when the watch
// began. When the watch is lost (the server restarted, the connection dropped) it keeps serving
// the last known values and re-syncs: a fresh full load is compared with what it holds, so keys
// deleted during the outage disappear too.
import type { ConnectionState } from './connect.ts';
import {
  Events,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
  type KvEntry,
  type MsgRequest,
  type QueuedIterator,
  type StoredMsg,
} from 'nats';
import { pause } from '@assay/kit';
import { type BusLogger, silentLogger } from './logger.ts';
import { bucketStreamName } from './provision.ts';

export type MirrorChange<T> =
  | { readonly op: 'put'; readonly key: string; readonly value: T; readonly previous: T | undefined; readonly revision: number }
  | { readonly op: 'delete'; readonly key: string; readonly previous: T; readonly revision: number };

export interface KvMirrorOptions<T> {
  js: JetStreamClient;
  bucket: string;
  /** Turns a stored value into what the mirror holds, e.g. `(b) => fromBinary(VerdictSchema, b)`. */
  decode: (value: Uint8Array, key: string) => T;
  /**
   * Only keys matching this subject-style filter (`sha256.*`). Default: all. With a filter, every
   * update after a gap in stream sequences costs a lookup (see recoverSkipped).
   */
  key?: string;
  /** Called for every change of the mirror's content (the initial load included). */
  onChange?: (change: MirrorChange<T>) => void;
  /** The connection (a BusConnection): re-syncs right after a reconnect, and stops with the bus. */
  connection?: ConnectionState;
  logger?: BusLogger;
}

export interface KvMirror<T> {
  readonly bucket: string;
  get(key: string): T | undefined;
  has(key: string): boolean;
  readonly size: number;
  entries(): IterableIterator<[string, T]>;
  keys(): IterableIterator<string>;
  /** Resolves once the initial load is complete; rejects if the mirror is stopped first. */
  readonly synced: Promise<void>;
  /** True from the first complete load on (an outage does not clear it: values keep being served). */
  isSynced(): boolean;
  /** True while the watch is up and loaded; false during an outage or a re-sync. */
  isLive(): boolean;
  /** Why the last watch attempt failed, until a load completes again (readiness details). */
  lastError(): string | undefined;
  /** Registers a change listener; returns a function that removes it. */
  on(event: 'change', listener: (change: MirrorChange<T>) => void): () => void;
  stop(): Promise<void>;
  readonly closed: Promise<void>;
}

function isConnectionClosed(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'CONNECTION_CLOSED';
}

interface Held<T> {
  value: T;
  revision: number;
}

/** Binds to an existing bucket (rejects clearly when it does not exist) and starts mirroring it. */
export async function mirrorBucket<T>(opts: KvMirrorOptions<T>): Promise<KvMirror<T>> {
  const { js, bucket, decode } = opts;
  const logger = opts.logger ?? silentLogger;
  const fields = { bucket };
  // Bind only: a mirror must never create a bucket with default settings.
  const kv: KV = await js.views.kv(bucket, { bindOnly: true });
  const stream = bucketStreamName(bucket);
  const keyPrefix = `$KV.${bucket}.`;
  const filterSubject = `${keyPrefix}${opts.key ?? '>'}`;
  let jsm: JetStreamManager;
  try {
    jsm = await js.jetstreamManager();
    await jsm.streams.info(stream);
  } catch (err) {
    throw new Error(`cannot mirror KV bucket ${bucket}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  let data = new Map<string, Held<T>>();
  const listeners = new Set<(c: MirrorChange<T>) => void>();
  if (opts.onChange) listeners.add(opts.onChange);
  let synced = false;
  let live = false;
  let stopped = false;
  // Cuts the supervisor's waits short at stop, so stop() never waits out a reconnect backoff.
  const stopping = new AbortController();
  let lastError: string | undefined;
  let current: QueuedIterator<KvEntry> | undefined;
  let resolveSynced!: () => void;
  let rejectSynced!: (err: Error) => void;
  const syncedPromise = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  // Nobody may be waiting on it when a mirror is stopped early; that is not an unhandled error.
  syncedPromise.catch(() => {});

  const emit = (c: MirrorChange<T>) => {
    for (const l of listeners) {
      try {
        l(c);
      } catch (err) {
        logger.error({ ...fields, key: c.key, err }, 'mirror change listener failed');
      }
    }
  };

  /** The held value for an entry, or undefined for a delete, a purge or an undecodable value. */
  const toHeld = (e: KvEntry): Held<T> | undefined => {
    if (e.operation !== 'PUT') return undefined;
    try {
      return { value: decode(e.value, e.key), revision: e.revision };
    } catch (err) {
      logger.error({ ...fields, key: e.key, revision: e.revision, err }, 'cannot decode KV value; treating the key as absent');
      return undefined;
    }
  };

  const apply = (key: string, held: Held<T> | undefined, revision: number) => {
    const before = data.get(key);
    if (held) {
      data.set(key, held);
      emit({ op: 'put', key, value: held.value, previous: before?.value, revision });
    } else if (before) {
      data.delete(key);
      emit({ op: 'delete', key, previous: before.value, revision });
    }
  };

  /** Replaces the content with a complete load, announcing only what differs. */
  const swapIn = (loaded: Map<string, Held<T>>) => {
    const old = data;
    data = loaded;
    for (const [key, before] of old) {
      if (!loaded.has(key)) emit({ op: 'delete', key, previous: before.value, revision: before.revision });
    }
    for (const [key, held] of loaded) {
      const before = old.get(key);
      if (!before || before.revision !== held.revision) {
        emit({ op: 'put', key, value: held.value, previous: before?.value, revision: held.revision });
      }
    }
  };

  /** The first stored message of the mirrored keys at or after `seq`, if any. */
  const nextStored = async (seq: number): Promise<StoredMsg | undefined> => {
    try {
      // Asked of the stream leader (not a direct get, which a lagging replica may answer).
      return await jsm.streams.getMessage(stream, { seq, next_by_subj: filterSubject } as unknown as MsgRequest);
    } catch (err) {
      if ((err as { code?: unknown }).code === '404') return undefined;
      throw err;
    }
  };

  const heldFromStored = (sm: StoredMsg): { key: string; held: Held<T> | undefined } => {
    const key = sm.subject.substring(keyPrefix.length);
    const op = sm.header?.get('KV-Operation');
    if (op === 'DEL' || op === 'PURGE') return { key, held: undefined };
    try {
      return { key, held: { value: decode(sm.data, key), revision: sm.seq } };
    } catch (err) {
      logger.error({ ...fields, key, revision: sm.seq, err }, 'cannot decode KV value; treating the key as absent');
      return { key, held: undefined };
    }
  };

  /**
   * nats-server 2.9 moves a lagging consumer past every message before a purge (a rollup),
   * including other keys' messages that are still stored: the watch never delivers them. So
   * when the watch jumps over sequences, look for stored messages in the gap and apply them, in
   * order, before the entry that followed the jump. A gap left by messages that are really
   * gone (superseded, purged) costs one lookup.
   */
  const recoverSkipped = async (from: number, to: number, into: (key: string, held: Held<T> | undefined, revision: number) => void) => {
    let seq = from;
    while (seq < to) {
      const sm = await nextStored(seq);
      if (!sm || sm.seq >= to) return;
      const { key, held } = heldFromStored(sm);
      logger.debug({ ...fields, key, revision: sm.seq }, 'applying a message the watch skipped');
      into(key, held, sm.seq);
      seq = sm.seq + 1;
    }
  };

  /** One watch, from its full initial load until it ends (error, stop, or a restart request). */
  async function watchOnce(): Promise<void> {
    // The initial load goes to a side map, so the old content stays served until the new one is whole.
    const loading = new Map<string, Held<T>>();
    let loaded = false;
    let processed = 0;
    // initializedFn reports how many entries make up the initial load; it may run before the
    // iterator exists (an empty bucket) or before the entries it counts have been processed.
    let target: number | undefined;
    let initSignalled = false;
    let iter: QueuedIterator<KvEntry> | undefined;
    // The initial load delivers only the last message of each key, so sequence gaps up to the
    // stream's end at the start are expected; after it, every gap is checked.
    const startSeq = (await jsm.streams.info(stream)).state.last_seq;
    let lastSeq = startSeq;
    const intoLoading = (key: string, held: Held<T> | undefined) => {
      if (held) loading.set(key, held);
      else loading.delete(key);
    };
    const finishLoad = () => {
      loaded = true;
      swapIn(loading);
      live = true;
      lastError = undefined;
      if (!synced) {
        synced = true;
        resolveSynced();
      }
      logger.info({ ...fields, keys: data.size }, 'KV mirror in sync');
    };
    iter = await kv.watch({
      ...(opts.key !== undefined ? { key: opts.key } : {}),
      initializedFn: () => {
        initSignalled = true;
        if (!iter) return;
        target = iter.getReceived();
        // Run in the iterator's order: the entries it counts may all be processed already.
        if (!loaded && processed >= target) finishLoad();
      },
    });
    current = iter;
    if (stopped) iter.stop();
    if (initSignalled && target === undefined) target = iter.getReceived();
    if (!loaded && target !== undefined && processed >= target) finishLoad();
    for await (const e of iter) {
      processed++;
      if (e.revision > lastSeq + 1 && e.revision > startSeq) {
        await recoverSkipped(lastSeq + 1, e.revision, loaded ? apply : intoLoading);
      }
      lastSeq = Math.max(lastSeq, e.revision);
      const held = toHeld(e);
      if (!loaded) {
        intoLoading(e.key, held);
        // `delta` is the number of messages still pending after this one: 0 means everything
        // the bucket held when it was delivered is in — the end of the load even if the
        // library's own signal never comes (its count goes wrong when the watch resets).
        if ((target !== undefined && processed >= target) || e.delta === 0) finishLoad();
      } else {
        apply(e.key, held, e.revision);
      }
      if (initSignalled && target === undefined) target = iter.getReceived();
      if (!loaded && target !== undefined && processed >= target) finishLoad();
    }
  }

  let unsubscribe: (() => void) | undefined;
  if (opts.connection) {
    // After a reconnect the server may have restarted and lost the watch's consumer: start over.
    unsubscribe = opts.connection.onStatus((s) => {
      if (s.type === Events.Reconnect && current) {
        logger.info(fields, 'reconnected; re-syncing KV mirror');
        current.stop();
      }
      if (s.type === Events.Disconnect) live = false;
    });
  }

  const supervise = async () => {
    let failures = 0;
    while (!stopped) {
      if (opts.connection && !opts.connection.isConnected()) {
        await pause(200, stopping.signal);
        continue;
      }
      try {
        await watchOnce();
        failures = 0;
      } catch (err) {
        if (isConnectionClosed(err)) {
          logger.warn(fields, 'connection closed; KV mirror stops');
          break;
        }
        failures++;
        lastError = err instanceof Error ? err.message : String(err);
        if (!stopped) logger.warn({ ...fields, err, failures }, 'KV watch failed; re-establishing');
      }
      current = undefined;
      live = false;
      if (stopped) break;
      await pause(Math.min(100 * 2 ** Math.min(failures, 5), 3_000), stopping.signal);
    }
  };
  const closed = supervise().finally(() => {
    unsubscribe?.();
    live = false;
    if (!synced) rejectSynced(new Error(`KV mirror of ${bucket} stopped before it was in sync`));
  });

  const mirror: KvMirror<T> = {
    bucket,
    get: (key) => data.get(key)?.value,
    has: (key) => data.has(key),
    get size() {
      return data.size;
    },
    *entries() {
      for (const [k, h] of data) yield [k, h.value];
    },
    keys: () => data.keys(),
    synced: syncedPromise,
    isSynced: () => synced,
    isLive: () => live,
    lastError: () => lastError,
    on(_event, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      stopping.abort();
      current?.stop();
      await closed;
    },
    closed,
  };
  opts.connection?.track?.(mirror);
  return mirror;
}
