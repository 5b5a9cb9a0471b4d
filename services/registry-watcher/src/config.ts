// registry-watcher's own configuration variables (on top of the common ones of @assay/config).
import { bool, durationMs, int, secret, str, url } from '@assay/config';
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
  WATCHER_KUBERNETES: bool()
    .default(false)
    .describe(
      'The cluster as a discovery source: a read-only Pod informer writes where each running digest runs (the running bucket) and announces digests never seen before; needs list/watch on pods (and get on replicasets and jobs to name Deployments and CronJobs)',
    ),
  WATCHER_KUBE_API_URL: url({ protocols: ['https', 'http'] })
    .optional()
    .describe(
      'Kubernetes API server for the Pod informer; in a cluster KUBERNETES_SERVICE_HOST/PORT and the service-account token and CA are used',
    ),
  WATCHER_KUBE_TOKEN_FILE: str('a file path')
    .optional()
    .describe('Bearer token file for the Kubernetes API, re-read at every connection (default in a cluster: the service-account token)'),
  WATCHER_KUBE_CA: str('a file path')
    .optional()
    .describe('CA bundle (PEM) the Kubernetes API server certificate must chain to (default in a cluster: the service-account ca.crt)'),
  WATCHER_RUNNING_MAX_WORKLOADS: int({ min: 1, max: 100_000 })
    .default(1000)
    .describe(
      'Workloads listed per digest in the running bucket at most (the rest are counted in assay_watcher_running_workloads_omitted)',
    ),
  WATCHER_RUNNING_DEBOUNCE: durationMs()
    .default(500)
    .describe('Pod changes gathered this long before the running bucket is written (one write per changed digest)'),
};

export type RegistryWatcherShape = typeof registryWatcherConfig;
