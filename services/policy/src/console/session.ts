// Console sessions: a signed cookie, no server-side table. The cookie names the user, the token
// they signed in with (its id, never the token), a random nonce and an expiry, under an HMAC
// keyed by ApiTokens.sessionKey(). So every replica accepts it, a restart keeps it, and removing
// the token (or changing the token set) ends it at once. The CSRF token of a session is an HMAC
// of its nonce: a form carries it, and a cross-site page can neither read nor compute it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'assay_session';
/** How long a session lasts from sign-in (a working day). */
export const SESSION_TTL_MS = 8 * 3600 * 1000;

export interface Session {
  user: string;
  tokenId: string;
  nonce: string;
  expiresAt: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function mac(key: Buffer, what: string): Buffer {
  return createHmac('sha256', key).update(what).digest();
}

/** A new session's cookie value. */
export function issueSession(key: Buffer, user: string, tokenId: string, now: number): { value: string; session: Session } {
  const session: Session = { user, tokenId, nonce: randomBytes(16).toString('base64url'), expiresAt: now + SESSION_TTL_MS };
  const body = b64(JSON.stringify([session.user, session.tokenId, session.nonce, session.expiresAt]));
  return { value: `${body}.${b64(mac(key, `s:${body}`))}`, session };
}

/** The session a cookie value holds, if its signature is right and it has not expired. */
export function readSession(key: Buffer, value: string | undefined, now: number): Session | undefined {
  if (!value || value.length > 1024) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const body = value.slice(0, dot);
  const sig = Buffer.from(value.slice(dot + 1), 'base64url');
  const want = mac(key, `s:${body}`);
  if (sig.length !== want.length || !timingSafeEqual(sig, want)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) return undefined;
  const [user, tokenId, nonce, expiresAt] = parsed as [unknown, unknown, unknown, unknown];
  if (typeof user !== 'string' || typeof tokenId !== 'string' || typeof nonce !== 'string' || typeof expiresAt !== 'number')
    return undefined;
  if (expiresAt <= now) return undefined;
  return { user, tokenId, nonce, expiresAt };
}

/** The CSRF token of a session: what its forms carry in `_csrf`. */
export function csrfToken(key: Buffer, s: Session): string {
  return b64(mac(key, `c:${s.nonce}`));
}

/** Whether a form's `_csrf` is this session's token. */
export function csrfValid(key: Buffer, s: Session, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length > 200) return false;
  const want = Buffer.from(csrfToken(key, s));
  const got = Buffer.from(presented);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The `Set-Cookie` value: HttpOnly, Secure, SameSite=Strict, the console's path only. */
export function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

/** A cookie header's value for `name`. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
