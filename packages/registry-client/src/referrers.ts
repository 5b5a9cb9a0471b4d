// The artifacts that refer to a manifest (signatures, attestations, SBOMs attached to an image):
// the OCI 1.1 referrers API (`GET /v2/<repo>/referrers/<digest>`, paged by Link, filtered by
// `artifactType` where the registry says so in `OCI-Filters-Applied`), and, for registries
// without it (Distribution 2.8, most mirrors), the fallback tag `<alg>-<hex>` whose index lists
// them, as the distribution spec's "referrers tag schema" defines. Which way answered is part of
// the result, so a caller can tell "nothing refers to it" from "the registry cannot say".
import { isValidDigest, parseDigest } from '@assay/image-ref';
import { isObject } from '@assay/kit';
import type { FetchedManifest } from './client-options.ts';
import { RegistryError } from './errors.ts';
import { header, readBounded } from './http-body.ts';
import { nextLink } from './link.ts';
import { baseMediaType, isIndexMediaType, MediaTypes } from './media-types.ts';
import type { Response } from './transport.ts';

/** One referrer, as the referrers index lists it. */
export interface ReferrerDescriptor {
  mediaType: string;
  /** What the artifact is (`application/vnd.dev.sigstore.bundle.v0.3+json`…); absent when not said. */
  artifactType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Referrers {
  descriptors: ReferrerDescriptor[];
  /** `api`: the referrers API answered; `fallback-tag`: the registry has no API, the tag index was read. */
  via: 'api' | 'fallback-tag';
  /** True when more referrers were listed than `maxDescriptors` (the rest were left out). */
  truncated: boolean;
}

export interface ReferrersOptions {
  /** Only referrers of this artifact type (filtered here when the registry does not). */
  artifactType?: string;
  signal?: AbortSignal;
  /** At most this many descriptors are kept; default 1000. */
  maxDescriptors?: number;
}

/** What fetchReferrers needs from a client: one authorised GET, error reporting, a manifest by tag. */
export interface ReferrersTransport {
  readonly registry: string;
  readonly baseUrl: string;
  get(repository: string, url: string, accept: string, signal: AbortSignal | undefined): Promise<Response>;
  error(res: Response, repository: string, summary: string): Promise<RegistryError>;
  getManifest(repository: string, reference: string, opts: { signal?: AbortSignal }): Promise<FetchedManifest>;
}

const MAX_PAGE_BYTES = 4 * 1024 * 1024;
const MAX_PAGES = 50;
const DEFAULT_MAX_DESCRIPTORS = 1000;
/** Answers that mean "this registry has no referrers API" (the spec says 404; others say it their way). */
const NOT_SUPPORTED = new Set([404, 405, 406, 501]);

/**
 * The fallback tag of `digest` per the referrers tag schema: `<alg>-<encoded>`, the algorithm cut
 * to 32 characters and the encoded part to 64 (`sha256:ab…` → `sha256-ab…`).
 */
export function referrersTagOf(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${hex.slice(0, 64)}`;
}

/**
 * A tag named after a digest, which holds artifacts about that digest rather than an image:
 * cosign's `sha256-<hex>.sig` (signatures), `.att` (attestations), `.sbom`, and the referrers
 * fallback tag `sha256-<hex>`. undefined for any other tag.
 */
export function artifactTagSubject(tag: string): { kind: 'signature' | 'attestation' | 'sbom' | 'referrers'; subject: string } | undefined {
  const m = /^(sha256-[a-f0-9]{64}|sha512-[a-f0-9]{128})(\.sig|\.att|\.sbom)?$/.exec(tag);
  if (!m) return undefined;
  const kinds = { '.sig': 'signature', '.att': 'attestation', '.sbom': 'sbom' } as const;
  const suffix = m[2] as keyof typeof kinds | undefined;
  return { kind: suffix ? kinds[suffix] : 'referrers', subject: m[1]!.replace('-', ':') };
}

/**
 * The digest a manifest's `subject` names, when it is a referrer (an artifact about another
 * manifest: a signature, an attestation, an SBOM); undefined for an image, an index or junk.
 */
export function manifestSubject(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  const subject = (json as { subject?: unknown }).subject;
  if (!isObject(subject)) return undefined;
  const digest = (subject as { digest?: unknown }).digest;
  return typeof digest === 'string' && isValidDigest(digest) ? digest : undefined;
}

/**
 * The artifact type of a manifest per the image spec: its `artifactType`, else its config's media
 * type unless that is the empty descriptor.
 */
export function manifestArtifactType(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  const m = json as { artifactType?: unknown; config?: unknown };
  if (typeof m.artifactType === 'string' && m.artifactType) return m.artifactType;
  const configType = isObject(m.config) ? (m.config as { mediaType?: unknown }).mediaType : undefined;
  return typeof configType === 'string' && configType && configType !== MediaTypes.ociEmpty ? configType : undefined;
}

/** The referrer descriptors of an index document (entries without a valid digest are dropped). */
function descriptorsOf(index: unknown): ReferrerDescriptor[] {
  const manifests = isObject(index) ? (index as { manifests?: unknown }).manifests : undefined;
  if (!Array.isArray(manifests)) return [];
  const out: ReferrerDescriptor[] = [];
  for (const m of manifests) {
    if (!isObject(m)) continue;
    const d = m as { mediaType?: unknown; artifactType?: unknown; digest?: unknown; size?: unknown; annotations?: unknown };
    if (typeof d.digest !== 'string' || !isValidDigest(d.digest) || typeof d.mediaType !== 'string') continue;
    const annotations = isObject(d.annotations)
      ? Object.fromEntries(Object.entries(d.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : undefined;
    out.push({
      mediaType: d.mediaType,
      digest: d.digest,
      size: typeof d.size === 'number' && Number.isSafeInteger(d.size) && d.size >= 0 ? d.size : 0,
      ...(typeof d.artifactType === 'string' && d.artifactType ? { artifactType: d.artifactType } : {}),
      ...(annotations ? { annotations } : {}),
    });
  }
  return out;
}

/** The referrers of `repository@digest`, by the API or, when the registry has none, by the fallback tag. */
export async function fetchReferrers(
  io: ReferrersTransport,
  repository: string,
  digest: string,
  opts: ReferrersOptions = {},
): Promise<Referrers> {
  if (!isValidDigest(digest)) {
    throw new RegistryError(`invalid subject digest ${JSON.stringify(digest)}`, { registry: io.registry, repository });
  }
  const max = opts.maxDescriptors ?? DEFAULT_MAX_DESCRIPTORS;
  const wanted = (d: ReferrerDescriptor) => opts.artifactType === undefined || d.artifactType === opts.artifactType;
  const query = opts.artifactType !== undefined ? `?artifactType=${encodeURIComponent(opts.artifactType)}` : '';
  let url: string | undefined = `${io.baseUrl}/v2/${repository}/referrers/${digest}${query}`;
  const found: ReferrerDescriptor[] = [];
  let truncated = false;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const res = await io.get(repository, url, MediaTypes.ociIndex, opts.signal);
    if (page === 0 && NOT_SUPPORTED.has(res.status)) {
      await res.body.dump();
      return fromFallbackTag(io, repository, digest, opts, wanted, max);
    }
    if (res.status !== 200) throw await io.error(res, repository, `referrers of ${digest} failed`);
    const contentType = baseMediaType(header(res.headers, 'content-type'));
    const bytes = await readBounded(res.body, MAX_PAGE_BYTES, `referrers of ${digest}`);
    let index: unknown;
    try {
      index = JSON.parse(bytes.toString('utf8'));
    } catch {
      index = undefined;
    }
    // A 200 that is not an index (a proxy's HTML page, a catch-all route) is no referrers API.
    if (
      !isObject(index) ||
      !Array.isArray((index as { manifests?: unknown }).manifests) ||
      (contentType && !contentType.includes('json'))
    ) {
      if (page === 0) return fromFallbackTag(io, repository, digest, opts, wanted, max);
      throw new RegistryError(`referrers of ${digest}: page ${page + 1} is not an image index`, { registry: io.registry, repository });
    }
    // Filters the registry did not apply are applied here (the spec lets it ignore them).
    const applied = (header(res.headers, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim());
    const filtered = applied.includes('artifactType') ? descriptorsOf(index) : descriptorsOf(index).filter(wanted);
    for (const d of filtered) {
      if (found.length >= max) {
        truncated = true;
        break;
      }
      found.push(d);
    }
    if (truncated) break;
    url = nextLink(res.headers.link, res.url);
  }
  if (url && !truncated) truncated = true;
  return { descriptors: found, via: 'api', truncated };
}

async function fromFallbackTag(
  io: ReferrersTransport,
  repository: string,
  digest: string,
  opts: ReferrersOptions,
  wanted: (d: ReferrerDescriptor) => boolean,
  max: number,
): Promise<Referrers> {
  const tag = referrersTagOf(digest);
  let index: FetchedManifest;
  try {
    index = await io.getManifest(repository, tag, opts.signal ? { signal: opts.signal } : {});
  } catch (err) {
    // No fallback tag: nothing refers to the digest (or nothing that this scheme records).
    if (err instanceof RegistryError && err.status === 404) return { descriptors: [], via: 'fallback-tag', truncated: false };
    throw err;
  }
  if (!isIndexMediaType(index.mediaType)) {
    throw new RegistryError(`referrers tag ${tag} is a ${index.mediaType}, not an image index`, { registry: io.registry, repository });
  }
  const all = descriptorsOf(index.json).filter(wanted);
  return { descriptors: all.slice(0, max), via: 'fallback-tag', truncated: all.length > max };
}
