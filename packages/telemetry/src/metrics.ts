// Prometheus metrics: one registry per service (not the global one, so several services can
// live in one test process), default Node.js metrics, and a `service` label on everything.
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface CreateMetricsOptions {
  service: string;
  /** Collect the default process/Node.js metrics (true by default). */
  defaultMetrics?: boolean;
}

type Config<C> = Omit<C, 'registers'>;

export interface Metrics {
  readonly registry: Registry;
  /** Content type of `text()`, for the HTTP response. */
  readonly contentType: string;
  counter<L extends string = string>(config: Config<CounterConfiguration<L>>): Counter<L>;
  gauge<L extends string = string>(config: Config<GaugeConfiguration<L>>): Gauge<L>;
  histogram<L extends string = string>(config: Config<HistogramConfiguration<L>>): Histogram<L>;
  /** The Prometheus text exposition of every metric. */
  text(): Promise<string>;
}

/** Buckets (seconds) for request/handler latencies, 1 ms to 30 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(opts: CreateMetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  // prom-client throws when a name is registered twice; return the existing metric instead, so
  // a helper can be called from more than one place.
  const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined;
  return {
    registry,
    contentType: registry.contentType,
    counter: (config) => existing(config.name) ?? new Counter({ ...config, registers: [registry] }),
    gauge: (config) => existing(config.name) ?? new Gauge({ ...config, registers: [registry] }),
    histogram: (config) => existing(config.name) ?? new Histogram({ buckets: LATENCY_BUCKETS, ...config, registers: [registry] }),
    text: () => registry.metrics(),
  };
}
