// Who is calling the REST API. One shared token (POLICY_API_TOKEN, recorded as POLICY_API_USER)
// cannot tell people apart, so a token file gives each caller their own token and name, in the
// format of kube-apiserver's static token file: `token,user[,uid[,"group1,group2"]]` per line
// (only token and user are read; `#` comments and blank lines are skipped). Policy versions and
// policy-change audit events then record the caller, not one fixed name.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

interface Entry {
  digest: Buffer;
  user: string;
}

const sha = (s: string) => createHash('sha256').update(s).digest();
const MIN_TOKEN_LENGTH = 16;

/** `token,user,…` lines into entries; errors name the source and line, never the token. */
export function parseTokenFile(text: string, source: string): Array<{ token: string; user: string }> {
  const out: Array<{ token: string; user: string }> = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${source} line ${i + 1}`;
    const [token = '', user = ''] = line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
    if (token.length < MIN_TOKEN_LENGTH) throw new TokenFileError(`${where}: the token must be at least ${MIN_TOKEN_LENGTH} characters`);
    if (/\s/.test(token)) throw new TokenFileError(`${where}: the token must not contain spaces`);
    if (user === '') throw new TokenFileError(`${where}: a user name must follow the token (token,user)`);
    const key = sha(token).toString('hex');
    if (seen.has(key)) throw new TokenFileError(`${where}: this token is already given to another line`);
    seen.add(key);
    out.push({ token, user });
  }
  return out;
}

export class ApiTokens {
  readonly #entries: Entry[];
  #sessionKey: Buffer | undefined;

  constructor(tokens: ReadonlyArray<{ token: string; user: string }>) {
    this.#entries = tokens.map((t) => ({ digest: sha(t.token), user: t.user }));
  }

  /** From the shared token and/or a token file; no tokens at all means every call is refused. */
  static async load(opts: { token?: string | undefined; user: string; file?: string | undefined }): Promise<ApiTokens> {
    const tokens: Array<{ token: string; user: string }> = [];
    if (opts.token) tokens.push({ token: opts.token, user: opts.user });
    if (opts.file) {
      let text: string;
      try {
        text = await readFile(opts.file, 'utf8');
      } catch (err) {
        throw new TokenFileError(
          `POLICY_API_TOKENS_FILE ${opts.file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
      tokens.push(...parseTokenFile(text, `POLICY_API_TOKENS_FILE ${opts.file}`));
    }
    return new ApiTokens(tokens);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The user whose token an `Authorization: Bearer …` header carries; undefined when none does. */
  userFor(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m) return undefined;
    return this.identify(m[1]!)?.user;
  }

  /**
   * The user of a presented token and the token's id (a prefix of its digest, never the token):
   * the console's sign-in, whose session names the token it was opened with.
   */
  identify(token: string): { user: string; tokenId: string } | undefined {
    const presented = sha(token);
    // Every entry is compared (no early exit), so timing does not tell which line matched.
    let found: Entry | undefined;
    for (const e of this.#entries) if (timingSafeEqual(presented, e.digest) && found === undefined) found = e;
    return found ? { user: found.user, tokenId: tokenIdOf(found.digest) } : undefined;
  }

  /** Whether a token with this id is still accepted, for this user (a console session's check). */
  holds(tokenId: string, user: string): boolean {
    return this.#entries.some((e) => e.user === user && tokenIdOf(e.digest) === tokenId);
  }

  /**
   * The key console sessions are signed with, derived from every token: replicas with the same
   * tokens agree on it (and restarts keep sessions), nobody holding fewer than all tokens can
   * compute it, and changing the tokens ends every session.
   */
  sessionKey(): Buffer {
    // Tokens never change in an instance: derived once, not on every console request.
    if (!this.#sessionKey) {
      const h = createHmac('sha256', 'assay-console-session-v1');
      for (const e of this.#entries) h.update(e.digest).update(e.user).update('\0');
      this.#sessionKey = h.digest();
    }
    return this.#sessionKey;
  }
}

const tokenIdOf = (digest: Buffer) => digest.subarray(0, 8).toString('hex');
