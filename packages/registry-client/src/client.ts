// RegistryClient: the Distribution (OCI) HTTP API for reading a registry: ping, catalog and tags
// with pagination, manifests with digest verification, per-platform expansion of an index, and
// blob streams verified against their digest. Authentication, retries and timeouts live here so
// that every caller gets them the same way.
import { pipeline, type Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { isValidDigest, isValidRepository, isValidTag, parseDigest } from '@assay/image-ref';
import { Authenticator, CATALOG_SCOPE, pullScope, type TokenRequest, type TokenResponse } from './auth.ts';
import type { CredentialProvider, RegistryCredentials } from './credentials.ts';
import { DigestVerifier, digestOf } from './digest.ts';
import { DigestMismatchError, parseErrorBody, RegistryError } from './errors.ts';
import { nextLink } from './link.ts';
import { baseMediaType, isImageManifestMediaType, isIndexMediaType, MANIFEST_ACCEPT, manifestMediaType } from './media-types.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isIdempotent,
  isRetryableNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  sleep,
} from './retry.ts';
import { parseWwwAuthenticate } from './www-authenticate.ts';

/** pino-compatible: `(fields, message)`. */
export interface RegistryLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RegistryClientOptions {
  /** `host[:port]`, e.g. `ghcr.io`, `127.0.0.1:5000`; `docker.io` is served by registry-1.docker.io. */
  registry: string;
  /** Plain HTTP instead of HTTPS: an explicit choice, meant for loopback and lab registries. */
  insecure?: boolean;
  /**
   * Where requests go (`http[s]://host[:port]`) when that is not the reference host `registry`:
   * a registry image references name `localhost:30500` (a node port) that Assay reaches at its
   * Service URL. Default: `registry` itself, over HTTPS unless `insecure`.
   */
  baseUrl?: string;
  /** PEM CA bundle trusted for this registry (and its token realm), in addition to nothing else. */
  ca?: string | Buffer;
  credentials?: RegistryCredentials | CredentialProvider;
  /** Per request: until the response headers, and then between body chunks. Default 30 s. */
  timeoutMs?: number;
  /** Further attempts of idempotent requests after network errors, 5xx and 429. Default 3. */
  retries?: number;
  /** Backoff and Retry-After bounds; `retries` above takes precedence. */
  retryPolicy?: Partial<RetryPolicy>;
  userAgent?: string;
  logger?: RegistryLogger;
}

export interface ManifestDescriptor {
  digest: string;
  mediaType: string;
  size: number;
}

export interface FetchedManifest extends ManifestDescriptor {
  /** The exact bytes the digest is computed over. */
  bytes: Buffer;
  json: unknown;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** One runnable image manifest: a platform's entry of an index, or a single image itself. */
export interface PlatformManifest extends ManifestDescriptor {
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface PingResult {
  /** `Docker-Distribution-API-Version`, e.g. `registry/2.0` (OCI registries may omit it). */
  apiVersion: string | undefined;
  /** The auth scheme the registry asked for, if any (`bearer`, `basic`). */
  authScheme: string | undefined;
}

export interface BlobOptions {
  /** Fail (DigestMismatchError) as soon as more bytes than this arrive. */
  maxBytes?: number;
  /** The descriptor's size: fewer or more bytes is a mismatch. */
  expectedSize?: number;
  signal?: AbortSignal;
}

type Headers = Record<string, string | string[] | undefined>;

interface Response {
  status: number;
  headers: Headers;
  body: Dispatcher.ResponseData['body'];
  url: string;
}

interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  scopes: string[];
  repository?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** Thrown inside one attempt when the timeout fired; retried like a network error. */
class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`no response within ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024; // Distribution's own limit for manifests
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: string;
  readonly #insecure: boolean;
  readonly #agent: Agent;
  readonly #auth: Authenticator;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #userAgent: string;
  readonly #logger: RegistryLogger | undefined;

  constructor(opts: RegistryClientOptions) {
    if (!opts.registry || /[/\s]/.test(opts.registry)) throw new Error(`registry must be host[:port], got ${JSON.stringify(opts.registry)}`);
    this.registry = opts.registry;
    this.#insecure = opts.insecure ?? false;
    // Docker Hub's API is not served at docker.io itself.
    const apiHost = opts.registry === 'docker.io' ? 'registry-1.docker.io' : opts.registry;
    this.baseUrl = opts.baseUrl?.replace(/\/+$/, '') ?? `${this.#insecure ? 'http' : 'https'}://${apiHost}`;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...opts.retryPolicy, ...(opts.retries !== undefined ? { retries: opts.retries } : {}) };
    this.#userAgent = opts.userAgent ?? 'assay-registry-client/0.1';
    this.#logger = opts.logger;
    this.#agent = new Agent({
      connect: { timeout: this.#timeoutMs, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) },
      keepAliveTimeout: 10_000,
    });
    this.#auth = new Authenticator(opts.registry, opts.credentials, (req) => this.#fetchToken(req));
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  // ---- API ---------------------------------------------------------------------------------

