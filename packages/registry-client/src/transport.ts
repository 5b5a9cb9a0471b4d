// One HTTP exchange with a registry, done the same way for every call: authentication (learned
// from the 401 challenge; bearer tokens fetched from the challenge's realm), retries of
// idempotent requests with backoff and the registry's Retry-After, a timeout per attempt,
// redirects (credentials never follow to another origin), and RegistryErrors naming what failed.
import { Agent, type Dispatcher, request } from 'undici';
import { sleep } from '@assay/kit';
import { Authenticator, type TokenRequest, type TokenResponse } from './auth.ts';
import type { RegistryLogger } from './client-options.ts';
import type { CredentialProvider, RegistryCredentials } from './credentials.ts';
import { DigestMismatchError, parseErrorBody, RegistryError } from './errors.ts';
import { header, type Headers, readJson, readText } from './http-body.ts';
import { backoffDelay, isIdempotent, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, type RetryPolicy } from './retry.ts';
import { parseWwwAuthenticate } from './www-authenticate.ts';

export interface Response {
  status: number;
  headers: Headers;
  body: Dispatcher.ResponseData['body'];
  url: string;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  scopes: string[];
  repository?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface TransportOptions {
  registry: string;
  insecure: boolean;
  ca?: string | Buffer | undefined;
  credentials?: RegistryCredentials | CredentialProvider | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
  logger?: RegistryLogger | undefined;
}

/** Thrown inside one attempt when the timeout fired; retried like a network error. */
class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`no response within ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

const MAX_REDIRECTS = 5;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export class RegistryTransport {
  readonly registry: string;
  readonly #insecure: boolean;
  readonly #agent: Agent;
  readonly #auth: Authenticator;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #userAgent: string;
  readonly #logger: RegistryLogger | undefined;

  constructor(opts: TransportOptions) {
    this.registry = opts.registry;
    this.#insecure = opts.insecure;
    this.#timeoutMs = opts.timeoutMs;
    this.#retry = opts.retry;
    this.#userAgent = opts.userAgent;
    this.#logger = opts.logger;
    this.#agent = new Agent({
      connect: { timeout: this.#timeoutMs, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) },
      keepAliveTimeout: 10_000,
    });
    this.#auth = new Authenticator(opts.registry, opts.credentials, (req) => this.#fetchToken(req));
  }

  /** The auth scheme the registry asked for, if any (`bearer`, `basic`). */
  get authScheme(): string | undefined {
    return this.#auth.scheme;
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** One request with authentication, retries and timeouts; the caller handles the status. */
  async send(spec: RequestSpec): Promise<Response> {
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
        this.#logger?.debug(
          { registry: this.registry, url: spec.url, attempt: attempt + 1, delay, err: String(err) },
          'registry request failed; retrying',
        );
        await sleep(delay, spec.signal);
        continue;
      }
      if (!isRetryableStatus(res.status) || !canRetry) return res;
      // 429 and 503 may say when to come back; otherwise back off.
      const retryAfter = parseRetryAfter(res.headers['retry-after'], this.#retry.maxRetryAfterMs);
      const delay = retryAfter ?? backoffDelay(attempt + 1, this.#retry);
      await res.body.dump();
      this.#logger?.debug(
        { registry: this.registry, url: spec.url, status: res.status, attempt: attempt + 1, delay },
        'registry answered with a retryable status; retrying',
      );
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
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.identityToken,
        client_id: 'assay',
        ...(req.service ? { service: req.service } : {}),
      });
      if (req.scopes.length > 0) form.set('scope', req.scopes.join(' '));
      const post: RequestSpec = { method: 'POST', url: realm.toString(), scopes: [] };
      res = await this.#withRetries(post, () => this.#raw(post, undefined, form.toString()));
    } else {
      if (req.service) realm.searchParams.set('service', req.service);
      for (const s of req.scopes) realm.searchParams.append('scope', s);
      spec.url = realm.toString();
      const basic =
        creds?.username && creds.password !== undefined
          ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
          : undefined;
      res = await this.#withRetries(spec, () => this.#raw(spec, basic));
    }
    if (res.status !== 200) {
      const text = await readText(res.body);
      const errors = parseErrorBody(text);
      throw new RegistryError(`token endpoint ${req.realm} refused the request for ${req.scopes.join(' ') || 'no scope'}`, {
        registry: this.registry,
        status: res.status,
        errors:
          errors.length > 0 ? errors : [{ code: res.status === 401 ? 'UNAUTHORIZED' : res.status === 403 ? 'DENIED' : 'TOKEN_ERROR' }],
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

  /** The RegistryError for an unexpected answer, with the registry's own error codes. */
  async error(res: Response, method: string, repository: string | undefined, summary: string): Promise<RegistryError> {
    const text = method === 'HEAD' ? '' : await readText(res.body).catch(() => '');
    if (method === 'HEAD') await res.body.dump().catch(() => {});
    let errors = parseErrorBody(text);
    // HEAD has no body: name the usual code so callers can still branch on it.
    if (errors.length === 0) {
      const byStatus: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'DENIED', 429: 'TOOMANYREQUESTS' };
      const code = byStatus[res.status];
      if (code) errors = [{ code }];
    }
    return new RegistryError(summary, {
      registry: this.registry,
      status: res.status,
      method,
      url: res.url,
      errors,
      ...(repository ? { repository } : {}),
    });
  }

  #networkError(spec: RequestSpec, err: unknown): RegistryError {
    const timedOut = err instanceof AttemptTimeout;
    const what = timedOut
      ? `no response within ${this.#timeoutMs} ms`
      : `request failed: ${err instanceof Error ? err.message : String(err)}`;
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
