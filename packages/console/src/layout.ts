// The page shell every console page shares: a skip link, the navigation (the current page marked
// for screen readers), who is signed in with a sign-out form, a status line for what the last
// action did, and the page. Styles and the one script are files served by the console itself
// (the Content-Security-Policy allows nothing inline and nothing from elsewhere).
import { html, type Html } from './html.ts';

/** Where the console is mounted. */
export const CONSOLE_PATH = '/console';
export const ASSETS_PATH = `${CONSOLE_PATH}/assets`;

export type NavKey = 'overview' | 'images' | 'policies' | 'runtime-policies' | 'exceptions' | 'decisions';

const NAV: ReadonlyArray<{ key: NavKey; label: string; href: string }> = [
  { key: 'overview', label: 'Overview', href: `${CONSOLE_PATH}/` },
  { key: 'images', label: 'Images', href: `${CONSOLE_PATH}/images` },
  { key: 'policies', label: 'Policies', href: `${CONSOLE_PATH}/policies` },
  { key: 'runtime-policies', label: 'Runtime policies', href: `${CONSOLE_PATH}/runtime-policies` },
  { key: 'exceptions', label: 'Exceptions', href: `${CONSOLE_PATH}/exceptions` },
  { key: 'decisions', label: 'Decisions', href: `${CONSOLE_PATH}/decisions` },
];

/** What the last action did, shown once above the page (`role=status`, or `alert` for errors). */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export interface PageShell {
  /** The page's title (also its `<h1>` unless `heading` is given). */
  title: string;
  heading?: Html | string;
  active?: NavKey;
  /** The signed-in user; absent on the sign-in page (no navigation then). */
  user?: string;
  /** The session's CSRF token, for the sign-out form. */
  csrf?: string;
  flash?: Flash;
  body: Html;
}

/** A whole HTML document. */
export function page(p: PageShell): Html {
  const nav = p.user
    ? html`<nav aria-label="Main">
          <ul>
            ${NAV.map((n) => html`<li><a href="${n.href}" ${n.key === p.active ? html`aria-current="page"` : ''}>${n.label}</a></li>`)}
          </ul>
        </nav>
        <form class="signout" method="post" action="${CONSOLE_PATH}/logout">
          <input type="hidden" name="_csrf" value="${p.csrf ?? ''}" />
          <span class="user">Signed in as <strong>${p.user}</strong></span>
          <button type="submit" class="secondary">Sign out</button>
        </form>`
    : '';
  const flash = p.flash
    ? html`<p class="flash flash-${p.flash.kind}" role="${p.flash.kind === 'error' ? 'alert' : 'status'}">${p.flash.text}</p>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${p.title} · Assay</title>
        <link rel="stylesheet" href="${ASSETS_PATH}/console.css" />
        <link rel="icon" href="${ASSETS_PATH}/favicon.svg" type="image/svg+xml" />
        <script type="module" src="${ASSETS_PATH}/console.js"></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="${CONSOLE_PATH}/">Assay</a>
          ${nav}
        </header>
        <main id="main" tabindex="-1">
          ${flash}
          <h1>${p.heading ?? p.title}</h1>
          ${p.body}
        </main>
      </body>
    </html> `;
}
