// Manifest media types the client asks for and understands. Distribution answers 404 for an
// OCI manifest asked for with Docker types only, so every request names both families.
import { isObject } from '@assay/kit';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  /** The empty descriptor (`{}`): the config of an artifact manifest that has none. */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  // Supply-chain artifacts (signatures, attestations, bundles) found by tag or as referrers.
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  cosignSignatureArtifact: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  inTotoStatement: 'application/vnd.in-toto+json',
  sigstoreBundleV01: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
  sigstoreBundleV02: 'application/vnd.dev.sigstore.bundle+json;version=0.2',
  sigstoreBundleV03Legacy: 'application/vnd.dev.sigstore.bundle+json;version=0.3',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
  MediaTypes.dockerManifest,
  MediaTypes.dockerManifestList,
];

export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

export function isIndexMediaType(mediaType: string | undefined): boolean {
  const m = baseMediaType(mediaType);
  return m === MediaTypes.ociIndex || m === MediaTypes.dockerManifestList;
}

export function isImageManifestMediaType(mediaType: string | undefined): boolean {
  const m = baseMediaType(mediaType);
  return m === MediaTypes.ociManifest || m === MediaTypes.dockerManifest;
}

/** An image manifest or an index (a blob, a config or a signature payload is not). */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return isImageManifestMediaType(mediaType) || isIndexMediaType(mediaType);
}

/** `application/json; charset=utf-8` → `application/json` */
export function baseMediaType(contentType: string | undefined): string | undefined {
  const base = contentType?.split(';')[0]?.trim().toLowerCase();
  return base ? base : undefined;
}

/**
 * The media type of manifest bytes: the document's own `mediaType` field when present (it is
 * part of the digested content), else the Content-Type, else inferred from its shape.
 */
export function manifestMediaType(json: unknown, contentType: string | undefined): string {
  if (isObject(json)) {
    const m = json as { mediaType?: unknown; manifests?: unknown; config?: unknown };
    if (typeof m.mediaType === 'string' && m.mediaType) return m.mediaType;
    const ct = baseMediaType(contentType);
    if (ct && MANIFEST_MEDIA_TYPES.includes(ct)) return ct;
    if (Array.isArray(m.manifests)) return MediaTypes.ociIndex;
    if (m.config !== undefined) return MediaTypes.ociManifest;
  }
  return baseMediaType(contentType) ?? 'application/octet-stream';
}

/**
 * Whether an index entry is an image anyone runs: attestation manifests (BuildKit's
 * `unknown/unknown` entries, or marked by annotation) are not.
 */
export function isRunnableManifest(entry: {
  platform?: { os?: string; architecture?: string } | undefined;
  annotations?: Record<string, string> | undefined;
}): boolean {
  if (entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return false;
  return !(entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown');
}

/**
 * A Sigstore bundle media type, any version: `application/vnd.dev.sigstore.bundle+json;version=0.x`
 * (0.1–0.3) or `application/vnd.dev.sigstore.bundle.v0.3+json` (the parameter is part of the
 * type here, so this is not compared after baseMediaType).
 */
export function isSigstoreBundleMediaType(mediaType: string | undefined): boolean {
  const m = mediaType?.trim().toLowerCase().replace(/\s+/g, '');
  if (!m) return false;
  return (
    /^application\/vnd\.dev\.sigstore\.bundle\+json;version=\d+\.\d+$/.test(m) ||
    /^application\/vnd\.dev\.sigstore\.bundle\.v\d+\.\d+\+json$/.test(m)
  );
}

/**
 * Whether a manifest (JSON) is an artifact that is no image: an `artifactType`, or a config that
 * is not an image config (a Helm chart, a vulnerability database, an SBOM pushed with oras). Its
 * artifact type then; undefined for an image (or an index, which has no config).
 */
export function nonImageArtifactType(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  const m = json as { artifactType?: unknown; config?: unknown; manifests?: unknown };
  if (Array.isArray(m.manifests)) return typeof m.artifactType === 'string' && m.artifactType ? m.artifactType : undefined;
  if (typeof m.artifactType === 'string' && m.artifactType) return m.artifactType;
  const config = isObject(m.config) ? (m.config as { mediaType?: unknown }).mediaType : undefined;
  if (typeof config !== 'string' || config === MediaTypes.ociConfig || config === MediaTypes.dockerConfig) return undefined;
  return config;
}
