// The web console, served by the policy service under /console, behind the policy API's tokens:
// a token signs in once and opens a session (session.ts); every page needs the session, every
// POST also its CSRF token and a same-origin Origin. Pages are HTML rendered on the server
// (@assay/console), so every response carries a Content-Security-Policy that allows no inline
// script or style and nothing from another origin.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ASSETS_DIR, CONSOLE_PATH, Html, loginPage, page, type Flash } from '@assay/console';
import type { Logger } from '@assay/telemetry';
import type { ApiTokens } from '../api-tokens.ts';
import type { PolicyApi } from '../routes/context.ts';
import { consoleAreas } from './areas.ts';
import type { ConsoleCall, ConsoleHandler, ConsoleRedirect, FormBody } from './router.ts';
import {
  cookieValue,
  csrfToken,
  csrfValid,
  issueSession,
  readSession,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sessionCookie,
  type Session,
} from './session.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const FLASH_COOKIE = 'assay_flash';
const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface ConsoleOptions {
  api: () => PolicyApi | undefined;
  tokens: ApiTokens;
  logger: Logger;
  clock: () => Date;
}

/** Where a sign-in may send the browser on: a console path, never another site. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith(`${CONSOLE_PATH}/`) && !next.startsWith('//') && !/[\\\r\n]/.test(next)
    ? next
    : `${CONSOLE_PATH}/`;
}

/** A POST from another origin is refused whatever it carries (Origin, else Sec-Fetch-Site). */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
  if (origin === 'null') return false;
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

