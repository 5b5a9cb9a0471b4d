// Registry authentication: what the registry asked for (its WWW-Authenticate challenge), and the
// Authorization header that answers it: Basic from credentials, or a Bearer token from the
// challenge's realm for the scopes a request needs (Docker token spec), cached per scope.
import type { CredentialProvider, RegistryCredentials } from './credentials.ts';
import { TokenCache } from './token-cache.ts';
import type { AuthChallenge } from './www-authenticate.ts';

export interface TokenRequest {
  realm: string;
  service: string | undefined;
  scopes: string[];
  credentials: RegistryCredentials | undefined;
}

export interface TokenResponse {
  token: string;
  expiresIn?: number;
  issuedAt?: number;
}

export type TokenFetcher = (req: TokenRequest) => Promise<TokenResponse>;

/** `repository:NAME:pull`: the scope a read of one repository needs. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export const CATALOG_SCOPE = 'registry:catalog:*';

export class Authenticator {
  readonly #registry: string;
  readonly #credentials: RegistryCredentials | CredentialProvider | undefined;
  readonly #fetchToken: TokenFetcher;
  readonly #tokens: TokenCache;
  /** The scheme the registry asked for; learned from the first 401, then answered up front. */
  #challenge: AuthChallenge | undefined;

  constructor(
    registry: string,
    credentials: RegistryCredentials | CredentialProvider | undefined,
    fetchToken: TokenFetcher,
    now?: () => number,
  ) {
    this.#registry = registry;
    this.#credentials = credentials;
    this.#fetchToken = fetchToken;
    this.#tokens = new TokenCache(now);
  }

  get scheme(): string | undefined {
    return this.#challenge?.scheme;
  }

  async credentials(): Promise<RegistryCredentials | undefined> {
    const c = this.#credentials;
    return typeof c === 'function' ? await c(this.#registry) : c;
  }

  /**
   * Takes in a 401's challenges. Returns the scopes to retry with, or undefined when a retry
   * cannot succeed (no challenge we speak, or nothing to answer a Basic challenge with).
   */
  async learn(challenges: AuthChallenge[], scopes: readonly string[], sent: string | undefined): Promise<string[] | undefined> {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    const basic = challenges.find((c) => c.scheme === 'basic');
    const chosen = bearer ?? basic;
    if (!chosen) return undefined;
    const all = [...scopes];
    const asked = chosen.params.scope;
    if (asked) for (const s of asked.split(' ')) if (s && !all.includes(s)) all.push(s);
    if (chosen.scheme === 'basic') {
      const creds = await this.credentials();
      const wasBasic = sent?.startsWith('Basic ');
      this.#challenge = chosen;
      // Sending the same credentials again would get the same answer.
      if (!creds?.username || creds.password === undefined || wasBasic) return undefined;
      return all;
    }
    // A token we sent was refused (expired early, revoked, or narrower than needed): forget it.
    const previous = this.#challenge;
    if (sent?.startsWith('Bearer ') && previous?.scheme === 'bearer') {
      this.#tokens.delete(this.#key(previous, scopes));
      this.#tokens.delete(this.#key(previous, all));
    }
    this.#challenge = chosen;
    return all;
  }

  /** The Authorization header for a request needing `scopes`, once the scheme is known. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    const ch = this.#challenge;
    if (!ch) return undefined;
    const creds = await this.credentials();
    if (ch.scheme === 'basic') {
      if (!creds?.username || creds.password === undefined) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const realm = ch.params.realm as string;
    const service = ch.params.service;
    const token = await this.#tokens.getOrFetch(this.#key(ch, scopes), () =>
      this.#fetchToken({ realm, service, scopes: [...scopes], credentials: creds }),
    );
    return `Bearer ${token}`;
  }

  #key(ch: AuthChallenge, scopes: readonly string[]): string {
    return TokenCache.key(ch.params.realm ?? '', ch.params.service, scopes);
  }
}
