// Where images appear in the objects admission reviews: the pod spec of each workload kind, and
// in it the three container lists. One table, so no kind and no list is forgotten; a test
// compares it with a generic walk of every `image` field in real API server requests.

/** The container lists of a pod spec that carry images. */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof CONTAINER_LISTS)[number];

/** Where each reviewed kind keeps its pod spec, as a path of object keys; keyed by `group/Kind`. */
export const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  '/Pod': ['spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  '/PodTemplate': ['template', 'spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export function podSpecPath(group: string, kind: string): readonly string[] | undefined {
  return POD_SPEC_PATHS[`${group}/${kind}`];
}

/** The kinds admission reviews, as `Kind (group)` for messages. */
export function supportedKinds(): string[] {
  return Object.keys(POD_SPEC_PATHS).map((k) => {
    const [g, kind] = k.split('/');
    return g ? `${kind} (${g})` : `${kind}`;
  });
}

export interface ImageField {
  /** As written in the object. */
  reference: string;
  /** `spec.template.spec.containers[0].image`: for messages and audit. */
  path: string;
  /** JSON Pointer of the same field (RFC 6901), for a JSONPatch. */
  pointer: string;
  list: ContainerList;
  container: string;
}

/** Thrown for an object whose image fields are not what the Kubernetes API allows. */
export class ImageFieldError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every image of the object under `specPath`, in the order of the lists. `lists` narrows the
 * lists looked at (the ephemeralcontainers subresource). A missing spec or list has no images;
 * a list or container of the wrong type, or a non-string image, is an ImageFieldError.
 */
export function extractImages(object: unknown, specPath: readonly string[], lists: readonly ContainerList[] = CONTAINER_LISTS): ImageField[] {
  let spec: unknown = object;
  for (const key of specPath) {
    if (!isObject(spec)) return [];
    spec = spec[key];
  }
  if (spec === undefined || spec === null) return [];
  if (!isObject(spec)) throw new ImageFieldError(`${specPath.join('.')} is not an object`);
  const out: ImageField[] = [];
  for (const list of lists) {
    const items = spec[list];
    if (items === undefined || items === null) continue;
    const at = `${specPath.join('.')}.${list}`;
    if (!Array.isArray(items)) throw new ImageFieldError(`${at} is not a list`);
    items.forEach((c, i) => {
      if (!isObject(c)) throw new ImageFieldError(`${at}[${i}] is not an object`);
      const image = c.image;
      // The API server's validation refuses a container without an image; nothing to check here.
      if (image === undefined || image === null || image === '') return;
      if (typeof image !== 'string') throw new ImageFieldError(`${at}[${i}].image is not a string`);
      out.push({
        reference: image,
        path: `${at}[${i}].image`,
        pointer: `/${[...specPath, list, String(i), 'image'].map(escapePointer).join('/')}`,
        list,
        container: typeof c.name === 'string' ? c.name : '',
      });
    });
  }
  return out;
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
