// The shapes the client speaks: which resource (group, version, plural, namespaced or not), the
// object metadata Assay reads and writes, and the URL path of a collection or an object — the
// one place that knows `/api/v1` (core) versus `/apis/{group}/{version}`.

/** A resource type: `group` '' is the core group (`/api/v1`). */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [k: string]: unknown;
}

/** `apiVersion` of a resource's objects: `v1`, `assay.dev/v1`. */
export function apiVersionOf(ref: ResourceRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/**
 * The path of a collection (no name) or of one object, optionally a subresource. A namespaced
 * resource without a namespace is the collection across all namespaces (list and watch only).
 */
export function resourcePath(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const segments = [ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`];
  if (ref.namespaced && namespace) segments.push('namespaces', encodeURIComponent(namespace));
  segments.push(ref.plural);
  if (name !== undefined) {
    if (!name) throw new Error(`${ref.plural}: an object name is required`);
    if (ref.namespaced && !namespace) throw new Error(`${ref.plural} is namespaced: a namespace is required for ${name}`);
    segments.push(encodeURIComponent(name));
    if (subresource) segments.push(subresource);
  }
  return segments.join('/');
}
