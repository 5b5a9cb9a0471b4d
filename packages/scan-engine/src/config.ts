// The config stage: the image config blob of an image manifest, fetched by its digest (bounded)
// and parsed (image-config.ts), checked against the manifest's layers.
import { layerHistory, parseImageConfig, type ConfigFacts } from './image-config.ts';
import { UnscannableImageError, type ManifestStep } from './manifest.ts';
import type { BlobSource, ScanState, ScanTarget } from './state.ts';

const CONFIG_MAX_BYTES = 8 * 1024 * 1024;

/** The config stage's answer: the facts, the layers' diff_ids and each layer's `created_by`. */
export interface ImageConfigStep {
  facts: ConfigFacts;
  diffIds: string[];
  history: (string | undefined)[];
}

/** Fetches and parses the config of an image manifest; its facts go into `state` at once. */
export async function readImageConfig(
  client: BlobSource,
  target: ScanTarget,
  manifest: Extract<ManifestStep, { kind: 'image' }>,
  state: ScanState,
  signal?: AbortSignal,
): Promise<ImageConfigStep> {
  const { digest, size } = manifest.config;
  const bytes = await client.blobBuffer(target.repository, digest, {
    maxBytes: CONFIG_MAX_BYTES,
    ...(size !== undefined ? { expectedSize: size } : {}),
    ...(signal ? { signal } : {}),
  });
  let parsed;
  try {
    parsed = parseImageConfig(bytes, manifest.annotations);
  } catch (err) {
    throw new UnscannableImageError(`config ${digest}: ${(err as Error).message}`);
  }
  state.config = parsed.facts;
  const count = manifest.layers.length;
  const history = layerHistory(parsed.facts, count);
  if (parsed.diffIds.length !== 0 && parsed.diffIds.length !== count) {
    throw new UnscannableImageError(`config ${digest} names ${parsed.diffIds.length} diff_ids for ${count} layers`);
  }
  return { facts: parsed.facts, diffIds: parsed.diffIds, history };
}
