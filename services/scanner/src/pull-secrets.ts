// A running workload's image pull secrets as registry credentials for one scan
// (SCANNER_KUBE_PULL_SECRETS). The registry-watcher announces a cluster digest with the
// REFERENCES of a running pod's `imagePullSecrets`; only here, and only when enabled (the
// scanner then needs `get` on secrets), is a Secret read: `kubernetes.io/dockerconfigjson`
// (`.dockerconfigjson`) or legacy `kubernetes.io/dockercfg` (`.dockercfg`), its `auths` matched
// to the image's registry host as the kubelet does (exact key, `https://host`, `index.docker.io`
// for docker.io: @assay/registry-client's credentials.ts).
//
// A secret's content never leaves this module but as credentials handed to a registry client:
// what is cached is the parsed docker config, what is reported (a warning) or logged is the
// secret's reference and why it was not used — missing, forbidden, malformed, or no entry for
// the registry — never a value. Parsed secrets are cached briefly (a burst of scans of one
// workload's images reads each secret once), failures too, for a shorter while.
import { isObject, TtlLru } from '@assay/kit';
import { KubeApiError, type KubeClient, type ResourceRef } from '@assay/kube';
import { credentialsFromDockerConfig, dockerConfigFromSecret, type RegistryCredentials } from '@assay/registry-client';
import type { Logger } from '@assay/telemetry';

export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };

/** A Secret by reference: where it is, never what it holds. */
export interface PullSecretRef {
  namespace: string;
  name: string;
}

/** Credentials for one scan, or none, and the warnings for the report (references only). */
export interface PullSecretResolution {
  credentials?: RegistryCredentials;
  /** The secret the credentials came from, `namespace/name`. */
  from?: string;
  warnings: string[];
}

export interface PullSecretCredentialsOptions {
  client: KubeClient;
  logger: Logger;
  /** How long a parsed secret is used before it is read again (rotations are picked up after it). */
  ttlMs: number;
  /** Secrets kept parsed at most. */
  maxEntries?: number;
  /** Secrets looked at per scan at most (a pod names a handful). */
  maxPerScan?: number;
}

/** A parsed secret, or why it cannot be used (a message naming no value). */
type Loaded = { config: object } | { problem: string };

const TYPES = new Set(['kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg']);
/** Failures are retried sooner than a parsed secret is re-read: a secret just created is found. */
const FAILURE_TTL_MS = 30_000;

const refText = (r: PullSecretRef) => `${r.namespace}/${r.name}`;

export class PullSecretCredentials {
  readonly #o: PullSecretCredentialsOptions;
  readonly #cache: TtlLru<Loaded>;
  readonly #loading = new Map<string, Promise<Loaded>>();
  /** Secrets read from the API (not answered by the cache): tests and metrics. */
  reads = 0;

  constructor(opts: PullSecretCredentialsOptions) {
    this.#o = opts;
    this.#cache = new TtlLru<Loaded>(opts.maxEntries ?? 1000);
  }

  /**
   * Credentials for `registry` from the first of `refs` holding an entry for it; when none does,
   * no credentials and one warning per secret saying why (the scan falls back to the configured
   * registry credentials).
   */
  async resolve(registry: string, refs: readonly PullSecretRef[]): Promise<PullSecretResolution> {
    const warnings: string[] = [];
    for (const ref of refs.slice(0, this.#o.maxPerScan ?? 8)) {
      const loaded = await this.#load(ref);
      let problem: string;
      if ('config' in loaded) {
        try {
          const credentials = credentialsFromDockerConfig(loaded.config, registry);
          if (credentials) return { credentials, from: refText(ref), warnings: [] };
          problem = `has no entry for registry ${registry}`;
        } catch (err) {
          problem = `cannot be used: ${(err as Error).message}`;
        }
      } else problem = loaded.problem;
      warnings.push(`image pull secret ${refText(ref)} ${problem}; pulled with the configured registry credentials`);
    }
    if (warnings.length > 0) this.#o.logger.warn({ registry, warnings }, 'image pull secrets not used');
    return { warnings };
  }

  #load(ref: PullSecretRef): Promise<Loaded> {
    const key = refText(ref);
    const cached = this.#cache.get(key);
    if (cached) return Promise.resolve(cached.value);
    const inFlight = this.#loading.get(key);
    if (inFlight) return inFlight;
    const p = this.#read(ref)
      .then((loaded) => {
        this.#cache.set(key, loaded, 'config' in loaded ? this.#o.ttlMs : Math.min(this.#o.ttlMs, FAILURE_TTL_MS));
        return loaded;
      })
      .finally(() => this.#loading.delete(key));
    this.#loading.set(key, p);
    return p;
  }

  async #read(ref: PullSecretRef): Promise<Loaded> {
    this.reads += 1;
    let secret;
    try {
      secret = await this.#o.client.get(SECRETS, ref.name, ref.namespace);
    } catch (err) {
      // The API's message (a Status) names the secret and the refusal, never its data.
      if (err instanceof KubeApiError && (err.status === 403 || err.status === 401)) return { problem: `is not readable (${err.status})` };
      return { problem: `could not be read: ${(err as Error).message}` };
    }
    if (!secret) return { problem: 'was not found' };
    const type = typeof secret.type === 'string' ? secret.type : '';
    if (!TYPES.has(type)) return { problem: `is of type ${JSON.stringify(type.slice(0, 100))}, not an image pull secret` };
    try {
      const data = isObject(secret.data) ? (secret.data as Record<string, string>) : undefined;
      return {
        config: dockerConfigFromSecret({ type, metadata: { name: ref.name, namespace: ref.namespace }, ...(data ? { data } : {}) }),
      };
    } catch (err) {
      // dockerConfigFromSecret's own message names the secret and the key; its cause (JSON.parse's,
      // which quotes the text) is dropped.
      return { problem: `cannot be used: ${(err as Error).message}` };
    }
  }
}
