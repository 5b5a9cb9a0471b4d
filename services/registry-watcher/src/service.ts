// registry-watcher: learns about new images (registry notifications, Harbor webhooks, polling),
// publishes one ImageDiscovered per new manifest digest and keeps the tags bucket current.
// The definition; the library is in the modules beside it (watcher.ts assembles them).
import { Buckets, Streams, type Topology } from '@assay/proto';
import type { ServiceConfig, ServiceDefinition } from '@assay/service-kit';
import { registryWatcherConfig, type RegistryWatcherShape } from './config.ts';
import { watcherRoutes } from './routes.ts';
import { startWatcher, type RegistryWatcher } from './watcher.ts';

export { registryWatcherConfig };

export const SERVICE_NAME = 'registry-watcher';
/** Default port of the health/metrics server (HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORT = 8081;

/** Streams, consumers and buckets registry-watcher provisions at start with nothing to watch. */
export const registryWatcherTopology: Topology = {
  // Publishes discovered images to ASSAY_IMAGES; provisions it too, so it never depends on
  // the scanner having started first (provisioning is idempotent).
  // Asks the scanner (ASSAY_SCANS) to verify a digest's trust again when a signature arrives.
  streams: [Streams.images, Streams.scans],
  consumers: [],
  // Keeps reference → digest current.
  buckets: [Buckets.tags],
};

/**
 * With registries configured, also the bucket of digests already announced; with the cluster
 * source (WATCHER_KUBERNETES), that one too and the running bucket it writes.
 */
export function watcherTopology(config: ServiceConfig<RegistryWatcherShape>): Topology {
  const buckets = [...registryWatcherTopology.buckets];
  if (config.WATCHER_REGISTRIES.length > 0 || config.WATCHER_KUBERNETES) buckets.push(Buckets.watcherSeen);
  if (config.WATCHER_KUBERNETES) buckets.push(Buckets.running);
  return buckets.length === registryWatcherTopology.buckets.length ? registryWatcherTopology : { ...registryWatcherTopology, buckets };
}

export const registryWatcherService: ServiceDefinition<RegistryWatcherShape, RegistryWatcher> = {
  name: SERVICE_NAME,
  httpPort: DEFAULT_HTTP_PORT,
  config: registryWatcherConfig,
  topology: watcherTopology,
  start: startWatcher,
  async routes(app, ctx) {
    const requests = ctx.metrics.counter({
      name: 'assay_watcher_notification_requests_total',
      help: 'Notification requests, by kind and HTTP status answered',
      labelNames: ['kind', 'status'],
    });
    await app.register(watcherRoutes, {
      watcher: () => ctx.api(),
      token: ctx.config.NOTIFICATION_TOKEN,
      logger: ctx.logger.child({ component: 'http' }),
      count: (kind, status) => requests.inc({ kind, status: String(status) }),
    });
  },
};
