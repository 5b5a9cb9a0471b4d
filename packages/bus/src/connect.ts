// One NATS connection per service: reconnects forever (a service outlives NATS restarts and
// rolling upgrades), reports its state for /readyz, logs its status changes, and shuts down in
// order — consumers and mirrors first, then a drain, so no handler loses its ack.
import { readFile } from 'node:fs/promises';
import {
  type Authenticator,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  DebugEvents,
  Events,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nkeyAuthenticator,
  type Status,
} from 'nats';
import { type BusLogger, silentLogger } from './logger.ts';

export interface BusTlsOptions {
  /** CA bundle that signs the server certificate. */
  caFile?: string;
  /** Client certificate and key, for servers that verify clients. */
  certFile?: string;
  keyFile?: string;
}

export interface BusConnectOptions {
  /** One URL or a list (a cluster's seed URLs), e.g. `nats://127.0.0.1:4222`. */
  servers: string | readonly string[];
  /** Client name shown by the server (`nats server report connections`): the service name. */
  name?: string;
  user?: string;
  password?: string;
  token?: string;
  /** NKey user seed (`SU...`), inline or in a file. */
  nkeySeed?: string;
  nkeySeedFile?: string;
  /** Decentralised-auth credentials file (JWT + seed). */
  credsFile?: string;
  tls?: BusTlsOptions;
  /** Bound on the initial connection (per server tried), in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Wait between reconnect attempts to the same server, in ms. Default 2000. */
  reconnectTimeWaitMs?: number;
  /** Random extra wait, so a fleet does not reconnect in lockstep. Default 500 ms (1000 with TLS). */
  reconnectJitterMs?: number;
  reconnectJitterTlsMs?: number;
  /**
   * Default 10 s. Two unanswered pings end the connection, so a silent partition (no TCP close)
   * is noticed within about 30 s instead of nats.js's default of several minutes: admission's
   * staleness and every service's readiness depend on noticing it.
   */
  pingIntervalMs?: number;
  /** Bound on the drain at close, in ms. Default 10000. */
  drainTimeoutMs?: number;
  logger?: BusLogger;
}

/** What consumers and mirrors need to know about the connection they run on. */
export interface ConnectionState {
  isConnected(): boolean;
  /** Calls `listener` on every status event (disconnect, reconnect, ...); returns an unsubscribe function. */
  onStatus(listener: (status: Status) => void): () => void;
  /**
   * Registers a consumer or mirror started on this connection, so closing the connection stops
   * it first (and waits for its in-flight handlers). Forgotten once `s.closed` settles.
   */
  track?(s: Stoppable): void;
}

/** Something that must stop before the connection drains (a consumer, a mirror). */
export interface Stoppable {
  stop(): Promise<void>;
  readonly closed?: Promise<unknown>;
}

export interface BusConnection extends ConnectionState {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly servers: readonly string[];
  jetstreamManager(): Promise<JetStreamManager>;
  track(s: Stoppable): void;
  /** Stops tracked consumers and mirrors (waiting for in-flight handlers), then drains. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the connection is closed for good; carries the error that closed it, if any. */
  readonly closed: Promise<Error | undefined>;
}

/** The connection could not be established at start: names the servers and why. */
export class BusConnectError extends Error {
  readonly servers: readonly string[];
  constructor(message: string, servers: readonly string[], cause?: unknown) {
    super(message, { cause });
    this.name = 'BusConnectError';
    this.servers = servers;
  }
}

async function authenticators(opts: BusConnectOptions): Promise<Authenticator[]> {
  const out: Authenticator[] = [];
  if (opts.nkeySeed !== undefined || opts.nkeySeedFile !== undefined) {
    const seed = opts.nkeySeed ?? (await readFile(opts.nkeySeedFile!, 'utf8'));
    out.push(nkeyAuthenticator(new TextEncoder().encode(seed.trim())));
  }
  if (opts.credsFile !== undefined) {
    out.push(credsAuthenticator(new Uint8Array(await readFile(opts.credsFile))));
  }
  return out;
}

function describeFailure(err: unknown, opts: BusConnectOptions): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'AUTHORIZATION_VIOLATION' || /authorization/i.test(message)) {
    const who = opts.user
      ? `the credentials of user '${opts.user}'`
      : opts.credsFile
        ? `the credentials in ${opts.credsFile}`
        : opts.nkeySeed || opts.nkeySeedFile
          ? 'the nkey'
          : opts.token
            ? 'the token'
            : 'a client without credentials';
    return `server rejected ${who} (${message})`;
  }
  if (code === 'CONNECTION_REFUSED') return 'connection refused';
  if (code === 'TIMEOUT' || code === 'CONNECTION_TIMEOUT') return 'timed out';
  return message;
}

