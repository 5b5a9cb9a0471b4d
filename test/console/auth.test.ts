// The console's door: a token signs in to a session cookie (HttpOnly, Secure, SameSite=Strict);
// pages without a session go to sign-in; forms without the session's CSRF token, or from another
// origin, are refused; every page carries a CSP with no inline script or style.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { ConsoleClient } from './client.ts';

describe('console sign-in, session and CSRF', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('sends a page without a session to sign-in, keeping where it was going', async () => {
    const c = new ConsoleClient(h.url);
    const r = await c.get('/console/images?q=web');
    assert.equal(r.status, 303);
    assert.equal(r.location, `/console/login?next=${encodeURIComponent('/console/images?q=web')}`);
    const login = await c.get(r.location!);
    assert.equal(login.status, 200);
    assert.match(login.text, /<label for="token">API token<\/label>/);
    assert.match(login.text, /name="next" value="\/console\/images\?q=web"/);
  });

  it('refuses a wrong token, and opens a session cookie with the right flags for the right one', async () => {
    const c = new ConsoleClient(h.url);
    const bad = await c.post('/console/login', { token: 'not-the-token-at-all', _csrf: '' });
    assert.equal(bad.status, 401);
    assert.match(bad.text, /That token is not accepted/);
    assert.equal(c.cookies.has('assay_session'), false);
    const res = await fetch(new URL('/console/login', h.url), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(h.url).origin },
      body: new URLSearchParams({ token: TOKEN, next: '/console/images' }).toString(),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/console/images');
    const cookie = res.headers.getSetCookie().find((x) => x.startsWith('assay_session='))!;
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/console']) assert.ok(cookie.includes(flag), `${flag} in ${cookie}`);
    assert.ok(!cookie.includes(TOKEN), 'the cookie never holds the token');
  });

  it('never redirects a sign-in to another site', async () => {
    const c = new ConsoleClient(h.url);
    for (const next of ['https://evil.example/', '//evil.example/x', '/api/v1/verdicts', '/console\\@evil']) {
      const r = await c.post('/console/login', { token: TOKEN, next, _csrf: '' });
      assert.equal(r.status, 303);
      assert.equal(r.location, '/console/', next);
    }
  });

  it('refuses a sign-in posted from another origin', async () => {
    const c = new ConsoleClient(h.url);
    const r = await c.post('/console/login', { token: TOKEN, _csrf: '' }, { origin: 'https://evil.example' });
    assert.equal(r.status, 403);
    assert.equal(c.cookies.has('assay_session'), false);
  });

  it('puts a strict CSP and the other security headers on every page', async () => {
    const c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
    const r = await c.get('/console/');
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(r.text, /<style|\sstyle=/, 'no inline style');
    const css = await c.get('/console/assets/console.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type')!, /text\/css/);
    assert.equal((await c.get('/console/assets/..%2Fpackage.json')).status, 404);
  });

  it('refuses a form without the CSRF token, with another session’s token, or from another origin', async () => {
    const a = new ConsoleClient(h.url);
    await a.signIn(TOKEN);
    const b = new ConsoleClient(h.url);
    await b.signIn(TOKEN);
    assert.notEqual(a.csrf, b.csrf, 'each session has its own CSRF token');
    assert.equal((await a.post('/console/logout', { _csrf: '' })).status, 403);
    assert.equal((await a.post('/console/logout', { _csrf: b.csrf })).status, 403);
    assert.equal((await a.post('/console/logout', {}, { origin: 'https://evil.example' })).status, 403);
    assert.equal(a.cookies.has('assay_session'), true, 'still signed in after the refused forms');
    const out = await a.post('/console/logout');
    assert.equal(out.status, 303);
    assert.equal(a.cookies.has('assay_session'), false);
  });

  it('refuses a forged or tampered session cookie', async () => {
    const c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
    const v = c.cookies.get('assay_session')!;
    const [body, sig] = v.split('.');
    const forged = Buffer.from(JSON.stringify(['mallory', 'x', 'n', Date.now() + 3600_000])).toString('base64url');
    for (const bad of [`${forged}.${sig}`, `${body}.${sig!.slice(0, -2)}AA`, 'garbage']) {
      c.cookies.set('assay_session', bad);
      const r = await c.get('/console/');
      assert.equal(r.status, 303, bad);
      assert.match(r.location!, /^\/console\/login/);
    }
  });
});
