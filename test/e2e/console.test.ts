// The console's walkthrough in a real browser against the whole local system: `npm start`'s
// stack (scripts/local-stack.ts) and one `npm run demo` (real registry, scanner, policy,
// admission, audit), then Debian's Chromium: sign in, open the demo's non-compliant image, see
// the private key at /etc/ssl/private/ssl-cert-snakeoil.key with its layer, switch the
// sensitive-data control off (compliant within 2 s) and on again, excuse the image with an
// exception (compliant again), and find the demo's denial among the decisions. Every page passes
// axe-core with no serious or critical violation; screenshots land in test-artifacts/console/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { StackState } from '../../scripts/local-stack/stack.ts';
import { checkAccessibility, launchBrowser, screenshot, SCREENSHOT_DIR, type TestBrowser } from '../support/browser.ts';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const DEMO_IMAGE_LINE = /demo image .*: (sha256:[0-9a-f]{64})/;
const KEY_PATH = '/etc/ssl/private/ssl-cert-snakeoil.key';

const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NATS_|HTTP_|ASSAY_|ES_URL|LOG_LEVEL|FORCE_COLOR|NO_COLOR)/.test(k)));

function readState(file: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

/** No serious or critical accessibility violation on the page as it is now. */
async function accessible(page: Page, what: string): Promise<void> {
  const v = await checkAccessibility(page);
  assert.deepEqual(
    v.map((x) => `${x.impact} ${x.id}: ${x.help} (${x.targets.join(', ')})`),
    [],
    `axe on ${what}`,
  );
}

/** Reloads `url` until the verdict badge reads `text`; returns how long it took. */
async function untilVerdict(page: Page, url: string, text: RegExp, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    await page.goto(url);
    const badge = (await page.locator('[data-verdict]').first().textContent()) ?? '';
    if (text.test(badge)) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`verdict still "${badge.trim()}" after ${timeoutMs} ms (wanted ${text})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the console against the whole local system', { timeout: 420_000 }, () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  let stack: ManagedProcess | undefined;
  let browser: TestBrowser | undefined;
  let state: StackState;
  let digest: string;
  let base: string;
  let page: Page;
  const cspErrors: string[] = [];

  before(async () => {
    browser = await launchBrowser();
    const dir = await makeTempDir('console-stack');
    dirs.push(dir);
    stack = startProcess(process.execPath, [join(root, 'scripts', 'local-stack.ts')], {
      cwd: root,
      env: { ...cleanEnv(), ASSAY_STATE_DIR: dir.path, ASSAY_NATS_PORT: '0', ASSAY_BASE_PORT: '0', ADMISSION_AUDIT_BATCH_LINGER: '200' },
    });
    const stateFile = join(dir.path, 'local-stack.json');
    state = await waitFor(
      'every service ready',
      () => {
        const s = readState(stateFile);
        return s?.ready && s.policyApi?.url ? s : undefined;
      },
      { process: stack, timeoutMs: 120_000, intervalMs: 200 },
    );
    const demo = startProcess(process.execPath, [join(root, 'scripts', 'demo.ts')], {
      cwd: root,
      env: { ...cleanEnv(), ASSAY_STATE_DIR: dir.path },
    });
    const code = await new Promise<number | null>((resolve) => demo.child.once('close', (c: number | null) => resolve(c)));
    assert.equal(code, 0, `demo output:\n${demo.output()}`);
    digest = DEMO_IMAGE_LINE.exec(demo.output())![1]!;
    base = `http://127.0.0.1:${new URL(state.policyApi!.url!).port}`;
    page = await browser.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    // SIGTERM: the stack stops nats-server and the registry it started (SIGKILL would leave them running).
    await stack?.stop(30_000);
    for (const d of dirs) await d.remove();
  });

  it('signs in with the policy API token', async () => {
    await page.goto(`${base}/console/`);
    await page.waitForURL(/\/console\/login/);
    await accessible(page, 'sign-in');
    await page.getByLabel('API token').fill(state.policyApi!.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/console/`);
    await screenshot(page, 'e2e-01-overview');
    await accessible(page, 'overview');
  });

  it('lists the demo image as non-compliant and opens it: the private key, its path and layer', async () => {
    await page.goto(`${base}/console/images?q=demo%2Fpostgres`);
    await accessible(page, 'images');
    await screenshot(page, 'e2e-02-images');
    await page.locator(`a[href="/console/images/${digest}"]`).first().click();
    await page.waitForURL(`${base}/console/images/${digest}`);
    assert.match((await page.locator('[data-verdict]').first().textContent()) ?? '', /non-compliant/);
    const finding = page.locator('[data-finding="sensitive"]', { hasText: KEY_PATH }).first();
    const text = (await finding.textContent()) ?? '';
    assert.match(text, /private-key/);
    assert.match(text, /sha256:[0-9a-f]{12}/, `the layer of the finding: ${text}`);
    await screenshot(page, 'e2e-03-image');
    // The README's picture: the first screen of this page, as a person at 1280x800 sees it.
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'readme-console-image.png') });
    await accessible(page, 'image');
  });

  it('switches the sensitive-data control off: compliant within 2 s; on again: non-compliant', async () => {
    const imageUrl = `${base}/console/images/${digest}`;
    await page.goto(`${base}/console/policies/demo-no-private-keys`);
    await accessible(page, 'policy form');
    const block = page.getByRole('switch', { name: /block images with sensitive data/i });
    assert.equal(await block.isChecked(), true);
    await block.uncheck();
    await screenshot(page, 'e2e-04-policy-switch-off');
    await page.getByRole('button', { name: /^save/i }).click();
    await page.waitForLoadState('load');
    assert.match((await page.locator('.flash').textContent()) ?? '', /saved/i);
    const ms = await untilVerdict(page, imageUrl, /^\s*compliant/, 2000);
    assert.ok(ms <= 2000, `compliant after ${ms} ms`);
    await page.goto(`${base}/console/policies/demo-no-private-keys`);
    await page.getByRole('switch', { name: /block images with sensitive data/i }).check();
    await page.getByRole('button', { name: /^save/i }).click();
    await page.waitForLoadState('load');
    await untilVerdict(page, imageUrl, /non-compliant/, 5000);
  });

  it('creates an exception for the image, and the verdict honours it', async () => {
    await page.goto(`${base}/console/exceptions?digest=${digest}&control=sensitiveData`);
    await accessible(page, 'exceptions');
    await page.getByLabel(/^id/i).fill('console-e2e-snakeoil');
    await page.getByLabel(/^reason/i).fill('the snakeoil key is a placeholder the entrypoint replaces');
    await page.getByRole('button', { name: /create/i }).click();
    await page.waitForLoadState('load');
    await screenshot(page, 'e2e-05-exceptions');
    assert.match(await page.content(), /console-e2e-snakeoil/);
    await untilVerdict(page, `${base}/console/images/${digest}`, /^\s*compliant/, 5000);
  });

  it('shows the demo’s denial among the decisions', async () => {
    await page.goto(`${base}/console/decisions?outcome=denied`);
    await accessible(page, 'decisions');
    await screenshot(page, 'e2e-06-decisions');
    const body = (await page.locator('main').textContent()) ?? '';
    assert.match(body, /demo/);
    assert.match(body, /ssl-cert-snakeoil\.key/);
    assert.deepEqual(cspErrors, [], 'no CSP violation on any page');
  });
});
