// Discovery: every signature and attestation stored in a registry for a set of digests (an image,
// and the index it was reached through), raw, ready for verification. Three places are looked at:
//   - cosign's tags `sha256-<hex>.sig` (each layer a simple-signing payload, its signature and
//     keyless material in annotations) and `sha256-<hex>.att` (each layer a DSSE envelope);
//   - the digest's referrers (OCI 1.1 API, or its fallback tag): Sigstore bundles (v0.1–v0.3),
//     and cosign-format signatures and attestations stored as referrers.
// Bounded (artifacts per subject, bytes per blob) and never throwing for what a registry does or
// lacks: a missing tag is "nothing signed", and every failure is a warning in the answer, so one
// unreadable artifact cannot hide the others. The registry is reached through TrustSource, the
// few calls needed (the registry client is one; tests and the CLI pass theirs); the media types
// are the registry client's.
import type { TrustScope } from '@assay/domain';
import { isObject } from '@assay/kit';
import type { ArtifactOrigin, CosignKeylessMaterial, DiscoveredArtifact, Discovery } from './artifacts.ts';
import { isSigstoreBundleMediaType, MediaTypes } from '@assay/registry-client';
import { CosignAnnotations, cosignTag } from './cosign-tags.ts';

/** A manifest as the source returns it (the registry client's FetchedManifest fits). */
export interface TrustManifest {
  digest: string;
  mediaType: string;
  json: unknown;
  /** The exact bytes (what a message-signature bundle over the manifest signed). */
  bytes?: Buffer;
}

