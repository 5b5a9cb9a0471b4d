// Bearer tokens cached per (realm, service, scope) until shortly before they expire, so a second
// pull of a repository costs no token round trip; concurrent requests for one scope share one fetch.

export interface CachedToken {
  token: string;
  /** Epoch milliseconds after which the token is not used any more. */
  expiresAt: number;
}

/** Token servers may omit `expires_in`; the Docker token spec says to assume 60 seconds. */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Renew this long before expiry: clock skew and the time the request itself takes. */
export function expiryMargin(lifetimeMs: number): number {
  return Math.min(30_000, Math.max(1_000, lifetimeMs * 0.1));
}

export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  static key(realm: string, service: string | undefined, scopes: readonly string[]): string {
    return `${realm}\u0000${service ?? ''}\u0000${[...scopes].sort().join(' ')}`;
  }

  get(key: string): string | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (this.#now() >= e.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.token;
  }

  set(key: string, token: string, expiresInSeconds: number | undefined, issuedAtMs?: number): void {
    const lifetimeMs = (expiresInSeconds && expiresInSeconds > 0 ? expiresInSeconds : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    const start = issuedAtMs !== undefined && issuedAtMs <= this.#now() ? issuedAtMs : this.#now();
    this.#entries.set(key, { token, expiresAt: start + lifetimeMs - expiryMargin(lifetimeMs) });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** The cached token, or the result of `fetch` (shared with concurrent callers for the same key). */
  async getOrFetch(key: string, fetch: () => Promise<{ token: string; expiresIn?: number; issuedAt?: number }>): Promise<string> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const p = (async () => {
      try {
        const t = await fetch();
        this.set(key, t.token, t.expiresIn, t.issuedAt);
        return t.token;
      } finally {
        this.#inflight.delete(key);
      }
    })();
    this.#inflight.set(key, p);
    return p;
  }
}
