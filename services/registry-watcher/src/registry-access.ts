// What the watcher needs from a registry, over @assay/registry-client: the repository list
// (catalog, or the configured repositories), tags, a manifest's digest by tag (HEAD), and a
// manifest's content (GET, for index expansion). One client per configured registry.
import {
  isIndexMediaType,
  manifestSubject,
  nonImageArtifactType,
  RegistryClient,
  registrySpecOptions,
  type RegistryLogger,
} from '@assay/registry-client';
import type { RegistrySpec } from '@assay/registry-client';

export interface ManifestHead {
  digest: string;
  mediaType: string;
}

export interface RunnableManifest extends ManifestHead {
  platform: { os: string; architecture: string; variant: string } | undefined;
}

/** A manifest and the runnable image manifests behind it (an index's platforms, or itself). */
export interface ExpandedManifest extends ManifestHead {
  manifests: RunnableManifest[];
  /**
   * The digest its `subject` names: the manifest is a referrer (a signature, attestation, SBOM
   * about that digest), not an image; `manifests` is then empty.
   */
  subject?: string;
  /** An artifact that is no image (a Helm chart, a database, an SBOM): its type; `manifests` is then empty. */
  artifactType?: string;
}

export interface RegistryAccess {
  ping(): Promise<void>;
  /** Repository names: the configured list, or the whole catalog. */
  repositories(): AsyncIterable<string>;
  tags(repository: string): AsyncIterable<string>;
  /** undefined when the manifest does not exist. */
  head(repository: string, reference: string): Promise<ManifestHead | undefined>;
  close(): Promise<void>;
  /** GET the manifest and expand it: an index's platform manifests, or the image itself with the platform of its config. */
  expand(repository: string, reference: string): Promise<ExpandedManifest>;
  /** GET the manifest only: the digest its `subject` names, if any (a referrer). */
  subjectOf(repository: string, reference: string): Promise<string | undefined>;
}

export interface RegistryAccessOptions {
  timeoutMs: number;
  logger?: RegistryLogger;
}

export function registryAccess(spec: RegistrySpec, opts: RegistryAccessOptions): RegistryAccess {
  const client = new RegistryClient({
    ...registrySpecOptions(spec),
    timeoutMs: opts.timeoutMs,
    ...(opts.logger ? { logger: opts.logger } : {}),
    // The watcher retries whole work items and polls itself, with its own backoff.
    retries: 0,
  });
  return {
    async ping() {
      await client.ping();
    },
    repositories() {
      if (spec.repositories) {
        const list = spec.repositories;
        return (async function* () {
          yield* list;
        })();
      }
      return client.catalog({ pageSize: 1000 });
    },
    tags: (repository) => client.tags(repository),
    async head(repository, reference) {
      const h = await client.headManifest(repository, reference);
      return h ? { digest: h.digest, mediaType: h.mediaType } : undefined;
    },
    async expand(repository, reference) {
      const m = await client.getManifest(repository, reference);
      // A referrer is not an image: its config may be anything (or empty), nothing to expand.
      const subject = manifestSubject(m.json);
      if (subject !== undefined) return { digest: m.digest, mediaType: m.mediaType, manifests: [], subject };
      const artifactType = nonImageArtifactType(m.json);
      if (artifactType !== undefined) return { digest: m.digest, mediaType: m.mediaType, manifests: [], artifactType };
      const runnable = await client.expandIndex(repository, m);
      return {
        digest: m.digest,
        mediaType: m.mediaType,
        manifests: runnable
          // Nested indexes are not runnable images.
          .filter((p) => !isIndexMediaType(p.mediaType))
          .map((p) => ({
            digest: p.digest,
            mediaType: p.mediaType,
            platform: p.platform
              ? { os: p.platform.os, architecture: p.platform.architecture, variant: p.platform.variant ?? '' }
              : undefined,
          })),
      };
    },
    async subjectOf(repository, reference) {
      return manifestSubject((await client.getManifest(repository, reference)).json);
    },
    close: () => client.close(),
  };
}
