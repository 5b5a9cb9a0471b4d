// The console in a real browser (Debian's Chromium): what only a browser shows. The Secure,
// SameSite=Strict session cookie is kept and sent back; the CSP refuses nothing the console's own
// pages load; axe-core finds no serious or critical accessibility violation; the layout fits a
// phone; the keyboard reaches the skip link first. Screenshots land in test-artifacts/console/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { checkAccessibility, launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';

/** Every console message that reports a Content-Security-Policy violation on the page. */
function watchCsp(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.waitForURL(/\/console\/login\?next=/);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

describe('console in a real browser', { timeout: 180_000 }, () => {
  let h: Harness;
  let browser: TestBrowser;
  let base: string;
  before(async () => {
    // Missing Chromium fails here with how to install it: these tests never skip.
    browser = await launchBrowser();
    h = await startHarness();
    // The service listens on every address; the browser goes to the loopback one, which
    // Chromium counts as a secure origin (so it keeps the Secure session cookie over HTTP).
    base = `http://127.0.0.1:${new URL(h.url).port}`;
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('renders the sign-in page without CSP violations or serious accessibility problems', async () => {
    const page = await browser.newPage();
    const csp = watchCsp(page);
    await page.goto(`${base}/console/login`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in to Assay');
    assert.equal(await page.getByLabel('API token').getAttribute('type'), 'password');
    // The stylesheet and the script are the console's own files: both loaded under the CSP.
    assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('.skip')).position`), 'absolute');
    assert.deepEqual(await checkAccessibility(page), []);
    assert.deepEqual(csp, []);
    const png = await screenshot(page, 'sign-in');
    assert.ok(existsSync(png), png);
    await page.context().close();
  });

  it('shows the error for a wrong token and opens no session', async () => {
    const page = await browser.newPage();
    await signIn(page, base, 'not-the-token-at-all');
    assert.match(page.url(), /\/console\/login$/);
    assert.equal((await page.getByRole('alert').textContent())?.trim(), 'That token is not accepted.');
    assert.equal((await page.context().cookies()).filter((c) => c.name === 'assay_session').length, 0);
    assert.deepEqual(await checkAccessibility(page), []);
    await screenshot(page, 'sign-in-error');
    await page.context().close();
  });

  it('signs in with the token onto the overview, and signs out', async () => {
    const page = await browser.newPage();
    const csp = watchCsp(page);
    await signIn(page, base, TOKEN);
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Overview');
    assert.equal(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).getAttribute('aria-current'),
      'page',
    );
    assert.match((await page.locator('.signout .user').textContent()) ?? '', /Signed in as alice/);
    const session = (await page.context().cookies()).find((c) => c.name === 'assay_session');
    assert.ok(session, 'the browser kept the session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'no script can read the session');
    assert.deepEqual(await checkAccessibility(page), []);
    assert.deepEqual(csp, []);
    await screenshot(page, 'overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/login$/);
    assert.equal((await page.context().cookies()).filter((c) => c.name === 'assay_session').length, 0);
    await page.goto(`${base}/console/`);
    assert.match(page.url(), /\/console\/login\?next=/, 'signed out: the overview asks to sign in again');
    assert.deepEqual(csp, []);
    await page.context().close();
  });

  it('fits a phone: no horizontal scroll on the overview at 390x844', async () => {
    const page = await browser.newPage({ width: 390, height: 844 });
    await signIn(page, base, TOKEN);
    assert.equal(new URL(page.url()).pathname, '/console/');
    const { scrollWidth, innerWidth } = (await page.evaluate(
      `({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })`,
    )) as { scrollWidth: number; innerWidth: number };
    assert.equal(innerWidth, 390);
    assert.ok(scrollWidth <= innerWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`);
    await screenshot(page, 'overview-phone');
    await page.context().close();
  });

  it('puts the skip link first in keyboard order, and it moves focus to the page', async () => {
    const page = await browser.newPage();
    await signIn(page, base, TOKEN);
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate(
      `({ cls: document.activeElement?.className, text: document.activeElement?.textContent, left: document.activeElement?.getBoundingClientRect().left })`,
    )) as { cls: string; text: string; left: number };
    assert.equal(focused.cls, 'skip');
    assert.equal(focused.text, 'Skip to content');
    assert.ok(focused.left >= 0, `the focused skip link is on screen (left ${focused.left})`);
    await screenshot(page, 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'main');
    await page.context().close();
  });

  it('keeps no session over plain HTTP to a host that is not loopback (the cookie is Secure)', async () => {
    // What the README warns of: the same server, reached by a name instead of 127.0.0.1, is no
    // secure context, so Chromium refuses the Secure cookie and sign-in leads back to itself.
    const named = await launchBrowser({ args: ['--host-resolver-rules=MAP policy.test 127.0.0.1'] });
    try {
      const page = await named.newPage();
      const at = `http://policy.test:${new URL(base).port}`;
      await signIn(page, at, TOKEN);
      assert.equal(await page.evaluate('window.isSecureContext'), false);
      assert.equal((await page.context().cookies()).filter((c) => c.name === 'assay_session').length, 0);
      assert.match(page.url(), /\/console\/login\?next=/, 'back at sign-in');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in to Assay');
    } finally {
      await named.close();
    }
  });

  it('would notice a CSP violation or an accessibility failure (the checks above can fail)', async () => {
    // The CSP watch proves nothing unless it can see a violation: an inline script is one.
    const page = await browser.newPage();
    const csp = watchCsp(page);
    await page.goto(`${base}/console/login`);
    await page.evaluate(
      `{ const s = document.createElement('script'); s.textContent = 'window.ranInline = true'; document.body.append(s); }`,
    );
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate('window.ranInline'), undefined, 'the inline script did not run');
    assert.ok(csp.length >= 1, 'the violation was reported');
    // And axe reports an unlabelled input and an image without alternative text.
    await page.setContent('<!doctype html><html lang="en"><title>t</title><main><input><img src="data:,"></main></html>');
    const found = await checkAccessibility(page);
    assert.deepEqual(found.map((v) => v.id).sort(), ['image-alt', 'label']);
    assert.deepEqual(found.find((v) => v.id === 'label')?.targets, ['input']);
    await page.context().close();
  });
});