/** A referrer descriptor, as a referrers index lists it. */
export interface TrustReferrer {
  mediaType: string;
  artifactType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** What discovery needs from a registry (RegistryClient satisfies it). */
export interface TrustSource {
  /** undefined when there is no such manifest (404). */
  headManifest(repository: string, reference: string, opts?: { signal?: AbortSignal }): Promise<{ digest: string } | undefined>;
  getManifest(repository: string, reference: string, opts?: { signal?: AbortSignal }): Promise<TrustManifest>;
  blobBuffer(repository: string, digest: string, opts: { maxBytes: number; expectedSize?: number; signal?: AbortSignal }): Promise<Buffer>;
  referrers(
    repository: string,
    digest: string,
    opts?: { signal?: AbortSignal },
  ): Promise<{ descriptors: TrustReferrer[]; via: 'api' | 'fallback-tag'; truncated?: boolean }>;
}

export interface DiscoveryLimits {
  /** Artifacts kept per subject; default 50. */
  maxArtifactsPerSubject?: number;
  /** Largest blob read (payload, envelope, bundle); default 4 MiB. */
  maxBlobBytes?: number;
  signal?: AbortSignal;
}

export interface DiscoverySubject {
  digest: string;
  scope: TrustScope;
}

const DEFAULT_MAX_ARTIFACTS = 50;
const DEFAULT_MAX_BLOB_BYTES = 4 * 1024 * 1024;

/** Referrer artifact types worth opening; others (SBOMs, Notary signatures, …) are not ours. */
function isTrustArtifactType(artifactType: string | undefined): boolean {
  if (artifactType === undefined) return true;
  const t = artifactType.toLowerCase();
  return (
    isSigstoreBundleMediaType(t) ||
    t === MediaTypes.cosignSignatureArtifact ||
    t.startsWith('application/vnd.dev.cosign.') ||
    t === MediaTypes.dsseEnvelope ||
    t === 'application/vnd.in-toto+json'
  );
}

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

function layersOf(json: unknown): Layer[] | undefined {
  const layers = isObject(json) ? json.layers : undefined;
  if (!Array.isArray(layers)) return undefined;
  return layers.filter(isObject).flatMap((l) =>
    typeof l.digest === 'string' && typeof l.mediaType === 'string' && typeof l.size === 'number'
      ? [
          {
            mediaType: l.mediaType,
            digest: l.digest,
            size: l.size,
            annotations: isObject(l.annotations)
              ? Object.fromEntries(Object.entries(l.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'))
              : {},
          },
        ]
      : [],
  );
}

function subjectOf(json: unknown): string | undefined {
  const s = isObject(json) ? json.subject : undefined;
  return isObject(s) && typeof s.digest === 'string' ? s.digest : undefined;
}

function keylessMaterial(a: Record<string, string>): CosignKeylessMaterial {
  const pick = (k: string) => (a[k] ? a[k] : undefined);
  const certificate = pick(CosignAnnotations.certificate);
  const chain = pick(CosignAnnotations.chain);
  const rekorBundle = pick(CosignAnnotations.bundle);
  const rfc3161Timestamp = pick(CosignAnnotations.rfc3161Timestamp);
  return {
    ...(certificate ? { certificate } : {}),
    ...(chain ? { chain } : {}),
    ...(rekorBundle ? { rekorBundle } : {}),
    ...(rfc3161Timestamp ? { rfc3161Timestamp } : {}),
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One subject's search: its artifacts, its warnings, its budget. */
class SubjectSearch {
  readonly artifacts: DiscoveredArtifact[] = [];
  readonly #source: TrustSource;
  readonly #repository: string;
  readonly #subject: DiscoverySubject;
  readonly #warnings: string[];
  readonly #maxArtifacts: number;
  readonly #maxBlobBytes: number;
  readonly #signal: AbortSignal | undefined;
  #full = false;

  constructor(source: TrustSource, repository: string, subject: DiscoverySubject, warnings: string[], limits: DiscoveryLimits) {
    this.#source = source;
    this.#repository = repository;
    this.#subject = subject;
    this.#warnings = warnings;
    this.#maxArtifacts = limits.maxArtifactsPerSubject ?? DEFAULT_MAX_ARTIFACTS;
    this.#maxBlobBytes = limits.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.#signal = limits.signal;
  }

  warn(text: string): void {
    this.#warnings.push(`${this.#subject.scope} ${this.#subject.digest}: ${text}`);
  }

  get #opts(): { signal?: AbortSignal } {
    return this.#signal ? { signal: this.#signal } : {};
  }

  /** Room for one more artifact; warns once when the budget is spent. */
  #room(): boolean {
    if (this.artifacts.length < this.#maxArtifacts) return true;
    if (!this.#full) this.warn(`more than ${this.#maxArtifacts} signatures and attestations; the rest were not read`);
    this.#full = true;
    return false;
  }

  /** A layer's blob, or undefined (with a warning) when too big or unreadable. */
  async #blob(manifest: string, layer: Layer): Promise<Buffer | undefined> {
    const where = `${manifest}/${layer.digest}`;
    if (layer.size > this.#maxBlobBytes) {
      this.warn(`artifact ${where} is ${layer.size} bytes, more than the ${this.#maxBlobBytes}-byte limit; not read`);
      return undefined;
    }
    try {
      return await this.#source.blobBuffer(this.#repository, layer.digest, {
        maxBytes: this.#maxBlobBytes,
        expectedSize: layer.size,
        ...this.#opts,
      });
    } catch (err) {
      this.warn(`artifact ${where} could not be read: ${message(err)}`);
      return undefined;
    }
  }

  #origin(source: ArtifactOrigin['source'], manifest: string, layer: Layer): ArtifactOrigin {
    return { subject: this.#subject.digest, scope: this.#subject.scope, source, artifact: `${manifest}/${layer.digest}` };
  }

  /** cosign's `.sig` or `.att` tag of the subject; absent (404) is nothing signed. */
  async cosignTag(kind: 'signature' | 'attestation'): Promise<void> {
    const tag = cosignTag(this.#subject.digest, kind);
    let manifest: TrustManifest;
    try {
      const head = await this.#source.headManifest(this.#repository, tag, this.#opts);
      if (!head) return;
      manifest = await this.#source.getManifest(this.#repository, head.digest, this.#opts);
    } catch (err) {
      this.warn(`cosign tag ${tag} could not be read: ${message(err)}`);
      return;
    }
    const layers = layersOf(manifest.json);
    if (!layers) {
      this.warn(`cosign tag ${tag} (${manifest.digest}) is not an image manifest with layers (${manifest.mediaType})`);
      return;
    }
    for (const layer of layers) {
      if (!this.#room()) return;
      await (kind === 'signature'
        ? this.#signatureLayer('cosign-tag', manifest.digest, layer)
        : this.#attestationLayer('cosign-tag', manifest.digest, layer));
    }
  }

  async #signatureLayer(source: ArtifactOrigin['source'], manifest: string, layer: Layer): Promise<void> {
    const signature = layer.annotations[CosignAnnotations.signature];
    if (signature === undefined) {
      this.warn(`artifact ${manifest}/${layer.digest} has no ${CosignAnnotations.signature} annotation; not a cosign signature`);
      return;
    }
    const payload = await this.#blob(manifest, layer);
    if (!payload) return;
    this.artifacts.push({
      kind: 'cosign-signature',
      ...this.#origin(source, manifest, layer),
      ...keylessMaterial(layer.annotations),
      payload,
      signature,
    });
  }

  async #attestationLayer(source: ArtifactOrigin['source'], manifest: string, layer: Layer): Promise<void> {
    if (layer.mediaType !== MediaTypes.dsseEnvelope) {
      this.warn(`artifact ${manifest}/${layer.digest} is ${layer.mediaType}, not a DSSE envelope (${MediaTypes.dsseEnvelope})`);
      return;
    }
    const envelope = await this.#blob(manifest, layer);
    if (!envelope) return;
    this.artifacts.push({
      kind: 'cosign-attestation',
      ...this.#origin(source, manifest, layer),
      ...keylessMaterial(layer.annotations),
      envelope,
    });
  }

  /** The subject's referrers: Sigstore bundles, and cosign signatures and attestations stored that way. */
  async referrers(): Promise<void> {
    let found: Awaited<ReturnType<TrustSource['referrers']>>;
    try {
      found = await this.#source.referrers(this.#repository, this.#subject.digest, this.#opts);
    } catch (err) {
      this.warn(`referrers could not be listed: ${message(err)}`);
      return;
    }
    if (found.truncated) this.warn(`the registry lists more referrers than were read (${found.via})`);
    for (const d of found.descriptors) {
      if (!isTrustArtifactType(d.artifactType)) continue;
      if (!this.#room()) return;
      await this.#referrer(d);
    }
  }

  async #referrer(d: TrustReferrer): Promise<void> {
    let manifest: TrustManifest;
    try {
      manifest = await this.#source.getManifest(this.#repository, d.digest, this.#opts);
    } catch (err) {
      this.warn(`referrer ${d.digest} could not be read: ${message(err)}`);
      return;
    }
    // A fallback index is a plain tag anyone may push: what it lists must say it is about us.
    const subject = subjectOf(manifest.json);
    if (subject !== this.#subject.digest) {
      this.warn(`referrer ${d.digest} names ${subject ? `subject ${subject}` : 'no subject'}; ignored`);
      return;
    }
    const layers = layersOf(manifest.json);
    if (!layers) {
      this.warn(`referrer ${d.digest} is not an image manifest with layers (${manifest.mediaType}); ignored`);
      return;
    }
    const artifactType =
      d.artifactType ??
      (isObject(manifest.json) && typeof manifest.json.artifactType === 'string' ? manifest.json.artifactType : undefined);
    for (const layer of layers) {
      if (!this.#room()) return;
      if (isSigstoreBundleMediaType(layer.mediaType) || (isSigstoreBundleMediaType(artifactType) && layers.length === 1)) {
        const bundle = await this.#blob(d.digest, layer);
        if (!bundle) continue;
        const mediaType = isSigstoreBundleMediaType(layer.mediaType) ? layer.mediaType : artifactType!;
        this.artifacts.push({ kind: 'sigstore-bundle', ...this.#origin('referrer', d.digest, layer), mediaType, bundle });
      } else if (layer.mediaType === MediaTypes.cosignSimpleSigning) {
        await this.#signatureLayer('referrer', d.digest, layer);
      } else if (layer.mediaType === MediaTypes.dsseEnvelope) {
        await this.#attestationLayer('referrer', d.digest, layer);
      }
    }
  }
}

/** What makes two discovered artifacts the same one. */
function identity(a: DiscoveredArtifact): string {
  return `${a.subject}|${a.artifact}|${a.kind === 'cosign-signature' ? a.signature : ''}`;
}

/**
 * The signatures and attestations stored in `repository` for each subject (an image digest with
 * scope 'image', and, when given, the index it was reached through with scope 'index'). Never
 * rejects for what the registry holds or lacks: failures are warnings in the answer.
 */
export async function discoverArtifacts(
  source: TrustSource,
  repository: string,
  subjects: readonly DiscoverySubject[],
  limits: DiscoveryLimits = {},
): Promise<Discovery> {
  const warnings: string[] = [];
  const artifacts: DiscoveredArtifact[] = [];
  const done = new Set<string>();
  for (const subject of subjects) {
    if (done.has(subject.digest)) continue;
    done.add(subject.digest);
    const search = new SubjectSearch(source, repository, subject, warnings, limits);
    if (!/^sha(256|512):[a-f0-9]+$/.test(subject.digest)) {
      search.warn('not a digest; nothing looked up');
      continue;
    }
    await search.cosignTag('signature');
    await search.cosignTag('attestation');
    await search.referrers();
    // The same layer reached twice (a cosign manifest that is also a referrer) is one artifact;
    // two layers of one manifest with the same payload (cosign signing twice) are two signatures.
    const seen = new Set(artifacts.map(identity));
    for (const a of search.artifacts) {
      const key = identity(a);
      if (seen.has(key)) continue;
      artifacts.push(a);
      seen.add(key);
    }
  }
  return { artifacts, warnings };
}
