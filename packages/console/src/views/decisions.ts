// The Decisions page: what the admission webhook recently answered, newest first, each with its
// images and why each was (not) let in, filtered by outcome, namespace and text, 50 a page. The
// rows are the policy service's decision records (read from the audit stream), passed as plain data.
import { plural, shortDigest, timeAgo } from '../format.ts';
import { field } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { CONSOLE_PATH, type PageShell } from '../layout.ts';

export interface DecisionRow {
  id: string;
  at: string;
  outcome: 'allowed' | 'denied' | 'warned';
  dryRun: boolean;
  namespace: string;
  kind: string;
  name: string;
  operation: string;
  user: string;
  mode: string;
  runtimePolicy: string;
  message: string;
  images: ReadonlyArray<{ image: string; digest: string; allowed: boolean; compliance: string; reasons: readonly string[] }>;
  exceptionIds: readonly string[];
  warnings: readonly string[];
}

export interface DecisionsFilter {
  outcome?: string | undefined;
  namespace?: string | undefined;
  q?: string | undefined;
}

export interface DecisionsPageData {
  rows: readonly DecisionRow[];
  filter: DecisionsFilter;
  /** Decisions held (the log's size); undefined when this service keeps no decision log. */
  held: number | undefined;
  /** The cursor of the next (older) page. */
  next?: string | undefined;
  /** Whether this is a later page. */
  continued: boolean;
  now: Date;
}

export const OUTCOME_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any outcome'],
  ['denied', 'Denied'],
  ['warned', 'Allowed with warnings'],
  ['allowed', 'Allowed'],
];

const OUTCOME_LABELS: Record<string, string> = { allowed: 'allowed', denied: 'denied', warned: 'warned' };

/** The Decisions page URL for a filter (and a cursor). */
export function decisionsUrl(filter: DecisionsFilter, cursor?: string): string {
  const p = new URLSearchParams();
  for (const k of ['outcome', 'namespace', 'q'] as const) {
    const v = filter[k];
    if (v) p.set(k, v);
  }
  if (cursor) p.set('cursor', cursor);
  const qs = p.toString();
  return `${CONSOLE_PATH}/decisions${qs ? `?${qs}` : ''}`;
}

function outcomeBadge(outcome: string): Html {
  return html`<span class="badge badge-${outcome}">${OUTCOME_LABELS[outcome] ?? outcome}</span>`;
}

function images(r: DecisionRow): Html {
  if (r.images.length === 0) return html`<span class="muted">no images</span>`;
  return html`<ul>
    ${r.images.map(
      (i) =>
        html`<li>
          ${i.allowed ? html`<span class="badge badge-allowed">let in</span>` : html`<span class="badge badge-denied">refused</span>`}
          <span class="mono">${i.image || shortDigest(i.digest)}</span>
          ${i.digest ? html`<small class="digest muted" title="${i.digest}">${shortDigest(i.digest)}</small>` : ''}
          ${i.compliance && i.compliance !== 'compliant' ? html`<small class="muted">(${i.compliance.replace('_', '-')})</small>` : ''}
          ${
            i.reasons.length > 0
              ? html`<ul>
                  ${i.reasons.map((x) => html`<li>${x}</li>`)}
                </ul>`
              : ''
          }
        </li>`,
    )}
  </ul>`;
}

function details(r: DecisionRow): Html {
  const parts: Html[] = [];
  if (r.exceptionIds.length > 0) {
    parts.push(html`<p>Break-glass exception used: ${r.exceptionIds.map((id, i) => html`${i > 0 ? ', ' : ''}<code>${id}</code>`)}</p>`);
  }
  if (r.warnings.length > 0) {
    parts.push(
      html`<p>Warnings:</p>
        <ul>
          ${r.warnings.map((w) => html`<li>${w}</li>`)}
        </ul>`,
    );
  }
  // The message kubectl showed, unless it only repeats a warning or says "allowed".
  if (r.message && r.message !== 'allowed' && !r.warnings.includes(r.message)) parts.push(html`<p class="muted">${r.message}</p>`);
  return html`${parts}`;
}

function row(r: DecisionRow, now: Date): Html {
  return html`<tr>
    <td>${timeAgo(r.at, now)}</td>
    <td>${outcomeBadge(r.outcome)}${r.dryRun ? html` <span class="badge badge-dry-run">dry run</span>` : ''}</td>
    <td>${r.namespace || html`<span class="muted">—</span>`}</td>
    <th scope="row">${r.kind}/${r.name || html`<span class="muted">(unnamed)</span>`}<br /><small class="muted">${r.operation}</small></th>
    <td>${r.user || html`<span class="muted">—</span>`}</td>
    <td class="wrap">${images(r)}</td>
    <td>${r.runtimePolicy || html`<span class="muted">none</span>`}${r.mode ? html`<br /><small class="muted">${r.mode}</small>` : ''}</td>
    <td class="wrap">${details(r)}</td>
  </tr>`;
}

function filters(f: DecisionsFilter): Html {
  return html`<form class="filters" method="get" action="${CONSOLE_PATH}/decisions" role="search" aria-label="Filter decisions">
    <div class="field">
      <label for="f-outcome">Outcome</label>
      <select id="f-outcome" name="outcome" data-autosubmit>
        ${OUTCOME_OPTIONS.map(([v, l]) => html`<option value="${v}" ${v === (f.outcome ?? '') ? html`selected` : ''}>${l}</option>`)}
      </select>
    </div>
    ${field({ label: 'Namespace', name: 'namespace', value: f.namespace })}
    ${field({ label: 'Search', name: 'q', type: 'search', value: f.q, hint: 'Object name, image, user or message' })}
    <button type="submit">Filter</button>
    <a class="button secondary" href="${CONSOLE_PATH}/decisions">Clear</a>
  </form>`;
}

export function decisionsPage(d: DecisionsPageData): Pick<PageShell, 'title' | 'body'> {
  const f = d.filter;
  const filtered = Boolean(f.outcome || f.namespace || f.q);
  if (d.held === undefined) {
    return { title: 'Decisions', body: html`<p>This policy service keeps no decision log (it runs without the bus).</p>` };
  }
  const empty =
    d.held === 0
      ? html`<p>
          No admission decisions yet. Decisions appear here when the admission webhook answers a request to create or change a workload:
          each answer is published on the audit stream, and the most recent ones are listed here.
        </p>`
      : html`<p>${filtered ? 'No decision matches these filters.' : 'No more decisions.'}</p>`;
  const table =
    d.rows.length === 0
      ? empty
      : html`<div class="table-wrap" role="region" aria-label="Admission decisions" tabindex="0">
          <table>
            <caption>
              Admission decisions, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Outcome</th>
                <th scope="col">Namespace</th>
                <th scope="col">Object</th>
                <th scope="col">User</th>
                <th scope="col">Images and reasons</th>
                <th scope="col">Runtime policy</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              ${d.rows.map((r) => row(r, d.now))}
            </tbody>
          </table>
        </div>`;
  const nav =
    d.continued || d.next
      ? html`<nav class="pager" aria-label="Decision pages">
          ${d.continued ? html`<a href="${decisionsUrl(f)}">← Newest</a>` : ''}
          ${d.next ? html`<a rel="next" href="${decisionsUrl(f, d.next)}">Older →</a>` : ''}
        </nav>`
      : '';
  return {
    title: 'Decisions',
    body: html`${filters(f)}
    ${
      d.held > 0
        ? html`<p class="match-count">
            ${plural(d.held, 'decision')} kept here: the most recent the webhook made. Older ones are in the audit trail.
          </p>`
        : ''
    }
    ${table} ${nav}`,
  };
}
