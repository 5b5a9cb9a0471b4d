// @assay/telemetry: pino logs carrying trace ids, Prometheus metrics, W3C trace context.
export { activeTraceIds, initTracing } from './tracing.ts';
export { createLogger, type CreateLoggerOptions, type DestinationStream, LOG_REDACTED, type Logger, REDACT_PATHS } from './logging.ts';
export { Counter, createMetrics, type CreateMetricsOptions, Gauge, Histogram, LATENCY_BUCKETS, type Metrics, Registry } from './metrics.ts';
