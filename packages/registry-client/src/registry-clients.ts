// One RegistryClient per registry host: configured ones (a registry list: credentials, CA,
// insecure), others anonymous — HTTPS, or plain HTTP for a loopback host.
import { RegistryClient } from './client.ts';
import type { RegistryClientOptions, RegistryLogger } from './client-options.ts';
import type { RegistryCredentials } from './credentials.ts';
import { isLoopbackHost } from './transport.ts';
import type { RegistrySpec } from './registry-config.ts';

export interface RegistryClientsOptions {
  timeoutMs: number;
  logger?: RegistryLogger;
  /** Retries of idempotent requests (network errors, 5xx). Default 2. */
  retries?: number;
  /**
   * Clients (each with its connection pool) kept at most; the least recently used beyond it is
   * closed once its requests finish. For callers naming hosts they do not choose (admission: any
   * registry a pod names), so a stream of new hosts cannot pile up pools. Default: no bound.
   */
  maxClients?: number;
}

export class RegistryClients {
  readonly #specs: Map<string, RegistrySpec>;
  readonly #clients = new Map<string, RegistryClient>();
  readonly #opts: RegistryClientsOptions;

  constructor(specs: readonly RegistrySpec[], opts: RegistryClientsOptions) {
    this.#specs = new Map(specs.map((s) => [s.host.toLowerCase(), s]));
    this.#opts = opts;
  }

  clientFor(host: string): RegistryClient {
    const key = host.toLowerCase();
    let c = this.#clients.get(key);
    if (c) {
      if (this.#opts.maxClients !== undefined) {
        // Most recently used last: the first entry is the one to close.
        this.#clients.delete(key);
        this.#clients.set(key, c);
      }
      return c;
    }
    c = new RegistryClient(this.#options(key));
    this.#clients.set(key, c);
    const max = this.#opts.maxClients;
    if (max !== undefined && this.#clients.size > max) {
      const [oldestKey, oldest] = this.#clients.entries().next().value!;
      this.#clients.delete(oldestKey);
      // Graceful: requests it is serving finish first.
      void oldest.close().catch(() => {});
    }
    return c;
  }

  /** Clients held now (one per registry host used). */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * A client of the caller's own for `host` — its configured URL and TLS, but these credentials
   * (a workload's pull secret, for one scan): neither shared nor kept, so the caller closes it.
   */
  clientWith(host: string, credentials: RegistryCredentials): RegistryClient {
    return new RegistryClient({ ...this.#options(host.toLowerCase()), credentials });
  }

  #options(key: string): RegistryClientOptions {
    const spec = this.#specs.get(key);
    return {
      ...(spec ? { ...registrySpecOptions(spec), registry: key } : { registry: key, insecure: isLoopbackHost(key) }),
      timeoutMs: this.#opts.timeoutMs,
      retries: this.#opts.retries ?? 2,
      ...(this.#opts.logger ? { logger: this.#opts.logger } : {}),
    };
  }

  async close(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(all.map((c) => c.close()));
  }
}
/**
 * How a configured registry is reached: references name `spec.host`; requests go to its URL
 * (they differ behind a node port), with its TLS settings and credentials.
 */
export function registrySpecOptions(
  spec: RegistrySpec,
): Pick<RegistryClientOptions, 'registry' | 'baseUrl' | 'insecure' | 'ca' | 'credentials'> {
  return {
    registry: spec.host,
    baseUrl: spec.baseUrl,
    insecure: spec.insecure,
    ...(spec.ca !== undefined ? { ca: spec.ca } : {}),
    ...(spec.credentials ? { credentials: spec.credentials } : {}),
  };
}
