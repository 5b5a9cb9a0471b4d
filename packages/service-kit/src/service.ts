// A service's lifecycle, importable and testable without a process: configuration, logger,
// metrics, the health server, the bus connection, its slice of the topology, the service's own
// start hook, and an orderly stop. `runService` (run.ts) adds the process around it.
import Fastify, { type FastifyInstance } from 'fastify';
import type { CommonShape, ConfigOf, ConfigShape } from '@assay/config';
import { connectBus, provisionTopology, type BusConnection } from '@assay/bus';
import { pause } from '@assay/kit';
import { createLogger, createMetrics, initTracing } from '@assay/telemetry';
import { healthPlugin } from './health.ts';
import { Readiness } from './readiness.ts';
import {
  serviceConfigSpec,
  type CreateServiceOptions,
  type ServiceConfig,
  type ServiceDefinition,
  type ServiceHandle,
  type ServiceState,
} from './definition.ts';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/** Builds a service; throws `ConfigError` (from @assay/config) when its configuration is invalid. */
export function createService<S extends ConfigShape, A = void>(
  def: ServiceDefinition<S, A>,
  opts: CreateServiceOptions = {},
): ServiceHandle<S, A> {
  const config = serviceConfigSpec(def).load({ env: opts.env ?? process.env }) as ServiceConfig<S>;
  const common = config as unknown as ConfigOf<CommonShape>;
  const instance = common.SERVICE_INSTANCE;
  const logger = createLogger({
    service: def.name,
    instance,
    level: common.LOG_LEVEL,
    ...(opts.logDestination ? { destination: opts.logDestination } : {}),
  });
  const metrics = createMetrics({ service: def.name, defaultMetrics: common.METRICS_DEFAULT });
  const readiness = new Readiness();
  const abort = new AbortController();
  const stopHooks: Array<() => Promise<void> | void> = [];

  let state: ServiceState = 'created';
  let address: string | undefined;
  let bus: BusConnection | undefined;
  let api: A | undefined;
  let app: FastifyInstance | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let failure: Error | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  // Built-in checks: the service is started (and not stopping), the topology is provisioned,
  // and, unless the definition says it can work without, the bus is connected.
  const needsBus = def.readiness?.bus ?? true;
  /** What start is doing now, for the `started` check's detail. */
  let phase = 'not started';
  readiness.add('started', () =>
    state === 'running'
      ? true
      : {
          ok: false,
          detail: state === 'stopping' || state === 'stopped' ? 'shutting down' : state === 'starting' ? `starting: ${phase}` : state,
        },
  );
  if (needsBus) {
    readiness.add('bus', () =>
      bus?.isConnected() ? true : { ok: false, detail: bus ? 'disconnected from NATS (reconnecting)' : 'not connected to NATS yet' },
    );
  }
  const topologyFlag = readiness.flag('topology', 'not provisioned yet');

  metrics.gauge({
    name: 'assay_service_ready',
    help: 'Whether the service reports ready (1) or not (0)',
    collect() {
      // Collected at scrape time: cheap flags only, no network.
      // Not the service's own checks (they may ask the network); /readyz has the whole answer.
      this.set(state === 'running' && (!needsBus || bus?.isConnected()) && topologyFlag.ok ? 1 : 0);
    },
  });
  metrics.gauge({
    name: 'assay_bus_connected',
    help: 'Whether the NATS connection is up (1) or not (0)',
    collect() {
      this.set(bus?.isConnected() ? 1 : 0);
    },
  });

  // Waits between attempts end early at stop; the retry loop then sees the stop and gives up.
  const sleep = (ms: number) => pause(ms, abort.signal);

  /** Runs `fn` until it succeeds, backing off; returns undefined if the service stops meanwhile. */
  async function retry<T>(what: string, fn: () => Promise<T>, onError?: (err: unknown) => void): Promise<T | undefined> {
    let wait = RETRY_MIN_MS;
    let attempts = 0;
    let lastMessage = '';
    while (!abort.signal.aborted) {
      try {
        return await fn();
      } catch (err) {
        attempts++;
        onError?.(err);
        const message = err instanceof Error ? err.message : String(err);
        // Log the first failure, every change of reason, and then every 10th attempt.
        if (attempts === 1 || message !== lastMessage || attempts % 10 === 0) {
          logger.warn({ err, attempts, retryInMs: wait }, `${what} failed; retrying`);
        }
        lastMessage = message;
        await sleep(wait);
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
    return undefined;
  }

  async function listen(): Promise<void> {
    app = Fastify({ logger: false });
    app.setErrorHandler((err, _req, reply) => {
      logger.error({ err }, 'health server request failed');
      void reply.code(500).send({ error: 'internal error' });
    });
    await app.register(healthPlugin, { service: def.name, instance, readiness, metrics });
    if (def.routes) {
      await def.routes(app, { name: def.name, instance, config, logger, metrics, api: () => api });
    }
    await app.listen({ host: common.HTTP_HOST, port: common.HTTP_PORT });
    const a = app.server.address();
    if (a === null || typeof a === 'string') throw new Error('health server has no TCP address');
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    address = `http://${host}:${a.port}`;
    logger.info({ health_url: address, port: a.port }, 'health server listening');
    opts.onListening?.(address);
  }

  async function connect(): Promise<BusConnection | undefined> {
    return retry('connecting to NATS', () =>
      connectBus({
        servers: common.NATS_URL,
        name: `${def.name}@${instance}`,
        connectTimeoutMs: common.NATS_CONNECT_TIMEOUT,
        logger: logger.child({ component: 'bus' }),
        ...(common.NATS_USER !== undefined ? { user: common.NATS_USER, password: common.NATS_PASSWORD ?? '' } : {}),
        ...(common.NATS_TOKEN !== undefined ? { token: common.NATS_TOKEN } : {}),
        ...(common.NATS_NKEY_SEED !== undefined ? { nkeySeed: common.NATS_NKEY_SEED } : {}),
        ...(common.NATS_CREDS !== undefined ? { credsFile: common.NATS_CREDS } : {}),
        ...(common.NATS_TLS_CA !== undefined || common.NATS_TLS_CERT !== undefined
          ? {
              tls: {
                ...(common.NATS_TLS_CA !== undefined ? { caFile: common.NATS_TLS_CA } : {}),
                ...(common.NATS_TLS_CERT !== undefined ? { certFile: common.NATS_TLS_CERT } : {}),
                ...(common.NATS_TLS_KEY !== undefined ? { keyFile: common.NATS_TLS_KEY } : {}),
              },
            }
          : {}),
      }),
    );
  }

  async function provision(conn: BusConnection): Promise<boolean> {
    const topology = typeof def.topology === 'function' ? def.topology(config) : def.topology;
    if (!topology) {
      topologyFlag.set(true);
      return true;
    }
    const what = [
      ...topology.streams.map((s) => `stream ${s.name}`),
      ...topology.consumers.map((c) => `consumer ${c.stream}/${c.durable}`),
      ...topology.buckets.map((b) => `bucket ${b.name}`),
    ];
    const report = await retry(
      'provisioning the topology',
      async () => {
        const jsm = await conn.jetstreamManager();
        return provisionTopology(jsm, topology, {
          replicas: common.NATS_REPLICAS,
          logger: logger.child({ component: 'provision' }),
        });
      },
      (err) => topologyFlag.set(false, err instanceof Error ? err.message : String(err)),
    );
    if (report) {
      topologyFlag.set(true);
      logger.info({ provisioned: what, replicas: common.NATS_REPLICAS }, 'topology provisioned');
    }
    return report !== undefined;
  }

  async function run(): Promise<void> {
    state = 'starting';
    initTracing();
    const shown = Object.fromEntries(Object.entries(serviceConfigSpec(def).redact(config as never)).filter(([, v]) => v !== undefined));
    logger.info({ config: shown }, 'starting');
    phase = 'starting the health server';
    await listen();
    phase = 'connecting to NATS';
    const conn = await connect();
    if (!conn) return;
    if (abort.signal.aborted) {
      // Connected just as the stop began, too late for stop() to see it.
      await conn.close();
      return;
    }
    bus = conn;
    // A connection closed for good while the service runs is fatal: stop, and let the
    // process runner exit non-zero.
    void conn.closed.then((err) => {
      if (state === 'starting' || state === 'running') {
        logger.error({ err }, 'NATS connection closed unexpectedly');
        failure = new Error(`NATS connection closed unexpectedly${err ? `: ${err.message}` : ''}`);
        void stop('bus connection closed');
      }
    });
    phase = 'provisioning streams, consumers and buckets';
    if (!(await provision(conn))) return;
    phase = 'running its start hook';
    if (def.start) {
      api = await def.start({
        name: def.name,
        instance,
        config,
        logger,
        metrics,
        bus: conn,
        readiness,
        onStop: (fn) => void stopHooks.push(fn),
        signal: abort.signal,
      });
    }
    if (abort.signal.aborted) return;
    state = 'running';
    logger.info({ health_url: address }, 'service started');
  }

  function start(): Promise<void> {
    if (starting) return starting;
    if (state !== 'created') return Promise.reject(new Error(`${def.name}: cannot start a service that is ${state}`));
    starting = run().catch(async (err: unknown) => {
      logger.error({ err }, 'start failed');
      failure = err instanceof Error ? err : new Error(String(err));
      await stop('start failed');
      throw err;
    });
    return starting;
  }

  function stop(reason = 'stop requested'): Promise<void> {
    stopping ??= (async () => {
      const wasStarted = state !== 'created';
      state = 'stopping';
      abort.abort();
      if (wasStarted) logger.info({ reason }, 'stopping');
      for (const hook of stopHooks.reverse()) {
        try {
          await hook();
        } catch (err) {
          logger.error({ err }, 'stop hook failed');
        }
      }
      if (bus) {
        try {
          await bus.close();
          logger.info({}, 'bus drained');
        } catch (err) {
          logger.error({ err }, 'draining the bus failed');
        }
      }
      if (app) {
        try {
          await app.close();
        } catch (err) {
          logger.error({ err }, 'closing the health server failed');
        }
      }
      state = failure ? 'failed' : 'stopped';
      if (wasStarted) logger.info({}, 'stopped');
      resolveDone();
    })();
    return stopping;
  }

  async function ready(o: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    for (;;) {
      if (state === 'stopping' || state === 'stopped' || state === 'failed') {
        throw new Error(`${def.name} is ${state}, not ready`);
      }
      const report = await readiness.evaluate();
      if (report.ready) return;
      if (Date.now() > deadline) {
        const why = report.checks
          .filter((c) => !c.ok)
          .map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`)
          .join(', ');
        throw new Error(`${def.name} not ready after ${o.timeoutMs ?? 30_000} ms: ${why}`);
      }
      await pause(50);
    }
  }

  return {
    name: def.name,
    instance,
    config,
    logger,
    metrics,
    checks: readiness,
    get state() {
      return state;
    },
    get failure() {
      return failure;
    },
    get address() {
      return address;
    },
    get bus() {
      return bus;
    },
    get api() {
      return api;
    },
    start,
    stop,
    ready,
    readiness: () => readiness.evaluate(),
    done,
  };
}
