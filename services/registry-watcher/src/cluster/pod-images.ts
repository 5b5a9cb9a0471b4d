// The digests one Pod runs, read from its status: every container status (regular, init and
// ephemeral) whose imageID names a digest, with the container's name and the image its spec
// asked for. A Pod counts while it is Running, or Pending with statuses already reporting a
// pulled image; Succeeded, Failed and Unknown pods run nothing. Also the references of its
// image pull secrets (names only: the watcher never reads a Secret).
import { isObject } from '@assay/kit';
import type { KubeObject } from '@assay/kube';
import { parseImageId, parseSpecImage, type RunningRef, type SpecRef } from './image-id.ts';

export interface PodImage extends RunningRef {
  container: string;
  /** The image as the spec names it (the status's image when the spec has no such container). */
  specImage: string;
  /** The spec's image, parsed (undefined when it does not parse). */
  spec?: SpecRef;
}

/** A Secret by reference (the pod's namespace, an `imagePullSecrets[].name`). */
export interface PullSecretRef {
  namespace: string;
  name: string;
}

/** Pull secrets read from one Pod at most (the kubelet tries each; a handful in practice). */
const MAX_PULL_SECRETS = 16;

/** The Pod's `spec.imagePullSecrets`, as references in its namespace (empty when it names none). */
export function podPullSecrets(pod: KubeObject): PullSecretRef[] {
  const namespace = pod.metadata.namespace;
  const list = isObject(pod.spec) ? pod.spec.imagePullSecrets : undefined;
  if (!namespace || !Array.isArray(list)) return [];
  const out: PullSecretRef[] = [];
  for (const s of list.slice(0, MAX_PULL_SECRETS)) {
    if (isObject(s) && typeof s.name === 'string' && s.name !== '' && s.name.length <= 253) out.push({ namespace, name: s.name });
  }
  return out;
}

/** Container statuses read from one Pod at most (a Pod has a handful; this bounds a hostile one). */
const MAX_STATUSES = 256;

const STATUS_LISTS = ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const;
const SPEC_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

function specImages(spec: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isObject(spec)) return out;
  for (const list of SPEC_LISTS) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    for (const c of items.slice(0, MAX_STATUSES)) {
      if (isObject(c) && typeof c.name === 'string' && typeof c.image === 'string') out.set(c.name, c.image);
    }
  }
  return out;
}

/** The images a Pod runs now; empty when it runs none (not started, finished, or nothing pulled). */
export function podImages(pod: KubeObject): PodImage[] {
  const status = pod.status;
  if (!isObject(status)) return [];
  const phase = status.phase;
  if (phase !== 'Running' && phase !== 'Pending') return [];
  const specs = specImages(pod.spec);
  const out: PodImage[] = [];
  let read = 0;
  for (const list of STATUS_LISTS) {
    const items = status[list];
    if (!Array.isArray(items)) continue;
    for (const s of items) {
      if (++read > MAX_STATUSES) return out;
      if (!isObject(s) || typeof s.name !== 'string') continue;
      const specImage = specs.get(s.name) ?? (typeof s.image === 'string' ? s.image : '');
      const running = parseImageId(s.imageID, specImage);
      if (!running) continue;
      const spec = parseSpecImage(specImage);
      out.push({ ...running, container: s.name, specImage, ...(spec ? { spec } : {}) });
    }
  }
  return out;
}
