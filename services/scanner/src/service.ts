// scanner: pulls each discovered image by digest and produces a scan report. At this stage it
// connects, provisions its streams and durable consumers and reports ready; scanning comes
// with its own issue.
import { Consumers, Streams, type Topology } from '@assay/proto';
import type { ServiceDefinition } from '@assay/service-kit';

export const SERVICE_NAME = 'scanner';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8082;

/** Streams, consumers and buckets scanner provisions at start. */
export const scannerTopology: Topology = {
  streams: [Streams.images, Streams.scans, Streams.deadLetter],
  consumers: [Consumers.scannerDiscovered, Consumers.scannerRequests],
  buckets: [],
};

/** scanner's own configuration variables, on top of the common ones. */
export const scannerConfig = {};

export const scannerService: ServiceDefinition<typeof scannerConfig> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: scannerConfig,
  topology: scannerTopology,
};
