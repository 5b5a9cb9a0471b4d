// pino JSON logs to stdout: every line carries the service and its instance, the active
// trace and span ids (W3C trace context, via tracing.ts), and never a secret-looking field.
import { pino, type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { activeTraceIds } from './tracing.ts';

export type { DestinationStream, Logger } from 'pino';

export interface CreateLoggerOptions {
  /** Service name, as in `registry-watcher`. */
  service: string;
  /** Instance id (pod name, hostname-pid…). */
  instance?: string;
  /** pino level; `info` by default. */
  level?: string;
  /** Where lines go; stdout (synchronously) by default. Tests pass a stream. */
  destination?: DestinationStream;
}

/** What replaces a redacted value in a log line. */
export const LOG_REDACTED = '<redacted>';

// Field names whose values are secrets wherever they appear (top level, or one or two levels down).
const SECRET_KEYS = [
  'password',
  'pass',
  'passwd',
  'secret',
  'token',
  'authorization',
  'apiKey',
  'api_key',
  'privateKey',
  'private_key',
  'nkeySeed',
  'seed',
  'credentials',
  'NATS_PASSWORD',
  'NATS_TOKEN',
  'NATS_NKEY_SEED',
];

/** pino redaction paths for the secret-looking fields. */
export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'headers.cookie',
  '*.headers.cookie',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
];

/** The process's logger: JSON lines with `service`, `instance`, `trace_id`/`span_id` when in a span. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: PinoOptions = {
    level: opts.level ?? 'info',
    base: { service: opts.service, ...(opts.instance ? { instance: opts.instance } : {}), pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // Level names ("info"), not numbers: what Elasticsearch and people read.
      level: (label) => ({ level: label }),
    },
    mixin: () => activeTraceIds() ?? {},
    redact: { paths: REDACT_PATHS, censor: LOG_REDACTED },
  };
  return pino(options, opts.destination ?? pino.destination({ fd: 1, sync: true }));
}
