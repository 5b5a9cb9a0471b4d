// audit: consumes audit events and delivers them to Elasticsearch, acknowledging only after
// the sink confirms. At this stage it connects, provisions the audit and dead-letter streams and
// its consumer and reports ready; delivery comes with its own issue.
import { Consumers, Streams, type Topology } from '@assay/proto';
import type { ServiceDefinition } from '@assay/service-kit';

export const SERVICE_NAME = 'audit';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8085;

/** Streams, consumers and buckets audit provisions at start. */
export const auditTopology: Topology = {
  streams: [Streams.audit, Streams.deadLetter],
  consumers: [Consumers.auditElasticsearch],
  buckets: [],
};

/** audit's own configuration variables, on top of the common ones. */
export const auditConfig = {};

export const auditService: ServiceDefinition<typeof auditConfig> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: auditConfig,
  topology: auditTopology,
};
