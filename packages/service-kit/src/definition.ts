// What a service is, as the service kit sees it: its definition (name, configuration, topology,
// readiness needs, start hook, routes), what its hooks are given, and the handle createService
// returns. The lifecycle that runs it is service.ts.
import type { FastifyInstance } from 'fastify';
import {
  commonChecks,
  commonSettings,
  defineConfig,
  type CommonShape,
  type ConfigOf,
  type ConfigShape,
  type ConfigSpec,
  type Env,
} from '@assay/config';
import type { BusConnection, ProvisionTopology } from '@assay/bus';
import type { DestinationStream, Logger, Metrics } from '@assay/telemetry';
import type { Readiness, ReadinessReport } from './readiness.ts';

/** The configuration a service sees: the common variables plus its own. */
export type ServiceConfig<S extends ConfigShape> = ConfigOf<Omit<CommonShape, keyof S> & S>;

/** What every view of a running service has: who it is, its configuration, logger and metrics. */
export interface ServiceBasics<S extends ConfigShape = ConfigShape> {
  readonly name: string;
  readonly instance: string;
  readonly config: ServiceConfig<S>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface ServiceContext<S extends ConfigShape = ConfigShape> extends ServiceBasics<S> {
  /** Connected, with the service's topology provisioned. */
  readonly bus: BusConnection;
  /** Add the service's own readiness checks here. */
  readonly readiness: Readiness;
  /** Runs `fn` at stop, before the bus drains; hooks run in reverse order of registration. */
  onStop(fn: () => Promise<void> | void): void;
  /** Aborted when the service begins to stop. */
  readonly signal: AbortSignal;
}

/**
 * The built-in readiness checks a service wants, besides `started` and `topology` (every service
 * has those). What else it needs to do its job it adds itself, in its start hook.
 */
export interface ReadinessNeeds {
  /**
   * Ready only while connected to NATS (check `bus`); default true. A service that keeps doing
   * its job from memory while the bus is away (admission decides from its mirrors) sets false,
   * so an outage of NATS does not take it out of its Service's endpoints.
   */
  readonly bus?: boolean;
}

export interface ServiceDefinition<S extends ConfigShape = ConfigShape, A = void> {
  /** Service name: `registry-watcher`, `scanner`, … (logs, metrics label, NATS client name). */
  readonly name: string;
  /** Default port of the health/metrics server (HTTP_PORT overrides). */
  readonly httpPort: number;
  /** Built-in readiness checks it needs (default: all of them); see ReadinessNeeds. */
  readonly readiness?: ReadinessNeeds;
  /** The service's own variables, on top of the common ones (see @assay/config commonSettings). */
  readonly config?: S;
  /** Streams, consumers and buckets the service provisions at start (its own slice; a `Topology` from @assay/proto). */
  readonly topology?: ProvisionTopology | ((config: ServiceConfig<S>) => ProvisionTopology);
  /**
   * Starts the service's own work once the bus is connected and the topology provisioned:
   * consumers, mirrors, servers, readiness checks, stop hooks. Must not block for long; work
   * that waits (a mirror syncing) reports through a readiness check instead. What it returns
   * is the running service's API, available as `handle.api` (tests, embedding).
   */
  start?(ctx: ServiceContext<S>): Promise<A> | A;
  /**
   * The service's own HTTP routes on its health server, registered before it listens (fastify
   * takes no routes afterwards): typically `app.register(plugin, …)`, which keeps the plugin's
   * error handler and content-type parsers to itself. Handlers reach the running service through
   * `ctx.api()`, undefined until the start hook has returned (answer 503 meanwhile).
   */
  routes?(app: FastifyInstance, ctx: RoutesContext<S, A>): Promise<void> | void;
}

/** What a definition's `routes` hook gets. */
export interface RoutesContext<S extends ConfigShape = ConfigShape, A = void> extends ServiceBasics<S> {
  /** What the start hook returned, once it has; undefined before (and never if it has none). */
  api(): A | undefined;
}

export interface CreateServiceOptions {
  /** Variables to read; process.env by default. */
  env?: Env;
  /** Where log lines go; stdout by default. */
  logDestination?: DestinationStream;
  /** Called once the health server listens, with its `http://host:port`. */
  onListening?: (address: string) => void;
}

export type ServiceState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ServiceHandle<S extends ConfigShape = ConfigShape, A = void> extends ServiceBasics<S> {
  /** The readiness checks (add the service's own with `checks.add`). */
  readonly checks: Readiness;
  readonly state: ServiceState;
  /** Why the service failed (start failed, bus closed for good); undefined otherwise. */
  readonly failure: Error | undefined;
  /** `http://host:port` of the health server once it listens; undefined before. */
  readonly address: string | undefined;
  /** The bus connection once connected. */
  readonly bus: BusConnection | undefined;
  /** What the definition's start hook returned, once it has. */
  readonly api: A | undefined;
  /**
   * Starts the health server, then connects to the bus (retrying until it answers), provisions
   * the topology and runs the start hook. The health server answers (/readyz 503) while the
   * rest is still under way. Resolves when the start hook has returned.
   */
  start(): Promise<void>;
  /** Resolves when every readiness check passes; rejects if the service stops or fails first, or on timeout. */
  ready(opts?: { timeoutMs?: number }): Promise<void>;
  /** The readiness checks now, as /readyz reports them. */
  readiness(): Promise<ReadinessReport>;
  /** Not ready at once; stop hooks; drain the bus; close the health server. Idempotent. */
  stop(reason?: string): Promise<void>;
  /** Resolves when the service has stopped for good (stopped or failed). */
  readonly done: Promise<void>;
}

/** The full configuration spec of a service definition: common variables, its own, and the common checks. */
export function serviceConfigSpec<S extends ConfigShape>(def: ServiceDefinition<S, unknown>): ConfigSpec<Omit<CommonShape, keyof S> & S> {
  const shape = { ...commonSettings({ httpPort: def.httpPort }), ...(def.config ?? ({} as S)) } as Omit<CommonShape, keyof S> & S;
  return defineConfig(shape, {
    checks: [(c) => commonChecks(c as unknown as ConfigOf<CommonShape>)],
  });
}
