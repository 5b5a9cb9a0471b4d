// Settings every Assay service reads. A service adds its own variables to these.
import { hostname } from 'node:os';
import { bool, durationMs, int, logLevel, natsServers, port, secret, str } from './fields.ts';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface CommonSettingsOptions {
  /** The service's default health/metrics port. */
  httpPort: number;
}

/** Variables shared by all services; `httpPort` is the service's own default HTTP port. */
export function commonSettings(opts: CommonSettingsOptions) {
  return {
    SERVICE_INSTANCE: str()
      .default(`${hostname()}-${process.pid}`)
      .describe('Instance id carried by logs, metrics and the NATS connection name (default: <hostname>-<pid>)'),
    LOG_LEVEL: logLevel().default('info').describe('Log level: fatal, error, warn, info, debug, trace or silent'),
    HTTP_HOST: str('a host name or IP address')
      .default('127.0.0.1')
      .describe('Address the health/metrics server listens on (0.0.0.0 in containers)'),
    HTTP_PORT: port({ allowZero: true })
      .default(opts.httpPort)
      .describe('Port of the health/metrics server (/healthz, /readyz, /metrics); 0 picks a free port'),
    NATS_URL: natsServers().default([DEFAULT_NATS_URL]).describe('NATS server URL(s), comma-separated for a cluster'),
    NATS_USER: str().optional().describe('NATS user name (with NATS_PASSWORD)'),
    NATS_PASSWORD: secret().optional().describe('NATS password'),
    NATS_TOKEN: secret().optional().describe('NATS authentication token'),
    NATS_CREDS: str('a file path').optional().describe('NATS credentials file (JWT + NKey seed)'),
    NATS_NKEY_SEED: secret('an NKey seed (SU…)').optional().describe('NATS NKey seed'),
    NATS_TLS_CA: str('a file path').optional().describe('CA certificate file to verify the NATS server'),
    NATS_TLS_CERT: str('a file path').optional().describe('Client certificate file for NATS mutual TLS'),
    NATS_TLS_KEY: str('a file path').optional().describe('Client key file for NATS mutual TLS'),
    NATS_REPLICAS: int({ min: 1, max: 5 })
      .default(1)
      .describe('Replicas of the streams and buckets the service provisions (3 in a 3-node cluster)'),
    NATS_CONNECT_TIMEOUT: durationMs()
      .default(5000)
      .describe('Timeout of one NATS connection attempt; the service keeps retrying until it connects'),
    SHUTDOWN_TIMEOUT: durationMs().default(15_000).describe('Longest a graceful shutdown may take before the process exits anyway'),
    METRICS_DEFAULT: bool().default(true).describe('Collect the default Node.js process metrics'),
  };
}

export type CommonShape = ReturnType<typeof commonSettings>;

type CommonConfig = { [K in keyof CommonShape]: import('zod').output<CommonShape[K]> };

/** Rules across the common variables: credentials and TLS files that only make sense in pairs. */
export function commonChecks(config: CommonConfig) {
  const problems: { variable: string; message: string }[] = [];
  if (config.NATS_USER !== undefined && config.NATS_PASSWORD === undefined) {
    problems.push({ variable: 'NATS_PASSWORD', message: 'NATS_USER is set but NATS_PASSWORD is not (both are needed)' });
  }
  if (config.NATS_PASSWORD !== undefined && config.NATS_USER === undefined) {
    problems.push({ variable: 'NATS_USER', message: 'NATS_PASSWORD is set but NATS_USER is not (both are needed)' });
  }
  if ((config.NATS_TLS_CERT === undefined) !== (config.NATS_TLS_KEY === undefined)) {
    problems.push({
      variable: config.NATS_TLS_CERT === undefined ? 'NATS_TLS_CERT' : 'NATS_TLS_KEY',
      message: 'NATS_TLS_CERT and NATS_TLS_KEY go together (client certificate and its key files)',
    });
  }
  return problems;
}
