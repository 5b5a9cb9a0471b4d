// Manifest media types: which pushes are new images, and which of them are indexes to expand.
export const MANIFEST_MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const IMAGE_MANIFESTS = new Set<string>([MANIFEST_MEDIA_TYPES.ociManifest, MANIFEST_MEDIA_TYPES.dockerManifest]);
const INDEXES = new Set<string>([MANIFEST_MEDIA_TYPES.ociIndex, MANIFEST_MEDIA_TYPES.dockerManifestList]);

/** Strips parameters: `application/json; charset=utf-8` → `application/json`. */
function bare(mediaType: string | undefined): string {
  return (mediaType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** An image manifest or an index (blobs, signatures' payloads and the like are not). */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  const m = bare(mediaType);
  return IMAGE_MANIFESTS.has(m) || INDEXES.has(m);
}

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return INDEXES.has(bare(mediaType));
}