/** Connects to NATS, failing with a `BusConnectError` within the timeout when no server answers. */
export async function connectBus(opts: BusConnectOptions): Promise<BusConnection> {
  const servers = typeof opts.servers === 'string' ? [opts.servers] : [...opts.servers];
  if (servers.length === 0) throw new BusConnectError('no NATS server configured', servers);
  const logger = opts.logger ?? silentLogger;
  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  const where = servers.join(', ');

  const auth = await authenticators(opts);
  const options: ConnectionOptions = {
    servers,
    name: opts.name,
    timeout: timeoutMs,
    // Reconnect forever: a service must survive NATS restarts and rolling upgrades.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 2000,
    reconnectJitter: opts.reconnectJitterMs ?? 500,
    reconnectJitterTLS: opts.reconnectJitterTlsMs ?? 1000,
    // Keep trying through auth errors during reconnects too (credentials being rotated); the
    // service stays unready meanwhile instead of dying.
    ignoreAuthErrorAbort: true,
    waitOnFirstConnect: false,
    pingInterval: opts.pingIntervalMs ?? 10_000,
    maxPingOut: 2,
    // Otherwise every request, publish acknowledgement and KV update builds an Error up front
    // (its stack kept for a timeout that almost never comes): two of the three error objects a
    // verdict write made, about 5 % of the policy service's CPU while it re-judges every image.
    // Errors still carry their code and message.
    noAsyncTraces: true,
    ...(opts.user !== undefined ? { user: opts.user, pass: opts.password ?? '' } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(auth.length > 0 ? { authenticator: auth } : {}),
    ...(opts.tls ? { tls: { ...opts.tls } } : {}),
  };

  // The client bounds each attempt with `timeout`; this guard bounds the whole first connect
  // (several servers, slow TLS), so a misconfigured service fails fast with a clear message.
  const overallMs = timeoutMs * servers.length + 1000;
  const attempt = connect(options);
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${overallMs} ms`)), overallMs);
  });
  let nc: NatsConnection;
  try {
    nc = await Promise.race([attempt, guard]);
  } catch (err) {
    // A connect that completes after we gave up must not leak a live connection.
    attempt.then((late) => late.close()).catch(() => {});
    throw new BusConnectError(`cannot connect to NATS at ${where}: ${describeFailure(err, opts)}`, servers, err);
  } finally {
    clearTimeout(timer);
  }
  logger.info({ server: nc.getServer(), name: opts.name }, 'connected to NATS');
  return wrap(nc, servers, logger, opts.drainTimeoutMs ?? 10_000);
}

function wrap(nc: NatsConnection, servers: readonly string[], logger: BusLogger, drainTimeoutMs: number): BusConnection {
  let connected = true;
  const listeners = new Set<(status: Status) => void>();
  const tracked = new Set<Stoppable>();
  let closing: Promise<void> | undefined;

  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
          connected = false;
          logger.warn({ server: s.data }, 'disconnected from NATS; reconnecting');
          break;
        case Events.Reconnect:
          connected = true;
          logger.info({ server: s.data }, 'reconnected to NATS');
          break;
        case Events.Error:
          logger.error({ error: String(s.data), permission: s.permissionContext }, 'NATS async error');
          break;
        case Events.LDM:
          logger.warn({ server: s.data }, 'NATS server entering lame duck mode');
          break;
        case DebugEvents.StaleConnection:
          logger.warn({ server: s.data }, 'NATS connection stale');
          break;
        default:
          logger.debug({ type: s.type, data: s.data }, 'NATS status');
      }
      for (const l of listeners) {
        try {
          l(s);
        } catch (err) {
          logger.error({ err }, 'status listener failed');
        }
      }
    }
  })();

  const closed = nc.closed().then((err) => {
    connected = false;
    if (err) logger.error({ err }, 'NATS connection closed with an error');
    else logger.info({}, 'NATS connection closed');
    return err ?? undefined;
  });

  const js = nc.jetstream();
  return {
    nc,
    js,
    servers,
    closed,
    isConnected: () => connected && !nc.isClosed() && !nc.isDraining(),
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    jetstreamManager: () => nc.jetstreamManager(),
    track(s) {
      tracked.add(s);
      s.closed?.finally(() => tracked.delete(s)).catch(() => {});
    },
    close() {
      closing ??= (async () => {
        // Stop pulling and let in-flight handlers ack before the connection goes away.
        const results = await Promise.allSettled([...tracked].map((s) => s.stop()));
        for (const r of results) {
          if (r.status === 'rejected') logger.error({ err: r.reason }, 'stopping a consumer or mirror failed');
        }
        tracked.clear();
        if (!nc.isClosed()) {
          // A drain needs the server; while disconnected it could wait for ever, so bound it.
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), drainTimeoutMs);
          });
          try {
            const r = await Promise.race([nc.drain().then(() => 'drained' as const), timeout]);
            if (r === 'timeout') logger.warn({ drainTimeoutMs }, 'NATS drain timed out; closing');
            // A drain that fails part-way (disconnected) resolves without closing: close anyway.
            if (!nc.isClosed()) await nc.close();
          } catch (err) {
            // Draining a connection that is already closing or closed: nothing left to do.
            logger.debug({ err }, 'drain failed; closing');
            await nc.close().catch(() => {});
          } finally {
            clearTimeout(timer);
          }
        }
        await closed;
      })();
      return closing;
    },
  };
}
