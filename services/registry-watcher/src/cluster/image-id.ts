// What a container really runs, from its status: `imageID` is set by the kubelet from the
// runtime once the image is pulled — `docker-pullable://reg/repo@sha256:…` (dockershim, cri-dockerd),
// `reg/repo@sha256:…` (containerd, CRI-O), or `sha256:…` alone (an image the runtime knows only by
// its id, e.g. loaded locally or pulled outside the kubelet). That id is the image's config digest,
// not a manifest digest: no registry serves a manifest under it, so it is never announced as one;
// only a spec pinned to a digest then says what runs. The spec image is what the pod asked for: a
// tag usually, sometimes pinned to a digest.
import { isValidDigest, parseReference } from '@assay/image-ref';

export interface RunningRef {
  /** The running digest, `sha256:<hex>`. */
  digest: string;
  /** Registry and repository it was pulled from (normalised: docker.io, library/nginx). */
  registry: string;
  repository: string;
}

export interface SpecRef {
  registry: string;
  repository: string;
  /** The tag asked for (latest when neither tag nor digest is given, as the runtime reads it). */
  tag?: string;
  /** The digest the spec pins, if any. */
  digest?: string;
}

/** The spec's image, normalised; undefined when it is not a valid reference. */
export function parseSpecImage(image: unknown): SpecRef | undefined {
  if (typeof image !== 'string' || image.length === 0 || image.length > 1024) return undefined;
  try {
    const r = parseReference(image);
    const tag = r.tag ?? (r.digest === undefined ? 'latest' : undefined);
    return {
      registry: r.registry,
      repository: r.repository,
      ...(tag !== undefined ? { tag } : {}),
      ...(r.digest ? { digest: r.digest } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The running digest and where it came from, from a container status's `imageID` (for a bare
 * `sha256:` id, the digest the spec pins); undefined when there is no digest to read (not pulled
 * yet, a bare id with a tag-only spec, or a form we do not know).
 */
export function parseImageId(imageId: unknown, specImage: unknown): RunningRef | undefined {
  if (typeof imageId !== 'string' || imageId.length === 0 || imageId.length > 1024) return undefined;
  const id = imageId.replace(/^[a-z-]+:\/\//, '');
  if (isValidDigest(id)) {
    const spec = parseSpecImage(specImage);
    if (!spec?.digest) return undefined;
    return { digest: spec.digest, registry: spec.registry, repository: spec.repository };
  }
  if (!id.includes('@')) return undefined;
  try {
    const r = parseReference(id);
    if (!r.digest) return undefined;
    return { digest: r.digest, registry: r.registry, repository: r.repository };
  } catch {
    return undefined;
  }
}
