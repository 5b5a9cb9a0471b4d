// The Images page: every image digest the policy service has a verdict for, newest evaluation
// first, filtered by compliance, failing control, repository glob and free text, 50 a page. The
// rows are verdict summaries as the policy service keeps them in memory (no evidence).
import { complianceBadge, plural, shortDigest, timeAgo } from '../format.ts';
import { pager, selectField, field, type FieldErrors } from '../forms.ts';
import { attrs, html, type Html } from '../html.ts';
import { CONSOLE_PATH, type PageShell } from '../layout.ts';

/** What the list can be narrowed by (the query string of the page). */
export interface ImagesFilter {
  compliance?: string | undefined;
  repository?: string | undefined;
  q?: string | undefined;
  /** A failing (blocking) control, as the overview links to. */
  control?: string | undefined;
}

/** One row: a verdict summary (the fields the page shows). */
export interface ImageRow {
  digest: string;
  image: { registry: string; repository: string; tag: string };
  compliance: string;
  evaluatedAt?: string | undefined;
  scannedAt?: string | undefined;
  platforms: number;
  reasonCount: number;
  reasons: ReadonlyArray<{ control: string; message: string; auditOnly: boolean }>;
}

export interface ImagesPageData {
  rows: readonly ImageRow[];
  filter: ImagesFilter;
  /** How many images match the filter (all pages). */
  matching: number;
  /** How many images there are. */
  total: number;
  /** Continue tokens: of the next page, of the previous one (`''`: the first page). */
  next?: string | undefined;
  previous?: string | undefined;
  /** Whether this is a later page (a continue token was given). */
  continued: boolean;
  errors?: FieldErrors;
  now: Date;
}

export const COMPLIANCE_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any verdict'],
  ['non_compliant', 'Non-compliant'],
  ['compliant', 'Compliant'],
  ['pending', 'Pending'],
  ['error', 'Scan failed'],
];

/** The Images page URL for a filter (and a continue token): what the overview's links use. */
export function imagesUrl(filter: ImagesFilter, cont?: string): string {
  const p = new URLSearchParams();
  for (const k of ['compliance', 'control', 'repository', 'q'] as const) {
    const v = filter[k];
    if (v) p.set(k, v);
  }
  if (cont) p.set('continue', cont);
  const qs = p.toString();
  return `${CONSOLE_PATH}/images${qs ? `?${qs}` : ''}`;
}

/** An image's own page (the digest as it is: `:` needs no escaping in a path). */
export function imageUrl(digest: string): string {
  return `${CONSOLE_PATH}/images/${encodeURIComponent(digest).replace(/%3A/gi, ':')}`;
}

/** The reason a row shows: the first blocking one among those kept, else the first. */
function firstReason(r: ImageRow): Html {
  const reason = r.reasons.find((x) => !x.auditOnly) ?? r.reasons[0];
  if (!reason) return html`<span class="muted">—</span>`;
  const more = r.reasonCount > 1 ? html` <span class="muted">(+${r.reasonCount - 1} more)</span>` : '';
  return html`<strong>${reason.control}</strong>${reason.auditOnly ? ' (audit only)' : ''}: ${reason.message}${more}`;
}

function row(r: ImageRow, now: Date): Html {
  return html`<tr>
    <th scope="row">
      <a href="${imageUrl(r.digest)}">${r.image.repository || r.digest}</a><br /><small class="muted">${r.image.registry}</small>
    </th>
    <td>${r.image.tag || html`<span class="muted">—</span>`}</td>
    <td class="hide-narrow"><span class="digest" title="${r.digest}">${shortDigest(r.digest)}</span></td>
    <td class="num hide-narrow">${r.platforms > 0 ? r.platforms : html`<span class="muted" title="a single-platform image">—</span>`}</td>
    <td>${complianceBadge(r.compliance)}</td>
    <td>${timeAgo(r.scannedAt, now)}</td>
    <td class="hide-narrow">${timeAgo(r.evaluatedAt, now)}</td>
    <td>${firstReason(r)}</td>
  </tr>`;
}

function filters(d: ImagesPageData): Html {
  const f = d.filter;
  return html`<form class="filters" method="get" action="${CONSOLE_PATH}/images" role="search" aria-label="Filter images">
    ${field({ label: 'Search', name: 'q', type: 'search', value: f.q, hint: 'Part of the reference or a CVE id', errors: d.errors })}
    ${selectField({ label: 'Verdict', name: 'compliance', value: f.compliance ?? '', options: COMPLIANCE_OPTIONS, errors: d.errors })}
    ${field({
      label: 'Repository',
      name: 'repository',
      value: f.repository,
      placeholder: 'registry.example.com/team/*',
      hint: 'A glob over registry/repository',
      errors: d.errors,
    })}
    ${f.control ? html`<input${attrs({ type: 'hidden', name: 'control', value: f.control })} />` : ''}
    <button type="submit">Filter</button>
    <a class="button secondary" href="${CONSOLE_PATH}/images">Clear</a>
  </form>`;
}

export function imagesPage(d: ImagesPageData): Pick<PageShell, 'title' | 'body'> {
  const f = d.filter;
  const filtered = Boolean(f.compliance || f.repository || f.q || f.control);
  const control = f.control
    ? html`<p>Failing control: <strong>${f.control}</strong> (<a href="${imagesUrl({ ...f, control: undefined })}">any control</a>)</p>`
    : '';
  const count = html`<p class="match-count" role="status">
    ${filtered ? `${plural(d.matching, 'image')} ${d.matching === 1 ? 'matches' : 'match'} (of ${plural(d.total, 'image')})` : `${plural(d.total, 'image')} known`}
  </p>`;
  const table =
    d.rows.length === 0
      ? html`<p>
          ${d.total === 0 ? 'No image has been judged yet: images appear here once they are scanned.' : 'No image matches these filters.'}
        </p>`
      : html`<div class="table-wrap" role="region" aria-label="Images" tabindex="0">
          <table>
            <caption>
              Images, newest evaluation first
            </caption>
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Tag</th>
                <th scope="col" class="hide-narrow">Digest</th>
                <th scope="col" class="num hide-narrow">Platforms</th>
                <th scope="col">Verdict</th>
                <th scope="col">Scanned</th>
                <th scope="col" class="hide-narrow">Evaluated</th>
                <th scope="col">First reason</th>
              </tr>
            </thead>
            <tbody>
              ${d.rows.map((r) => row(r, d.now))}
            </tbody>
          </table>
        </div>`;
  const prev = d.continued ? imagesUrl(f, d.previous || undefined) : undefined;
  const next = d.next ? imagesUrl(f, d.next) : undefined;
  return {
    title: 'Images',
    body: html`${filters(d)} ${control} ${count} ${table} ${pager({ prev, next, label: 'Image pages' })}`,
  };
}
