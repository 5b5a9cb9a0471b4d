// audit: consumes audit events from the file-backed ASSAY_AUDIT stream and delivers them to
// Elasticsearch (ECS documents in a data stream), acknowledging a message only after the sink
// confirmed it. The library is in the modules beside this one (audit.ts assembles them).
import { Consumers, Streams } from '@assay/proto';
import type { ProvisionTopology } from '@assay/bus';
import type { ServiceConfig, ServiceDefinition } from '@assay/service-kit';
import { type AuditApi, startAudit } from './audit.ts';
import { auditConfig, type AuditShape } from './config.ts';
import { sinkDurable } from './sink-specs.ts';

export { auditConfig };

export const SERVICE_NAME = 'audit';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8085;

/** Streams and consumers audit provisions at start: one durable consumer per sink. */
export function auditTopology(config: ServiceConfig<AuditShape>): ProvisionTopology {
  const tuning = { ackWaitMs: config.AUDIT_ACK_WAIT, maxAckPending: config.AUDIT_MAX_HELD };
  return {
    streams: [Streams.audit, Streams.deadLetter],
    consumers: [
      ...(config.AUDIT_ES_ENABLED ? [{ ...Consumers.auditElasticsearch, ...tuning }] : []),
      ...config.AUDIT_SINKS.map((s) => ({
        stream: Streams.audit.name,
        durable: sinkDurable(s.name),
        filterSubject: Consumers.auditElasticsearch.filterSubject,
        description: `Audit: deliver audit events to ${s.type} sink ${s.name}`,
        ...tuning,
      })),
    ],
    buckets: [],
  };
}

export const auditService: ServiceDefinition<AuditShape, AuditApi> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: auditConfig,
  topology: auditTopology,
  start: startAudit,
};
