// Where images appear in the objects admission reviews: the pod spec of each workload kind, and
// in it the three container lists and the OCI image volumes (`volumes[].image.reference`,
// Kubernetes 1.31+), which the kubelet pulls onto the node like a container's image. One table,
// so no kind and no list is forgotten; a test compares it with a generic walk of every image
// field in real API server requests.
import { isObject } from '@assay/kit';

/** The container lists of a pod spec that carry images. */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof CONTAINER_LISTS)[number];

/** Every list of a pod spec that names images a node pulls: the container lists, then `volumes`. */
export const IMAGE_SOURCES = [...CONTAINER_LISTS, 'volumes'] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];

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
  /** `spec.template.spec.containers[0].image`, `spec.volumes[0].image.reference`: for messages and audit. */
  path: string;
  /** Where messages say the image is: the path, and for a volume its name (`spec.volumes[0].image.reference (volume "models")`). */
  where: string;
  /** JSON Pointer of the same field (RFC 6901), for a JSONPatch. */
  pointer: string;
  list: ImageSource;
  /** The container's or the volume's name. */
  name: string;
}

/** Thrown for an object whose image fields are not what the Kubernetes API allows. */
export class ImageFieldError extends Error {}

/**
 * Every image of the object under `specPath`, in the order of IMAGE_SOURCES. `lists` narrows the
 * lists looked at (the ephemeralcontainers subresource). A missing spec or list has no images;
 * a list, container or volume of the wrong type, or a non-string image, is an ImageFieldError.
 */
export function extractImages(object: unknown, specPath: readonly string[], lists: readonly ImageSource[] = IMAGE_SOURCES): ImageField[] {
  let spec: unknown = object;
  for (const key of specPath) {
    if (!isObject(spec)) return [];
    spec = spec[key];
  }
  if (spec === undefined || spec === null) return [];
  const specAt = specPath.join('.');
  if (!isObject(spec)) throw new ImageFieldError(`${specAt} is not an object`);
  const out: ImageField[] = [];
  // Every review walks this: the prefixes of each list's paths are built once per list, not per
  // image (list names and indexes need no JSON Pointer escaping).
  let specPointer: string | undefined;
  for (const list of lists) {
    const items = spec[list];
    if (items === undefined || items === null) continue;
    const at = `${specAt}.${list}`;
    if (!Array.isArray(items)) throw new ImageFieldError(`${at} is not a list`);
    specPointer ??= specPath.map(escapePointer).join('/');
    const pointerAt = specPointer === '' ? `/${list}` : `/${specPointer}/${list}`;
    const volumes = list === 'volumes';
    // A container's image, or an image volume's reference; other volume types name no image.
    const field = volumes ? 'image.reference' : 'image';
    const pointerField = volumes ? 'image/reference' : 'image';
    for (let i = 0; i < items.length; i++) {
      if (!(i in items)) continue; // a hole (never in JSON): nothing there, as forEach skipped it
      const item: unknown = items[i];
      if (!isObject(item)) throw new ImageFieldError(`${at}[${i}] is not an object`);
      const name = typeof item.name === 'string' ? item.name : '';
      let image: unknown;
      if (volumes) {
        const source = item.image;
        if (source === undefined || source === null) continue;
        if (!isObject(source)) throw new ImageFieldError(`${at}[${i}].image is not an object`);
        image = source.reference;
      } else {
        image = item.image;
      }
      // The API server's validation refuses a pod without one; a template may leave it to be filled in.
      if (image === undefined || image === null || image === '') continue;
      if (typeof image !== 'string') throw new ImageFieldError(`${at}[${i}].${field} is not a string`);
      const path = `${at}[${i}].${field}`;
      out.push({
        reference: image,
        path,
        where: volumes ? `${path} (volume ${JSON.stringify(name)})` : path,
        pointer: `${pointerAt}/${i}/${pointerField}`,
        list,
        name,
      });
    }
  }
  return out;
}

function escapePointer(token: string): string {
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
