// audit's own configuration variables (on top of the common ones of @assay/config).
import { annotate, bool, durationMs, int, list, secret, str, z } from '@assay/config';
import { parseSinkSpecs, type SinkSpec, SinkSpecError } from './sink-specs.ts';

/** Other SIEM sinks: a JSON list (a list under the same key in ASSAY_CONFIG_FILE arrives as JSON). */
function sinksField() {
  const expected = 'a JSON list of sinks ([{name, type: splunk|syslog|webhook, url, token, host, port, tls, ca, …}])';
  return annotate(
    z.string().transform((s, ctx): SinkSpec[] => {
      let data: unknown;
      try {
        data = JSON.parse(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
      try {
        return parseSinkSpecs(data ?? []);
      } catch (err) {
        if (!(err instanceof SinkSpecError)) throw err;
        ctx.addIssue({ code: 'custom', message: `is not a valid sink list: ${err.message}` });
        return z.NEVER;
      }
    }),
    // It holds tokens: never echoed in an error line or the start log.
    { expected, secret: true },
  );
}

/** Elasticsearch node URLs, comma-separated. */
function esUrls() {
  const expected = 'Elasticsearch URL(s) (http:// or https://…, comma-separated, without credentials)';
  return annotate(
    z.string().transform((s, ctx): string[] => {
      const urls = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const ok =
        urls.length > 0 &&
        urls.every((u) => {
          try {
            const p = new URL(u);
            // Credentials belong in AUDIT_ES_API_KEY or AUDIT_ES_USERNAME/PASSWORD, never in a URL
            // that the start log shows.
            return (p.protocol === 'http:' || p.protocol === 'https:') && p.hostname !== '' && p.username === '' && p.password === '';
          } catch {
            return false;
          }
        });
      if (!ok) {
        ctx.addIssue({ code: 'custom', message: `is not ${expected}` });
        return z.NEVER;
      }
      return urls;
    }),
    // A mistyped value may carry credentials: never echoed (audit logs the hosts it writes to).
    { expected, secret: true },
  );
}

export const auditConfig = {
  AUDIT_ES_ENABLED: bool().default(true).describe('Deliver audit events to Elasticsearch'),
  AUDIT_ES_URL: esUrls().default(['http://127.0.0.1:9200']).describe('Elasticsearch node URL(s), comma-separated'),
  AUDIT_ES_API_KEY: secret('an Elasticsearch API key (base64 id:key)')
    .optional()
    .describe('Elasticsearch API key (takes precedence over user/password)'),
  AUDIT_ES_USERNAME: str().optional().describe('Elasticsearch user (basic auth, with AUDIT_ES_PASSWORD)'),
  AUDIT_ES_PASSWORD: secret().optional().describe('Elasticsearch password'),
  AUDIT_ES_CA: str('a file path').optional().describe('CA certificate file (PEM) to verify an https Elasticsearch'),
  AUDIT_ES_TLS_INSECURE: bool().default(false).describe('Do not verify the Elasticsearch certificate (never in production)'),
  AUDIT_ES_DATA_STREAM: str()
    .default('logs-assay.audit-default')
    .describe('Data stream audit events are written to (<type>-<dataset>-<namespace>)'),
  AUDIT_ES_TEMPLATE: str().default('logs-assay.audit').describe('Name of the index template installed at start'),
  AUDIT_ES_ILM_POLICY: str().default('assay-audit').describe('Name of the ILM policy installed at start'),
  AUDIT_ES_RETENTION_DAYS: int({ min: 1, max: 36_500 }).default(365).describe('Days audit documents are kept (ILM delete phase)'),
  AUDIT_ES_INSTALL: bool().default(true).describe('Install the ILM policy, index template and data stream at start'),
  AUDIT_ES_TIMEOUT: durationMs().default(30_000).describe('Timeout of one Elasticsearch request'),
  AUDIT_ES_CONCURRENCY: int({ min: 1, max: 64 }).default(2).describe('Bulk requests in flight at once'),
  AUDIT_BATCH_MAX_DOCS: int({ min: 1, max: 100_000 }).default(500).describe('Documents per bulk request at most'),
  AUDIT_BATCH_MAX_BYTES: int({ min: 1024, max: 100 * 1024 * 1024 })
    .default(5 * 1024 * 1024)
    .describe('Bytes of documents per bulk request at most'),
  AUDIT_BATCH_LINGER: durationMs().default(200).describe('Longest an event waits for its batch to fill'),
  AUDIT_MAX_HELD: int({ min: 1, max: 1_000_000 })
    .default(5_000)
    .describe('Events held unacknowledged (buffered and in flight) per sink; also the consumer max ack pending'),
  AUDIT_ACK_WAIT: durationMs().default(30_000).describe('Ack wait of the audit consumers (redelivery after a crash)'),
  AUDIT_RETRY_BASE: durationMs().default(250).describe('First retry delay after a failed bulk request; doubles each time'),
  AUDIT_RETRY_MAX: durationMs().default(30_000).describe('Longest retry delay'),
  AUDIT_SINKS: sinksField()
    .default([])
    .describe(
      'Other SIEM sinks, each with its own durable consumer audit-<name>: JSON list of ' +
        '{name, type (splunk, syslog, webhook), url, token, index, sourcetype, headers, host, port, tls, ca, ' +
        'insecure, facility, appName, batchMaxDocs, batchMaxBytes, lingerMs, timeoutMs}',
    ),
  AUDIT_SINKS_DISABLED: list().default([]).describe('Sinks not started (comma-separated names), e.g. elasticsearch'),
};

export type AuditShape = typeof auditConfig;
