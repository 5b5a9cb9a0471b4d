// One RegistryClient per registry host: configured ones (a registry list: credentials, CA,
// insecure), others anonymous — HTTPS, or plain HTTP for a loopback host.
import { RegistryClient } from './client.ts';
import type { RegistryLogger } from './client-options.ts';
import { isLoopbackHost } from './transport.ts';
import type { RegistrySpec } from './registry-config.ts';

export interface RegistryClientsOptions {
  timeoutMs: number;
  logger?: RegistryLogger;
  /** Retries of idempotent requests (network errors, 5xx). Default 2. */
  retries?: number;
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
    if (c) return c;
    const spec = this.#specs.get(key);
    c = new RegistryClient({
      registry: key,
      insecure: spec ? spec.insecure : isLoopbackHost(key),
      // A configured registry is reached at its URL, which may differ from the reference host.
      ...(spec ? { baseUrl: spec.baseUrl } : {}),
      ...(spec?.ca !== undefined ? { ca: spec.ca } : {}),
      ...(spec?.credentials ? { credentials: spec.credentials } : {}),
      timeoutMs: this.#opts.timeoutMs,
      retries: this.#opts.retries ?? 2,
      ...(this.#opts.logger ? { logger: this.#opts.logger } : {}),
    });
    this.#clients.set(key, c);
    return c;
  }

  async close(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(all.map((c) => c.close()));
  }
}
