// @assay/kube: a small Kubernetes API client and an informer, over node:https (a cluster CA).
export { kubeConnection, SERVICE_ACCOUNT_DIR, type KubeConnection } from './connection.ts';
export { KubeApiError, type StatusCause } from './errors.ts';
export { apiVersionOf, resourcePath, type KubeObject, type ObjectMeta, type OwnerReference, type ResourceRef } from './resource.ts';
export {
  KubeClient,
  type CallOptions,
  type KubeClientOptions,
  type ListOptions,
  type ListPage,
  type WatchEventType,
  type WatchOptions,
} from './client.ts';
export { Informer, type InformerHandlers, type InformerLogger, type InformerOptions } from './informer.ts';
