// registry-watcher: learns about new images (registry notifications, polling), publishes one
// event per new manifest digest and keeps the tags bucket current. At this stage it connects,
// provisions what it owns and reports ready; the watching itself comes with its own issue.
import { Buckets, Streams, type Topology } from '@assay/proto';
import type { ServiceDefinition } from '@assay/service-kit';

export const SERVICE_NAME = 'registry-watcher';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8081;

/** Streams, consumers and buckets registry-watcher provisions at start. */
export const registryWatcherTopology: Topology = {
  // Publishes discovered images to ASSAY_IMAGES; provisions it too, so it never depends on
  // the scanner having started first (provisioning is idempotent).
  streams: [Streams.images],
  consumers: [],
  // Keeps reference → digest current.
  buckets: [Buckets.tags],
};

/** registry-watcher's own configuration variables, on top of the common ones. */
export const registryWatcherConfig = {};

export const registryWatcherService: ServiceDefinition<typeof registryWatcherConfig> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: registryWatcherConfig,
  topology: registryWatcherTopology,
};
