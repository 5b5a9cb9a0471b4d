// RegistryClient: the Distribution (OCI) HTTP API for reading a registry: ping, catalog and tags
// with pagination, manifests with digest verification, per-platform expansion of an index, and
// blob streams verified against their digest. Every request goes through one transport
// (transport.ts), so authentication, retries and timeouts are the same for every call.
import { pipeline, type Readable } from 'node:stream';
import { isValidDigest, isValidRepository, isValidTag, parseDigest } from '@assay/image-ref';
import { CATALOG_SCOPE, pullScope } from './auth.ts';
import type {
  BlobOptions,
  FetchedManifest,
  ManifestDescriptor,
  PingResult,
  Platform,
  PlatformManifest,
  RegistryClientOptions,
} from './client-options.ts';
import { DigestVerifier, digestOf } from './digest.ts';
import { DigestMismatchError, RegistryError } from './errors.ts';
import { header, readBounded, readJson } from './http-body.ts';
import { nextLink } from './link.ts';
import {
  baseMediaType,
  isImageManifestMediaType,
  isIndexMediaType,
  isRunnableManifest,
  MANIFEST_ACCEPT,
  manifestMediaType,
} from './media-types.ts';
import { fetchReferrers, type Referrers, type ReferrersOptions } from './referrers.ts';
import { DEFAULT_RETRY_POLICY } from './retry.ts';
import { RegistryTransport, type Response } from './transport.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024; // Distribution's own limit for manifests

