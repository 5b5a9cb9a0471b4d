// registry-watcher's own configuration variables (on top of the common ones of @assay/config).
import { durationMs, int, secret } from '@assay/config';
import { registryListField } from '@assay/registry-client';

export const registryWatcherConfig = {
  WATCHER_REGISTRIES: registryListField(
    'a JSON/YAML list of registries ([{name, url, include, exclude, pollIntervalSeconds, trustNotifications, …}])',
  )
    .default([])
    .describe(
      'Watched registries: JSON/YAML list of {name, url, host, insecure, credentials, repositories, include, exclude, pollIntervalSeconds, trustNotifications, notificationHosts, concurrency}',
    ),
  NOTIFICATION_TOKEN: secret()
    .optional()
    .describe('Bearer token required on POST /registry/events and /harbor/events (without it, notifications are refused with 401)'),
  WATCHER_QUEUE_SIZE: int({ min: 1, max: 1_000_000 })
    .default(10_000)
    .describe('Notification work items held in memory; a full queue answers 503 so the registry retries'),
  WATCHER_WORKERS: int({ min: 1, max: 256 }).default(8).describe('Notification work items handled at once'),
  WATCHER_RETRY_ATTEMPTS: int({ min: 1, max: 100 })
    .default(6)
    .describe('Attempts at one notification work item (registry or bus errors) before it is given up and logged'),
  WATCHER_RETRY_BASE: durationMs().default(500).describe('First retry delay of a failed work item or poll; doubles each time'),
  WATCHER_REGISTRY_TIMEOUT: durationMs().default(15_000).describe('Timeout of one registry request'),
};

export type RegistryWatcherShape = typeof registryWatcherConfig;
