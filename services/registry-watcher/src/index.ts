// @assay/registry-watcher: the service definition, and what the tests and the stacks use.
export {
  DEFAULT_HTTP_PORT,
  registryWatcherConfig,
  registryWatcherService,
  registryWatcherTopology,
  SERVICE_NAME,
  watcherTopology,
} from './service.ts';
export type { RegistryWatcher, StatusView } from './watcher.ts';
export { discoveryEventId, indexEventId, seenKey, tagKey } from './keys.ts';
export { triageDistribution } from './notifications.ts';
export { WorkQueue } from './queue.ts';
