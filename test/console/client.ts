// A console client for the tests: signs in with a token as a browser would (the form, the
// session cookie), reads the CSRF token from the pages it gets, and posts forms with it.
// Redirects are not followed, so a test sees the 303 and where it goes.

export interface ConsolePage {
  status: number;
  text: string;
  headers: Headers;
  /** Where a redirect goes (the Location header). */
  location: string | null;
}

export class ConsoleClient {
  readonly base: string;
  cookies = new Map<string, string>();
  /** The CSRF token of the last page that carried one. */
  csrf = '';

  constructor(base: string) {
    this.base = base;
  }

  #cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  #keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async #request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<ConsolePage> {
    const res = await fetch(new URL(path, this.base), {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size > 0 ? { cookie: this.#cookieHeader() } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(this.base).origin } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    this.#keep(res);
    const text = await res.text();
    const m = /name="_csrf" value="([^"]*)"/.exec(text);
    if (m && m[1]) this.csrf = m[1];
    return { status: res.status, text, headers: res.headers, location: res.headers.get('location') };
  }

  get(path: string, headers?: Record<string, string>): Promise<ConsolePage> {
    return this.#request('GET', path, undefined, headers);
  }

  /** Posts a form; `_csrf` is the last page's token unless the fields give one. */
  post(path: string, fields: Record<string, string | string[]> = {}, headers?: Record<string, string>): Promise<ConsolePage> {
    const p = new URLSearchParams();
    if (!('_csrf' in fields)) p.append('_csrf', this.csrf);
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
    return this.#request('POST', path, p.toString(), headers);
  }

  /** Signs in with the sign-in form; throws unless it lands on a console page. */
  async signIn(token: string): Promise<void> {
    const r = await this.post('/console/login', { token, next: '/console/', _csrf: '' });
    if (r.status !== 303 || !this.cookies.has('assay_session')) throw new Error(`sign-in failed: ${r.status} ${r.text.slice(0, 200)}`);
    await this.get('/console/');
  }
}
