// The manifest stage: the manifest by digest says what the target is. An index names its
// platform manifests (each is an image of its own, scanned on its own); an image manifest names
// its config and layers. Anything else, or an image manifest missing what a scan needs, cannot
// be scanned.
import { isImageManifestMediaType, isIndexMediaType, isRunnableManifest } from '@assay/registry-client';
import type { BlobSource, Platform, ScanState, ScanTarget } from './state.ts';

/** One runnable manifest of an index. */
export interface PlatformManifest {
  digest: string;
  mediaType: string;
  platform?: Platform;
}

export interface ManifestLayer {
  digest: string;
  size: number;
  mediaType: string;
}

export type ManifestStep =
  | { kind: 'index'; mediaType: string; manifests: PlatformManifest[] }
  | {
      kind: 'image';
      mediaType: string;
      config: { digest: string; size?: number | undefined };
      layers: ManifestLayer[];
      annotations: Record<string, string>;
    };

/** The image cannot be scanned as it is (not an image manifest, a config that is not one). */
export class UnscannableImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnscannableImageError';
  }
}

interface ManifestJson {
  config?: { digest?: string; size?: number; mediaType?: string };
  layers?: { digest?: string; size?: number; mediaType?: string }[];
  annotations?: Record<string, string>;
  manifests?: { digest: string; mediaType: string; platform?: Platform; annotations?: Record<string, string> }[];
}

/**
 * Reads the target's manifest: an index with its runnable platforms, or an image to scan. The
 * registry's media type goes into `state` first, so even a report of an unscannable manifest
 * names what it was.
 */
export async function readManifest(client: BlobSource, target: ScanTarget, state: ScanState, signal?: AbortSignal): Promise<ManifestStep> {
  const manifest = await client.getManifest(target.repository, target.digest, signal ? { signal } : {});
  state.manifestMediaType = manifest.mediaType;
  const mj = manifest.json as ManifestJson;
  if (isIndexMediaType(manifest.mediaType)) {
    const manifests = (mj.manifests ?? [])
      .filter(isRunnableManifest)
      .map((m) => ({ digest: m.digest, mediaType: m.mediaType, ...(m.platform ? { platform: m.platform } : {}) }));
    return { kind: 'index', mediaType: manifest.mediaType, manifests };
  }
  if (!isImageManifestMediaType(manifest.mediaType)) {
    throw new UnscannableImageError(`${target.digest} is a ${manifest.mediaType}, not an image manifest`);
  }
  const configDigest = mj.config?.digest;
  if (!configDigest) throw new UnscannableImageError(`manifest ${target.digest} has no config`);
  const layers = (mj.layers ?? []).map((l, i) => {
    if (typeof l.digest !== 'string' || typeof l.size !== 'number') {
      throw new UnscannableImageError(`manifest ${target.digest}: layer ${i} has no digest or size`);
    }
    return { digest: l.digest, size: l.size, mediaType: l.mediaType ?? '' };
  });
  return {
    kind: 'image',
    mediaType: manifest.mediaType,
    config: { digest: configDigest, size: mj.config?.size },
    layers,
    annotations: mj.annotations ?? {},
  };
}
