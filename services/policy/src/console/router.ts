// What a console page handler gets, and how an area of the console (images, policies…) adds its
// pages: `router.get('/images', handler)`. The plugin (plugin.ts) has already checked the session
// and, for a POST, the CSRF token, before a handler runs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Flash, Html, PageShell } from '@assay/console';
import type { PolicyApi } from '../routes/context.ts';

/** A form body: each field's value, or values when it repeats. */
export type FormBody = Record<string, string | string[]>;

export interface ConsoleCall {
  api: PolicyApi;
  req: FastifyRequest;
  reply: FastifyReply;
  /** Who is signed in: recorded on the versions and audit events a form writes. */
  user: string;
  /** This session's CSRF token, for the forms a page renders (`csrfField(c.csrf)`). */
  csrf: string;
  now: Date;
  /** What the previous action said (set by `redirect` with a flash), shown once. */
  flash?: Flash;
  /** The url-encoded form of a POST ({} for a GET). */
  form: FormBody;
  /** The query string's single values (the last one where a key repeats). */
  query: Record<string, string>;
  params: Record<string, string>;
  /** A whole page, with the signed-in user, the CSRF token and the flash filled in. */
  shell(p: Omit<PageShell, 'user' | 'csrf' | 'flash'>): Html;
  /** Post/redirect/get: 303 to `url` (a /console path), showing `flash` on the page it lands on. */
  redirect(url: string, flash?: Flash): ConsoleRedirect;
  /** Sets the status of the page this handler returns (400 for a form with errors, 404…). */
  status(code: number): void;
}

/** What `redirect` returns: the reply has been sent. */
export interface ConsoleRedirect {
  readonly redirected: true;
}

/** A page handler: the page, a redirect, or a download it sent itself on `c.reply`. */
export type ConsoleHandler = (c: ConsoleCall) => Promise<Html | ConsoleRedirect | FastifyReply>;

export interface ConsoleRouter {
  /** `path` is under /console (`/images/:digest`). */
  get(path: string, handler: ConsoleHandler): void;
  post(path: string, handler: ConsoleHandler): void;
}

/** An area of the console: adds its pages to the router. */
export type ConsoleArea = (router: ConsoleRouter) => void;

/** The first value of a form field (a repeated field's first), or undefined. */
export function formValue(form: FormBody, name: string): string | undefined {
  const v = form[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a form field. */
export function formValues(form: FormBody, name: string): string[] {
  const v = form[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