function flashCookie(key: Buffer, flash: Flash | undefined): string {
  if (!flash) return `${FLASH_COOKIE}=; Path=${CONSOLE_PATH}; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
  const value = Buffer.from(JSON.stringify([flash.kind, flash.text.slice(0, 500)])).toString('base64url');
  return `${FLASH_COOKIE}=${value}; Path=${CONSOLE_PATH}; HttpOnly; Secure; SameSite=Strict; Max-Age=60`;
}

function readFlash(header: string | undefined): Flash | undefined {
  const v = cookieValue(header, FLASH_COOKIE);
  if (!v) return undefined;
  try {
    const [kind, text] = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as [unknown, unknown];
    if ((kind === 'ok' || kind === 'error') && typeof text === 'string') return { kind, text };
  } catch {
    // A mangled flash is just not shown.
  }
  return undefined;
}

function single(q: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (q && typeof q === 'object') {
    for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
      const last = Array.isArray(v) ? v[v.length - 1] : v;
      if (typeof last === 'string') out[k] = last;
    }
  }
  return out;
}

export async function registerConsole(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const assets = new Map<string, Buffer>();
  for (const f of await readdir(ASSETS_DIR)) if (CONTENT_TYPES[extname(f)]) assets.set(f, await readFile(join(ASSETS_DIR, f)));
  const key = () => opts.tokens.sessionKey();
  const sessions = new WeakMap<FastifyRequest, Session>();

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => {
      const form: FormBody = {};
      for (const [k, v] of new URLSearchParams(body as string)) {
        const had = form[k];
        form[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
      }
      done(null, form);
    });

    scope.addHook('onSend', async (req, reply, payload) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      reply.header('x-frame-options', 'DENY');
      reply.header('cross-origin-opener-policy', 'same-origin');
      if (!req.url.startsWith(`${CONSOLE_PATH}/assets/`)) reply.header('cache-control', 'no-store');
      return payload;
    });

    const sendPage = (reply: FastifyReply, body: Html, status = 200) =>
      reply.code(status).type('text/html; charset=utf-8').send(body.value);

    // The session of every page but sign-in and the static files; a POST also needs its CSRF token.
    scope.addHook('preHandler', async (req, reply) => {
      const path = req.url.split('?')[0]!;
      if (path.startsWith(`${CONSOLE_PATH}/assets/`) || path === `${CONSOLE_PATH}/login`) return;
      const now = opts.clock().getTime();
      const s = readSession(key(), cookieValue(req.headers.cookie, SESSION_COOKIE), now);
      const valid = s !== undefined && opts.tokens.holds(s.tokenId, s.user);
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (!valid) return reply.redirect(`${CONSOLE_PATH}/login?next=${encodeURIComponent(req.url)}`, 303);
      } else {
        if (!valid) return sendPage(reply, loginPage({ error: 'Your session has ended: sign in again.' }), 401);
        const presented = (req.body as FormBody | undefined)?._csrf;
        if (!sameOrigin(req) || !csrfValid(key(), s, Array.isArray(presented) ? presented[0] : presented)) {
          opts.logger.warn({ path, user: s.user }, 'console form refused: CSRF token or origin does not match');
          return sendPage(
            reply,
            page({
              title: 'Refused',
              body: new Html(
                '<p>This form was refused: it did not come from this console page (CSRF check). Reload the page and try again.</p>',
              ),
            }),
            403,
          );
        }
      }
      sessions.set(req, s!);
    });

    scope.get(`${CONSOLE_PATH}/assets/:file`, async (req, reply) => {
      const { file } = req.params as { file: string };
      const body = assets.get(file);
      if (!body) return reply.code(404).type('text/plain').send('not found');
      return reply.type(CONTENT_TYPES[extname(file)]!).header('cache-control', 'public, max-age=3600').send(body);
    });

    scope.get('/', async (_req, reply) => reply.redirect(`${CONSOLE_PATH}/`, 302));
    scope.get(CONSOLE_PATH, async (_req, reply) => reply.redirect(`${CONSOLE_PATH}/`, 302));

    scope.get(`${CONSOLE_PATH}/login`, async (req, reply) => {
      const { next } = single(req.query);
      return sendPage(reply, loginPage({ next: safeNext(next) }));
    });

    scope.post(`${CONSOLE_PATH}/login`, async (req, reply) => {
      const form = (req.body ?? {}) as FormBody;
      const next = safeNext(Array.isArray(form.next) ? form.next[0] : form.next);
      if (!sameOrigin(req)) return sendPage(reply, loginPage({ error: 'Sign-in refused: the form came from another site.', next }), 403);
      const token = Array.isArray(form.token) ? form.token[0] : form.token;
      const who = typeof token === 'string' && token !== '' ? opts.tokens.identify(token) : undefined;
      if (!who) {
        opts.logger.warn({ ip: req.ip }, 'console sign-in refused: unknown token');
        return sendPage(reply, loginPage({ error: 'That token is not accepted.', next }), 401);
      }
      const { value } = issueSession(key(), who.user, who.tokenId, opts.clock().getTime());
      opts.logger.info({ user: who.user }, 'console sign-in');
      return reply.header('set-cookie', sessionCookie(value, SESSION_TTL_MS / 1000)).redirect(next, 303);
    });

    scope.post(`${CONSOLE_PATH}/logout`, async (_req, reply) =>
      reply.header('set-cookie', sessionCookie('', 0)).redirect(`${CONSOLE_PATH}/login`, 303),
    );

    const wrap = (handler: ConsoleHandler) => async (req: FastifyRequest, reply: FastifyReply) => {
      const session = sessions.get(req)!;
      const api = opts.api();
      if (!api) {
        return sendPage(
          reply,
          page({ title: 'Starting', user: session.user, body: new Html('<p>The policy service is starting; reload in a moment.</p>') }),
          503,
        );
      }
      const flash = readFlash(req.headers.cookie);
      if (flash) reply.header('set-cookie', flashCookie(key(), undefined));
      let status = 200;
      const csrf = csrfToken(key(), session);
      const call: ConsoleCall = {
        api,
        req,
        reply,
        user: session.user,
        csrf,
        now: opts.clock(),
        ...(flash ? { flash } : {}),
        form: req.method === 'POST' ? ((req.body ?? {}) as FormBody) : {},
        query: single(req.query),
        params: (req.params ?? {}) as Record<string, string>,
        shell: (p) => page({ ...p, user: session.user, csrf, ...(flash ? { flash } : {}) }),
        redirect: (url, f) => {
          if (f) reply.header('set-cookie', flashCookie(key(), f));
          void reply.redirect(url.startsWith(`${CONSOLE_PATH}/`) ? url : `${CONSOLE_PATH}/`, 303);
          return { redirected: true } as ConsoleRedirect;
        },
        status: (code) => {
          status = code;
        },
      };
      const out = await handler(call);
      if (out instanceof Html) return sendPage(reply, out, status);
      return reply;
    };

    const router = {
      get: (path: string, handler: ConsoleHandler) => scope.get(`${CONSOLE_PATH}${path}`, wrap(handler)),
      post: (path: string, handler: ConsoleHandler) => scope.post(`${CONSOLE_PATH}${path}`, wrap(handler)),
    };
    for (const area of consoleAreas) area(router);
    router.get('/*', async (c) => {
      c.status(404);
      return c.shell({
        title: 'Not found',
        body: new Html(`<p>There is no such console page. <a href="${CONSOLE_PATH}/">Go to the overview</a>.</p>`),
      });
    });
  });
}