export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: string;
  readonly #http: RegistryTransport;

  constructor(opts: RegistryClientOptions) {
    if (!opts.registry || /[/\s]/.test(opts.registry))
      throw new Error(`registry must be host[:port], got ${JSON.stringify(opts.registry)}`);
    this.registry = opts.registry;
    const insecure = opts.insecure ?? false;
    // Docker Hub's API is not served at docker.io itself.
    const apiHost = opts.registry === 'docker.io' ? 'registry-1.docker.io' : opts.registry;
    this.baseUrl = opts.baseUrl?.replace(/\/+$/, '') ?? `${insecure ? 'http' : 'https'}://${apiHost}`;
    this.#http = new RegistryTransport({
      registry: opts.registry,
      insecure,
      ca: opts.ca,
      credentials: opts.credentials,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: { ...DEFAULT_RETRY_POLICY, ...opts.retryPolicy, ...(opts.retries !== undefined ? { retries: opts.retries } : {}) },
      userAgent: opts.userAgent ?? 'assay-registry-client/0.1',
      logger: opts.logger,
    });
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  // ---- API ---------------------------------------------------------------------------------

  /** GET /v2/: reachable, speaks the v2 API, and (with credentials) lets us in. */
  async ping(opts: { signal?: AbortSignal } = {}): Promise<PingResult> {
    const url = `${this.baseUrl}/v2/`;
    const res = await this.#http.send({ method: 'GET', url, scopes: [], ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.status !== 200) throw await this.#http.error(res, 'GET', undefined, 'ping failed');
    await res.body.dump();
    const apiVersion = header(res.headers, 'docker-distribution-api-version');
    if (apiVersion !== undefined && !apiVersion.split(/\s+/).includes('registry/2.0')) {
      throw new RegistryError(`unsupported API version "${apiVersion}" (want registry/2.0)`, {
        registry: this.registry,
        status: res.status,
      });
    }
    return { apiVersion, authScheme: this.#http.authScheme };
  }

  /** Every repository name (`_catalog`), page by page. */
  async *catalog(opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<string> {
    let url: string | undefined = `${this.baseUrl}/v2/_catalog${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    while (url) {
      const res = await this.#http.send({ method: 'GET', url, scopes: [CATALOG_SCOPE], ...(opts.signal ? { signal: opts.signal } : {}) });
      if (res.status !== 200) throw await this.#http.error(res, 'GET', undefined, 'catalog failed');
      const page = (await readJson(res, MAX_MANIFEST_BYTES)) as { repositories?: string[] | null };
      for (const r of page.repositories ?? []) yield r;
      url = nextLink(res.headers.link, res.url);
    }
  }

  /** Every tag of `repository`, page by page. */
  async *tags(repository: string, opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<string> {
    this.#checkRepository(repository);
    let url: string | undefined = `${this.baseUrl}/v2/${repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    while (url) {
      const res = await this.#pull('GET', repository, url, opts.signal);
      if (res.status !== 200) throw await this.#http.error(res, 'GET', repository, 'listing tags failed');
      const page = (await readJson(res, MAX_MANIFEST_BYTES)) as { tags?: string[] | null };
      for (const t of page.tags ?? []) yield t;
      url = nextLink(res.headers.link, res.url);
    }
  }

  /** One request under a repository's pull scope (tags, manifests, blobs). */
  #pull(method: 'HEAD' | 'GET', repository: string, url: string, signal: AbortSignal | undefined, accept?: string): Promise<Response> {
    return this.#http.send({
      method,
      url,
      scopes: [pullScope(repository)],
      repository,
      ...(accept !== undefined ? { accept } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  /** One manifest request (HEAD or GET) by tag or digest, accepting every manifest media type. */
  #requestManifest(method: 'HEAD' | 'GET', repository: string, reference: string, signal: AbortSignal | undefined): Promise<Response> {
    this.#checkRepository(repository);
    this.#checkReference(reference);
    return this.#pull(method, repository, `${this.baseUrl}/v2/${repository}/manifests/${reference}`, signal, MANIFEST_ACCEPT);
  }

  /** The manifest's descriptor without its body; undefined when the registry has no such manifest. */
  async headManifest(repository: string, reference: string, opts: { signal?: AbortSignal } = {}): Promise<ManifestDescriptor | undefined> {
    const res = await this.#requestManifest('HEAD', repository, reference, opts.signal);
    if (res.status === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.status !== 200) throw await this.#http.error(res, 'HEAD', repository, `HEAD manifest ${reference} failed`);
    await res.body.dump();
    const digest = header(res.headers, 'docker-content-digest');
    const mediaType = baseMediaType(header(res.headers, 'content-type'));
    const size = Number(header(res.headers, 'content-length'));
    // Without the digest header there is nothing to trust but the bytes themselves.
    if (!digest || !isValidDigest(digest) || !mediaType || !Number.isFinite(size)) {
      const m = await this.getManifest(repository, reference, opts);
      return { digest: m.digest, mediaType: m.mediaType, size: m.size };
    }
    if (isValidDigest(reference) && digest !== reference) {
      throw new DigestMismatchError(`manifest ${repository}@${reference}: registry answered digest ${digest}`, reference, digest);
    }
    return { digest, mediaType, size };
  }

  /**
   * The manifest (image, index or list) with its exact bytes. By digest, the bytes must hash to
   * it; by tag, the digest is computed and must match `Docker-Content-Digest` when sent.
   */
  async getManifest(
    repository: string,
    reference: string,
    opts: { signal?: AbortSignal; maxBytes?: number } = {},
  ): Promise<FetchedManifest> {
    const res = await this.#requestManifest('GET', repository, reference, opts.signal);
    if (res.status !== 200) throw await this.#http.error(res, 'GET', repository, `manifest ${reference} failed`);
    const limit = opts.maxBytes ?? MAX_MANIFEST_BYTES;
    const bytes = await readBounded(res.body, limit, `manifest ${reference}`).catch((err: unknown) => {
      throw new RegistryError(`manifest ${reference} is larger than ${limit} bytes or could not be read`, {
        registry: this.registry,
        repository,
        cause: err,
      });
    });
    const byDigest = isValidDigest(reference);
    const answered = header(res.headers, 'docker-content-digest');
    const algorithm = byDigest
      ? parseDigest(reference).algorithm
      : answered && isValidDigest(answered)
        ? parseDigest(answered).algorithm
        : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (byDigest && digest !== reference) {
      throw new DigestMismatchError(`manifest ${repository}@${reference}: content has digest ${digest}`, reference, digest);
    }
    if (answered !== undefined && answered !== digest) {
      throw new DigestMismatchError(
        `manifest ${repository}:${reference}: registry says ${answered}, content has ${digest}`,
        answered,
        digest,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new RegistryError(`manifest ${reference} is not JSON`, { registry: this.registry, repository, cause: err });
    }
    return { digest, mediaType: manifestMediaType(json, header(res.headers, 'content-type')), size: bytes.length, bytes, json };
  }

  /**
   * The runnable manifests behind `manifest`: an index's per-platform entries (attestation
   * manifests left out: they are not images), or the single image itself with the platform
   * read from its config.
   */
  async expandIndex(repository: string, manifest: FetchedManifest, opts: { signal?: AbortSignal } = {}): Promise<PlatformManifest[]> {
    const json = manifest.json as {
      manifests?: { digest: string; mediaType: string; size: number; platform?: Platform; annotations?: Record<string, string> }[];
      config?: { digest: string; size: number };
    };
    if (isIndexMediaType(manifest.mediaType)) {
      const out: PlatformManifest[] = [];
      for (const m of json.manifests ?? []) {
        if (!m || typeof m.digest !== 'string' || !isValidDigest(m.digest)) {
          throw new RegistryError(`index ${manifest.digest} has an entry without a valid digest`, { registry: this.registry, repository });
        }
        if (!isRunnableManifest(m)) continue;
        out.push({
          digest: m.digest,
          mediaType: m.mediaType,
          size: m.size,
          ...(m.platform ? { platform: m.platform } : {}),
          ...(m.annotations ? { annotations: m.annotations } : {}),
        });
      }
      return out;
    }
    if (!isImageManifestMediaType(manifest.mediaType)) {
      throw new RegistryError(`unsupported manifest media type ${manifest.mediaType}`, { registry: this.registry, repository });
    }
    const self: PlatformManifest = { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size };
    const config = json.config;
    if (config && isValidDigest(config.digest)) {
      const bytes = await this.blobBuffer(repository, config.digest, {
        maxBytes: 8 * 1024 * 1024,
        expectedSize: config.size,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const c = JSON.parse(bytes.toString('utf8')) as Partial<Platform>;
      if (c.architecture && c.os) {
        self.platform = {
          architecture: c.architecture,
          os: c.os,
          ...(c.variant ? { variant: c.variant } : {}),
          ...(c['os.version'] ? { 'os.version': c['os.version'] } : {}),
        };
      }
    }
    return [self];
  }

  /**
   * The blob's bytes as a stream, verified on the way: the stream fails with DigestMismatchError
   * at the end when they do not hash to `digest`, or at once when too many arrive.
   */
  async blob(repository: string, digest: string, opts: BlobOptions = {}): Promise<Readable> {
    this.#checkRepository(repository);
    if (!isValidDigest(digest))
      throw new RegistryError(`invalid blob digest ${JSON.stringify(digest)}`, { registry: this.registry, repository });
    const res = await this.#pull('GET', repository, `${this.baseUrl}/v2/${repository}/blobs/${digest}`, opts.signal);
    if (res.status !== 200) throw await this.#http.error(res, 'GET', repository, `blob ${digest} failed`);
    const length = Number(header(res.headers, 'content-length'));
    if (opts.maxBytes !== undefined && Number.isFinite(length) && length > opts.maxBytes) {
      res.body.destroy();
      throw new DigestMismatchError(`blob ${digest}: ${length} bytes announced, limit ${opts.maxBytes}`, digest);
    }
    const verifier = new DigestVerifier(digest, {
      ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
      ...(opts.expectedSize !== undefined ? { expectedSize: opts.expectedSize } : {}),
    });
    // pipeline: an error on either side (network, mismatch, consumer destroy) tears down both.
    pipeline(res.body, verifier, () => {});
    return verifier;
  }

  /** A small blob (a config) read whole, verified. */
  async blobBuffer(repository: string, digest: string, opts: BlobOptions & { maxBytes: number }): Promise<Buffer> {
    const stream = await this.blob(repository, digest, opts);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * The artifacts referring to `repository@digest` (signatures, attestations, SBOMs): the OCI 1.1
   * referrers API, or the fallback tag `sha256-<hex>` on registries without it (referrers.ts).
   */
  async referrers(repository: string, digest: string, opts: ReferrersOptions = {}): Promise<Referrers> {
    this.#checkRepository(repository);
    return fetchReferrers(
      {
        registry: this.registry,
        baseUrl: this.baseUrl,
        get: (repo, url, accept, signal) => this.#pull('GET', repo, url, signal, accept),
        error: (res, repo, summary) => this.#http.error(res, 'GET', repo, summary),
        getManifest: (repo, reference, o) => this.getManifest(repo, reference, o),
      },
      repository,
      digest,
      opts,
    );
  }

  // ---- checks ------------------------------------------------------------------------------

  #checkRepository(repository: string): void {
    if (!isValidRepository(repository))
      throw new RegistryError(`invalid repository name ${JSON.stringify(repository)}`, { registry: this.registry });
  }

  #checkReference(reference: string): void {
    if (!isValidTag(reference) && !isValidDigest(reference)) {
      throw new RegistryError(`invalid manifest reference ${JSON.stringify(reference)} (want a tag or a digest)`, {
        registry: this.registry,
      });
    }
  }
}
