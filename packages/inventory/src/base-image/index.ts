// Which registered base image an image was built on. The strong evidence is the layer chain:
// an image built FROM a base starts with exactly the base's uncompressed layers (diff_ids), so
// the longest registered chain that is a prefix of the image's chain is its base (diff_ids, not
// layer digests: the same layer recompressed gets a new digest but keeps its diff_id). The OCI
// annotations `org.opencontainers.image.base.name` / `.base.digest` (set by the builder, in the
// manifest or as config labels) confirm that answer, or stand in when no chain matches (an
// unregistered base, a squashed image): a claim, so reported as such.
import { formatReference, parseReference } from '@assay/image-ref';

export const BASE_NAME_ANNOTATION = 'org.opencontainers.image.base.name';
export const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';

export interface ImageLayers {
  /** In order, lowest first. A layer without a diff_id ends the chain that can match. */
  readonly layers: readonly { readonly digest: string; readonly diffId?: string }[];
  /** Manifest annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Config labels (builders that cannot set manifest annotations put them here). */
  readonly configLabels?: Readonly<Record<string, string>>;
}

export interface RegisteredBaseImage {
  /** Reference as registered: `docker.io/library/debian:12`. */
  readonly name: string;
  /** Manifest digest of the base. */
  readonly digest: string;
  /** Its layers' diff_ids, lowest first. */
  readonly diffIds: readonly string[];
}

export interface BaseImageMatch {
  readonly name: string;
  /** Manifest digest of the base; absent only for an annotation naming no digest. */
  readonly digest?: string;
  /** Image layers that are the base's (0 when only an annotation says so). */
  readonly matchedLayers: number;
  readonly source: 'layers' | 'annotation';
  /**
   * Whether the image's base annotations agree: for a layer match, that they name this base
   * (undefined without annotations); for an annotation, that the registered base's layers
   * are the image's lowest layers (undefined when the base is not registered).
   */
  readonly confirmed?: boolean;
}

export function identifyBaseImage(image: ImageLayers, registered: readonly RegisteredBaseImage[]): BaseImageMatch | undefined {
  const chain: string[] = [];
  for (const l of image.layers) {
    if (!l.diffId) break;
    chain.push(l.diffId);
  }
  const claim = baseAnnotation(image);

  let best: RegisteredBaseImage[] = [];
  for (const base of registered) {
    if (base.diffIds.length === 0 || base.diffIds.length > chain.length) continue;
    if (!base.diffIds.every((d, i) => d === chain[i])) continue;
    const bestLength = best[0]?.diffIds.length ?? 0;
    if (base.diffIds.length > bestLength) best = [base];
    else if (base.diffIds.length === bestLength) best.push(base);
  }
  if (best.length > 0) {
    // Equal chains under several names (debian:12, debian:bookworm): the one the annotations
    // name, else the first by name so the answer does not depend on registration order.
    const named = claim ? best.find((b) => claimNames(claim, b)) : undefined;
    const pick = named ?? [...best].sort((a, b) => a.name.localeCompare(b.name))[0];
    if (pick) {
      return {
        name: pick.name,
        digest: pick.digest,
        matchedLayers: pick.diffIds.length,
        source: 'layers',
        ...(claim ? { confirmed: claimNames(claim, pick) } : {}),
      };
    }
  }

  if (!claim) return undefined;
  const known = registered.find((b) => claimNames(claim, b));
  if (known) {
    // No chain matched, so the registered base's layers are not the image's: a squashed image or a wrong claim.
    return { name: known.name, digest: known.digest, matchedLayers: 0, source: 'annotation', confirmed: false };
  }
  if (claim.name === undefined) return undefined; // a bare digest names nothing we know
  return { name: claim.name, ...(claim.digest !== undefined ? { digest: claim.digest } : {}), matchedLayers: 0, source: 'annotation' };
}

interface BaseClaim {
  readonly name?: string;
  readonly digest?: string;
}

/** The base the annotations claim: manifest annotations first, then config labels. */
export function baseAnnotation(image: Pick<ImageLayers, 'annotations' | 'configLabels'>): BaseClaim | undefined {
  for (const source of [image.annotations, image.configLabels]) {
    const name = nonEmpty(source?.[BASE_NAME_ANNOTATION]);
    const digest = nonEmpty(source?.[BASE_DIGEST_ANNOTATION]);
    if (name !== undefined || digest !== undefined)
      return { ...(name !== undefined ? { name } : {}), ...(digest !== undefined ? { digest } : {}) };
  }
  return undefined;
}

/** A claim names a base by digest when it has one (names are mutable tags), else by name. */
function claimNames(claim: BaseClaim, base: RegisteredBaseImage): boolean {
  return claim.digest !== undefined ? claim.digest === base.digest : claim.name !== undefined && sameReference(claim.name, base.name);
}

/** `debian:12` and `docker.io/library/debian:12` are the same reference. */
function sameReference(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return formatReference(parseReference(a)) === formatReference(parseReference(b));
  } catch {
    return false;
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}
