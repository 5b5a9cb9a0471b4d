// A real browser for the console's tests: Debian's Chromium (`/usr/bin/chromium`, or
// CHROMIUM_PATH) driven by playwright-core, which downloads nothing. Headless, in a fresh
// temporary profile, with Chromium's own background traffic (updates, sync, QUIC probes) off so
// a test talks only to the server it starts. Also: screenshots kept under test-artifacts/console/
// and an accessibility pass with axe-core.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { makeTempDir } from './tempdir.ts';

const REPO_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** Where `screenshot` keeps its PNGs (ignored by git; CI may upload it). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-artifacts', 'console');

/** The Chromium the tests use: CHROMIUM_PATH, else Debian's package. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** Whether that Chromium is there and executable; when not, a message saying how to get it. */
export function chromiumAvailable(): { available: true; path: string } | { available: false; path: string; message: string } {
  const path = chromiumPath();
  try {
    accessSync(path, constants.X_OK);
    return { available: true, path };
  } catch {
    return {
      available: false,
      path,
      message:
        `no Chromium at ${path}: install Debian's chromium (apt-get install chromium; \`npm test\` installs it when run as root), ` +
        'or set CHROMIUM_PATH to a Chromium binary',
    };
  }
}

const ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Viewport {
  width: number;
  height: number;
}

export interface TestBrowser {
  browser: Browser;
  /**
   * A page in a context of its own (own cookies: pages never share a session), 1280x800 unless
   * told. `bypassCSP` is for pages that must run foreign script; the console's tests leave it off.
   */
  newPage(viewport?: Viewport, options?: { bypassCSP?: boolean }): Promise<Page>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Starts Chromium. Throws (never skips) when it is not installed: the console tests need it.
 * `args` adds switches (e.g. `--host-resolver-rules` to reach a local server by another name).
 */
export async function launchBrowser(options: { args?: string[] } = {}): Promise<TestBrowser> {
  const found = chromiumAvailable();
  if (!found.available) throw new Error(found.message);
  // A profile of our own (Playwright refuses --user-data-dir in args; a persistent context is
  // how to name it). Pages then get contexts of their own from the same browser.
  const profile = await makeTempDir('chromium');
  let persistent: BrowserContext;
  try {
    persistent = await chromium.launchPersistentContext(profile.path, {
      executablePath: found.path,
      headless: true,
      // Chromium's sandbox needs user namespaces a root process in a container lacks; as another
      // user it stays on.
      chromiumSandbox: process.getuid?.() !== 0,
      args: [...ARGS, ...(options.args ?? [])],
      timeout: 60_000,
    });
  } catch (err) {
    await profile.remove();
    throw new Error(`cannot start Chromium at ${found.path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const browser = persistent.browser();
  if (!browser) {
    await persistent.close();
    await profile.remove();
    throw new Error('Chromium started without a browser handle');
  }
  let closed = false;
  return {
    browser,
    async newPage(viewport = { width: 1280, height: 800 }, options = {}) {
      const context = await browser.newContext({ viewport, ...(options.bypassCSP ? { bypassCSP: true } : {}) });
      return context.newPage();
    },
    async close() {
      if (closed) return;
      closed = true;
      await persistent.close().catch(() => {});
      await browser.close().catch(() => {});
      await profile.remove();
    },
  };
}

/** Saves a full-page PNG as test-artifacts/console/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  /** The CSS selectors of the offending elements. */
  targets: string[];
}

const axeSource: string = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

/**
 * Runs axe-core on the page as it is and returns the serious and critical violations.
 *
 * axe is evaluated through the DevTools protocol (`page.evaluate` of its source), not added as a
 * <script>: the console's CSP allows no inline script, and an injected tag would be refused (and
 * reported as a CSP violation). Evaluation from outside the page is not subject to the page's
 * CSP, so the page keeps its real policy during the pass; `bypassCSP` would have needed a
 * context with the CSP switched off, where a test could no longer see CSP violations at all.
 */
export async function checkAccessibility(page: Page): Promise<AxeViolation[]> {
  const installed = await page.evaluate(`typeof window.axe === 'object'`);
  if (!installed) await page.evaluate(axeSource);
  const results = (await page.evaluate(`window.axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
  };
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact!,
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    }));
}
