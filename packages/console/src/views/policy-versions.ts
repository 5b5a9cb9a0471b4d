// A policy's versions (who changed it, when, from where) and the changes between two of them:
// the paths that changed, and a line diff of the two versions' YAML marked with + and - (not
// colour alone).
import { plural, timeAgo } from '../format.ts';
import { pager } from '../forms.ts';
import { attrs, html, type Html } from '../html.ts';
import type { PageShell } from '../layout.ts';
import { managedByText, policyUrl, POLICY_KINDS, type ManagedByView, type PolicyKind } from './policies.ts';

export interface VersionRow {
  version: number;
  by: string;
  at: string;
  deleted: boolean;
  source: ManagedByView & { resourceVersion?: string | undefined };
}

export interface VersionDiffView {
  from: number;
  to: number;
  /** The JSON paths that changed (the REST API's diff). */
  changes: ReadonlyArray<{ op: string; path: string; from?: unknown; to?: unknown }>;
  /** The YAML of both versions, line by line. */
  lines: ReadonlyArray<{ op: ' ' | '-' | '+'; text: string }>;
}

export interface VersionsPageData {
  kind: PolicyKind;
  id: string;
  name?: string | undefined;
  /** This page's versions, newest first. */
  rows: readonly VersionRow[];
  /** Every version number (for the compare form), newest first. */
  all: readonly number[];
  diff?: VersionDiffView | undefined;
  /** Why the asked diff could not be shown. */
  diffError?: string | undefined;
  /** Pages of the table (`?page=`). */
  page: number;
  pages: number;
  now: Date;
}

/** A value in a table cell: JSON, cut short. */
function shown(v: unknown): Html {
  if (v === undefined) return html`<span class="muted">—</span>`;
  const s = JSON.stringify(v);
  return html`<code>${s.length > 200 ? `${s.slice(0, 199)}…` : s}</code>`;
}

const OP_TEXT: Record<string, string> = { add: 'added', remove: 'removed', replace: 'changed' };

function diffSection(d: VersionsPageData): Html {
  if (d.diffError) return html`<p class="flash flash-error" role="alert">${d.diffError}</p>`;
  const x = d.diff;
  if (!x) return html``;
  const added = x.lines.filter((l) => l.op === '+').length;
  const removed = x.lines.filter((l) => l.op === '-').length;
  return html`<section aria-labelledby="diff-h">
    <h2 id="diff-h">Changes from version ${x.from} to version ${x.to}</h2>
    ${
      x.changes.length === 0
        ? html`<p>The two versions are the same document.</p>`
        : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Changed paths">
              <table>
                <caption>
                  ${plural(x.changes.length, 'changed path')}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Path</th>
                    <th scope="col">Change</th>
                    <th scope="col">Version ${x.from}</th>
                    <th scope="col">Version ${x.to}</th>
                  </tr>
                </thead>
                <tbody>
                  ${x.changes.map(
                    (c) =>
                      html`<tr>
                        <th scope="row"><code>${c.path || '/'}</code></th>
                        <td>${OP_TEXT[c.op] ?? c.op}</td>
                        <td>${shown(c.from)}</td>
                        <td>${shown(c.to)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <h3>As YAML</h3>
            <p class="muted">
              Lines starting with - are only in version ${x.from} (${removed}), lines starting with + only in version ${x.to} (${added}).
            </p>
            <pre class="diff" tabindex="0" role="region" aria-label="Line diff">
${x.lines.map(
                (l) =>
                  // Each line is a block (console.css): no newline between them.
                  html`<span class="${l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same'}">${l.op} ${l.text}</span>`,
              )}</pre>`
    }
  </section>`;
}

function compareForm(d: VersionsPageData): Html {
  if (d.all.length < 2) return html``;
  const from = d.diff?.from ?? d.all[1];
  const to = d.diff?.to ?? d.all[0];
  const select = (name: string, label: string, value: number | undefined) =>
    html`<div class="field">
      <label for="f-${name}">${label}</label>
      <select id="f-${name}" name="${name}">
        ${d.all.map((n) => html`<option${attrs({ value: n, selected: n === value })}>version ${n}</option>`)}
      </select>
    </div>`;
  return html`<form class="filters" method="get" action="${policyUrl(d.kind, d.id)}/versions">
    ${select('from', 'From', from)} ${select('to', 'To', to)}
    <button type="submit">Compare</button>
  </form>`;
}

export function versionsPage(d: VersionsPageData): Pick<PageShell, 'title' | 'body'> {
  const k = POLICY_KINDS[d.kind];
  const base = `${policyUrl(d.kind, d.id)}/versions`;
  return {
    title: `Versions of ${d.name ?? d.id}`,
    body: html`<p>
        Every change to the ${k.noun} <a href="${policyUrl(d.kind, d.id)}"><code>${d.id}</code></a> is a new version; nothing is
        overwritten. <a href="${k.base}">All ${k.plural}</a>
      </p>
      ${compareForm(d)} ${diffSection(d)}
      <h2>Versions</h2>
      <div class="table-wrap" tabindex="0" role="region" aria-label="Versions">
        <table>
          <caption>
            ${plural(d.all.length, 'version')}, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Changed by</th>
              <th scope="col">When</th>
              <th scope="col">Source</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            ${d.rows.map(
              (r) =>
                html`<tr>
                  <th scope="row">${r.version}${r.deleted ? html` <span class="badge badge-denied">deleted</span>` : ''}</th>
                  <td>${r.by}</td>
                  <td>${timeAgo(r.at, d.now)}</td>
                  <td>
                    ${managedByText(r.source)}${
                      r.source.resourceVersion ? html` <span class="muted">(resource version ${r.source.resourceVersion})</span>` : ''
                    }
                  </td>
                  <td>
                    ${
                      r.version > 1
                        ? html`<a href="${`${base}?from=${r.version - 1}&to=${r.version}`}">from version ${r.version - 1}</a>`
                        : html`<span class="muted">first version</span>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${pager({
        prev: d.page > 1 ? `${base}?page=${d.page - 1}` : undefined,
        next: d.page < d.pages ? `${base}?page=${d.page + 1}` : undefined,
        label: 'Version pages',
      })}`,
  };
}
