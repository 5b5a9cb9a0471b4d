// What a RegistryClient is told (where the registry is, how to trust and authenticate to it,
// how long to wait, how often to retry) and the descriptors its answers are made of.
import type { CredentialProvider, RegistryCredentials } from './credentials.ts';
import type { RetryPolicy } from './retry.ts';

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