  /** GET /v2/: reachable, speaks the v2 API, and (with credentials) lets us in. */
  async ping(opts: { signal?: AbortSignal } = {}): Promise<PingResult> {
    const url = `${this.baseUrl}/v2/`;
    const res = await this.#send({ method: 'GET', url, scopes: [], ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.status !== 200) throw await this.#error(res, 'GET', undefined, 'ping failed');
    await res.body.dump();
    const apiVersion = header(res.headers, 'docker-distribution-api-version');
    if (apiVersion !== undefined && !apiVersion.split(/\s+/).includes('registry/2.0')) {
      throw new RegistryError(`unsupported API version "${apiVersion}" (want registry/2.0)`, { registry: this.registry, status: res.status });
    }
    return { apiVersion, authScheme: this.#auth.scheme };
  }

  /** Every repository name (`_catalog`), page by page. */
  async *catalog(opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<string> {
    let url: string | undefined = `${this.baseUrl}/v2/_catalog${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    while (url) {
      const res = await this.#send({ method: 'GET', url, scopes: [CATALOG_SCOPE], ...(opts.signal ? { signal: opts.signal } : {}) });
      if (res.status !== 200) throw await this.#error(res, 'GET', undefined, 'catalog failed');
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
      const res = await this.#send({ method: 'GET', url, scopes: [pullScope(repository)], repository, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (res.status !== 200) throw await this.#error(res, 'GET', repository, 'listing tags failed');
      const page = (await readJson(res, MAX_MANIFEST_BYTES)) as { tags?: string[] | null };
      for (const t of page.tags ?? []) yield t;
      url = nextLink(res.headers.link, res.url);
    }
  }

  /** The manifest's descriptor without its body; undefined when the registry has no such manifest. */
  async headManifest(repository: string, reference: string, opts: { signal?: AbortSignal } = {}): Promise<ManifestDescriptor | undefined> {
    this.#checkRepository(repository);
    this.#checkReference(reference);
    const url = `${this.baseUrl}/v2/${repository}/manifests/${reference}`;
    const res = await this.#send({ method: 'HEAD', url, scopes: [pullScope(repository)], repository, accept: MANIFEST_ACCEPT, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.status === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.status !== 200) throw await this.#error(res, 'HEAD', repository, `HEAD manifest ${reference} failed`);
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
  async getManifest(repository: string, reference: string, opts: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<FetchedManifest> {
    this.#checkRepository(repository);
    this.#checkReference(reference);
    const url = `${this.baseUrl}/v2/${repository}/manifests/${reference}`;
    const res = await this.#send({ method: 'GET', url, scopes: [pullScope(repository)], repository, accept: MANIFEST_ACCEPT, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.status !== 200) throw await this.#error(res, 'GET', repository, `manifest ${reference} failed`);
    const limit = opts.maxBytes ?? MAX_MANIFEST_BYTES;
    const bytes = await readBounded(res.body, limit, `manifest ${reference}`).catch((err: unknown) => {
      throw new RegistryError(`manifest ${reference} is larger than ${limit} bytes or could not be read`, { registry: this.registry, repository, cause: err });
    });
    const byDigest = isValidDigest(reference);
    const answered = header(res.headers, 'docker-content-digest');
    const algorithm = byDigest ? parseDigest(reference).algorithm : answered && isValidDigest(answered) ? parseDigest(answered).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (byDigest && digest !== reference) {
      throw new DigestMismatchError(`manifest ${repository}@${reference}: content has digest ${digest}`, reference, digest);
    }
    if (answered !== undefined && answered !== digest) {
      throw new DigestMismatchError(`manifest ${repository}:${reference}: registry says ${answered}, content has ${digest}`, answered, digest);
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
        if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
        if (m.platform?.os === 'unknown' && m.platform.architecture === 'unknown') continue;
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
      const bytes = await this.blobBuffer(repository, config.digest, { maxBytes: 8 * 1024 * 1024, expectedSize: config.size, ...(opts.signal ? { signal: opts.signal } : {}) });
      const c = JSON.parse(bytes.toString('utf8')) as Partial<Platform>;
      if (c.architecture && c.os) {
        self.platform = { architecture: c.architecture, os: c.os, ...(c.variant ? { variant: c.variant } : {}), ...(c['os.version'] ? { 'os.version': c['os.version'] } : {}) };
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
    if (!isValidDigest(digest)) throw new RegistryError(`invalid blob digest ${JSON.stringify(digest)}`, { registry: this.registry, repository });
    const url = `${this.baseUrl}/v2/${repository}/blobs/${digest}`;
    const res = await this.#send({ method: 'GET', url, scopes: [pullScope(repository)], repository, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.status !== 200) throw await this.#error(res, 'GET', repository, `blob ${digest} failed`);
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

  // ---- HTTP --------------------------------------------------------------------------------

  #checkRepository(repository: string): void {
    if (!isValidRepository(repository)) throw new RegistryError(`invalid repository name ${JSON.stringify(repository)}`, { registry: this.registry });
  }

  #checkReference(reference: string): void {
    if (!isValidTag(reference) && !isValidDigest(reference)) {
      throw new RegistryError(`invalid manifest reference ${JSON.stringify(reference)} (want a tag or a digest)`, { registry: this.registry });
    }
  }

  /** One request with authentication, retries and timeouts; the caller handles the status. */
  async #send(spec: RequestSpec): Promise<Response> {
    return this.#withRetries(spec, () => this.#authorized(spec));
  }

  async #withRetries(spec: RequestSpec, attemptOnce: () => Promise<Response>): Promise<Response> {
    const retryable = isIdempotent(spec.method);
    for (let attempt = 0; ; attempt++) {
      const canRetry = retryable && attempt < this.#retry.retries;
      let res: Response;
      try {
        res = await attemptOnce();
      } catch (err) {
        if (err instanceof RegistryError || err instanceof DigestMismatchError) throw err;
        const transient = err instanceof AttemptTimeout || isRetryableNetworkError(err);
        if (spec.signal?.aborted || !transient || !canRetry) throw this.#networkError(spec, err);
        const delay = backoffDelay(attempt + 1, this.#retry);
        this.#logger?.debug({ registry: this.registry, url: spec.url, attempt: attempt + 1, delay, err: String(err) }, 'registry request failed; retrying');
        await sleep(delay, spec.signal);
        continue;
      }
      if (!isRetryableStatus(res.status) || !canRetry) return res;
      // 429 and 503 may say when to come back; otherwise back off.
      const retryAfter = parseRetryAfter(res.headers['retry-after'], this.#retry.maxRetryAfterMs);
      const delay = retryAfter ?? backoffDelay(attempt + 1, this.#retry);
      await res.body.dump();
      this.#logger?.debug({ registry: this.registry, url: spec.url, status: res.status, attempt: attempt + 1, delay }, 'registry answered with a retryable status; retrying');
      await sleep(delay, spec.signal);
    }
  }

  /** Sends with what we know of the auth scheme; on 401 learns the challenge and retries once. */
  async #authorized(spec: RequestSpec): Promise<Response> {
    const sent = await this.#auth.authorization(spec.scopes);
    const res = await this.#raw(spec, sent);
    if (res.status !== 401) return res;
    const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
    const scopes = await this.#auth.learn(challenges, spec.scopes, sent);
    if (!scopes) return res; // the caller reports the 401 with the registry's error body
    await res.body.dump();
    const retried = await this.#auth.authorization(scopes);
    if (retried === undefined) {
      throw new RegistryError('authentication required and no credentials configured', {
        registry: this.registry,
        status: 401,
        method: spec.method,
        url: spec.url,
        errors: [{ code: 'UNAUTHORIZED' }],
        ...(spec.repository ? { repository: spec.repository } : {}),
      });
    }
    return this.#raw(spec, retried);
  }

  /** One HTTP exchange (following redirects), bounded by the timeout until the headers arrive. */
  async #raw(spec: RequestSpec, authorization: string | undefined, body?: string): Promise<Response> {
    let url = spec.url;
    let auth = authorization;
    const origin = new URL(spec.url).origin;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.#userAgent };
      if (spec.accept) headers.accept = spec.accept;
      if (auth) headers.authorization = auth;
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const timer = new AbortController();
      const t = setTimeout(() => timer.abort(new AttemptTimeout(this.#timeoutMs)), this.#timeoutMs);
      const signal = spec.signal ? AbortSignal.any([spec.signal, timer.signal]) : timer.signal;
      let data: Dispatcher.ResponseData;
      try {
        data = await request(url, {
          method: spec.method,
          headers,
          dispatcher: this.#agent,
          signal,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
          ...(body !== undefined ? { body } : {}),
        });
      } catch (err) {
        if (timer.signal.aborted && !spec.signal?.aborted) throw new AttemptTimeout(this.#timeoutMs);
        throw err;
      } finally {
        clearTimeout(t);
      }
      const location = header(data.headers as Headers, 'location');
      if ([301, 302, 303, 307, 308].includes(data.statusCode) && location && hop < MAX_REDIRECTS) {
        await data.body.dump();
        const next = new URL(location, url);
        // Blob storage (S3, a CDN) gets a signed URL, never our registry credentials.
        if (next.origin !== origin) auth = undefined;
        url = next.toString();
        continue;
      }
      return { status: data.statusCode, headers: data.headers as Headers, body: data.body, url };
    }
  }

  /** Bearer token from the realm (Docker token spec; OAuth2 refresh-token grant for identity tokens). */
  async #fetchToken(req: TokenRequest): Promise<TokenResponse> {
    const realm = new URL(req.realm);
    const creds = req.credentials;
    const secureRealm = realm.protocol === 'https:' || this.#insecure || isLoopbackHost(realm.host);
    if ((creds?.username || creds?.identityToken) && !secureRealm) {
      throw new RegistryError(`refusing to send credentials to plain-HTTP token realm ${req.realm}`, { registry: this.registry });
    }
    let res: Response;
    const spec: RequestSpec = { method: 'GET', url: '', scopes: [] };
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'assay', ...(req.service ? { service: req.service } : {}) });
      if (req.scopes.length > 0) form.set('scope', req.scopes.join(' '));
      const post: RequestSpec = { method: 'POST', url: realm.toString(), scopes: [] };
      res = await this.#withRetries(post, () => this.#raw(post, undefined, form.toString()));
    } else {
      if (req.service) realm.searchParams.set('service', req.service);
      for (const s of req.scopes) realm.searchParams.append('scope', s);
      spec.url = realm.toString();
      const basic = creds?.username && creds.password !== undefined ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
      res = await this.#withRetries(spec, () => this.#raw(spec, basic));
    }
    if (res.status !== 200) {
      const text = await readText(res.body);
      const errors = parseErrorBody(text);
      throw new RegistryError(`token endpoint ${req.realm} refused the request for ${req.scopes.join(' ') || 'no scope'}`, {
        registry: this.registry,
        status: res.status,
        errors: errors.length > 0 ? errors : [{ code: res.status === 401 ? 'UNAUTHORIZED' : res.status === 403 ? 'DENIED' : 'TOKEN_ERROR' }],
      });
    }
    const json = (await readJson(res, 1024 * 1024)) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    const token = json.token || json.access_token;
    if (!token) throw new RegistryError(`token endpoint ${req.realm} answered without a token`, { registry: this.registry });
    const issuedAt = json.issued_at ? Date.parse(json.issued_at) : NaN;
    return {
      token,
      ...(typeof json.expires_in === 'number' ? { expiresIn: json.expires_in } : {}),
      ...(Number.isFinite(issuedAt) ? { issuedAt } : {}),
    };
  }

  async #error(res: Response, method: string, repository: string | undefined, summary: string): Promise<RegistryError> {
    const text = method === 'HEAD' ? '' : await readText(res.body).catch(() => '');
    if (method === 'HEAD') await res.body.dump().catch(() => {});
    let errors = parseErrorBody(text);
    // HEAD has no body: name the usual code so callers can still branch on it.
    if (errors.length === 0) {
      const byStatus: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'DENIED', 429: 'TOOMANYREQUESTS' };
      const code = byStatus[res.status];
      if (code) errors = [{ code }];
    }
    return new RegistryError(summary, { registry: this.registry, status: res.status, method, url: res.url, errors, ...(repository ? { repository } : {}) });
  }

  #networkError(spec: RequestSpec, err: unknown): RegistryError {
    const timedOut = err instanceof AttemptTimeout;
    const what = timedOut ? `no response within ${this.#timeoutMs} ms` : `request failed: ${err instanceof Error ? err.message : String(err)}`;
    return new RegistryError(what, {
      registry: this.registry,
      method: spec.method,
      url: spec.url,
      timedOut,
      cause: err,
      ...(spec.repository ? { repository: spec.repository } : {}),
    });
  }
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBounded(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of body) {
    total += (c as Buffer).length;
    if (total > maxBytes) {
      body.destroy();
      throw new Error(`${what}: more than ${maxBytes} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readText(body: Readable): Promise<string> {
  return (await readBounded(body, MAX_ERROR_BODY_BYTES, 'error body').catch(() => Buffer.alloc(0))).toString('utf8');
}

async function readJson(res: Response, maxBytes: number): Promise<unknown> {
  const bytes = await readBounded(res.body, maxBytes, res.url);
  return JSON.parse(bytes.toString('utf8'));
}
