// policy: evaluates scan reports against the image assurance policies and writes one verdict
// per digest into the verdicts bucket. At this stage it connects, provisions its stream,
// consumers and the verdicts bucket and reports ready; evaluation comes with its own issue.
import { Buckets, Consumers, Streams, type Topology } from '@assay/proto';
import type { ServiceDefinition } from '@assay/service-kit';

export const SERVICE_NAME = 'policy';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8083;

/** Streams, consumers and buckets policy provisions at start. */
export const policyTopology: Topology = {
  // ASSAY_SCANS too: its durable consumer of completed scans lives on that stream.
  streams: [Streams.scans, Streams.policy, Streams.deadLetter],
  consumers: [Consumers.policyScans, Consumers.policyChanges, Consumers.policyVulnDb],
  buckets: [Buckets.verdicts],
};

/** policy's own configuration variables, on top of the common ones. */
export const policyConfig = {};

export const policyService: ServiceDefinition<typeof policyConfig> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: policyConfig,
  topology: policyTopology,
};
