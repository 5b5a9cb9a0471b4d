// A report's vulnerabilities as a table sorted on the server (by severity or by CVSS score) and
// cut into pages of 200 rows: a report can hold tens of thousands of them, a page must stay
// small. Each id links to where it is described (NVD for a CVE, GitHub for a GHSA, else OSV).
import { plural } from '../format.ts';
import { pager } from '../forms.ts';
import { attrs, html, type Html } from '../html.ts';

export interface VulnerabilityView {
  id: string;
  packageName: string;
  packageVersion: string;
  packageType?: string | undefined;
  fixedVersion?: string | undefined;
  severity: string;
  cvss?: number | undefined;
  title?: string | undefined;
  aliases?: readonly string[] | undefined;
}

export type VulnerabilitySort = 'severity' | 'cvss';
export const VULNERABILITY_SORTS: readonly VulnerabilitySort[] = ['severity', 'cvss'];
export const VULNERABILITIES_PER_PAGE = 200;

/** How the table is sorted and which page shows, and how to link to another (the page's URL). */
export interface VulnerabilityPaging {
  sort: VulnerabilitySort;
  /** 1-based. */
  page: number;
  href: (sort: VulnerabilitySort, page: number) => string;
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, negligible: 4, unknown: 5 };
const rank = (s: string) => SEVERITY_RANK[s] ?? 6;

/** Where a vulnerability id is described. */
export function advisoryUrl(id: string): string {
  if (/^CVE-\d{4}-\d+$/.test(id)) return `https://nvd.nist.gov/vuln/detail/${id}`;
  if (/^GHSA(-[0-9a-z]{4}){3}$/i.test(id)) return `https://github.com/advisories/${id}`;
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

const byId = (a: VulnerabilityView, b: VulnerabilityView) =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : a.packageName < b.packageName ? -1 : a.packageName > b.packageName ? 1 : 0;

/** The vulnerabilities in table order: most severe (or highest CVSS, unscored last) first. */
export function sortVulnerabilities<T extends VulnerabilityView>(vulns: readonly T[], sort: VulnerabilitySort): T[] {
  const bySeverity = (a: T, b: T) => rank(a.severity) - rank(b.severity);
  const byCvss = (a: T, b: T) => (b.cvss ?? -1) - (a.cvss ?? -1);
  return [...vulns].sort(
    sort === 'cvss' ? (a, b) => byCvss(a, b) || bySeverity(a, b) || byId(a, b) : (a, b) => bySeverity(a, b) || byCvss(a, b) || byId(a, b),
  );
}

function sortHeader(label: string, key: VulnerabilitySort, p: VulnerabilityPaging, numeric = false): Html {
  const current = p.sort === key;
  return html`<th${attrs({ scope: 'col', class: numeric ? 'num' : undefined, 'aria-sort': current ? 'descending' : undefined })}>
    ${current ? html`${label} <span class="muted">(sorted)</span>` : html`<a href="${p.href(key, 1)}">${label}</a>`}
  </th>`;
}

export function vulnerabilitiesSection(vulns: readonly VulnerabilityView[], p: VulnerabilityPaging): Html {
  if (vulns.length === 0) return html`<p>No known vulnerability.</p>`;
  const pages = Math.max(1, Math.ceil(vulns.length / VULNERABILITIES_PER_PAGE));
  const page = Math.min(Math.max(1, p.page), pages);
  const start = (page - 1) * VULNERABILITIES_PER_PAGE;
  const rows = sortVulnerabilities(vulns, p.sort).slice(start, start + VULNERABILITIES_PER_PAGE);
  return html`<p class="muted">
      ${plural(vulns.length, 'vulnerability', 'vulnerabilities')}${
        pages > 1
          ? `; rows ${(start + 1).toLocaleString('en-US')}–${(start + rows.length).toLocaleString('en-US')} (page ${page} of ${pages})`
          : ''
      }.
    </p>
    <div class="table-wrap" role="region" aria-label="Vulnerabilities" tabindex="0">
      <table id="vulnerabilities">
        <caption>
          Vulnerabilities, sorted by ${p.sort === 'cvss' ? 'CVSS score' : 'severity'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Id</th>
            ${sortHeader('Severity', 'severity', p)} ${sortHeader('CVSS', 'cvss', p, true)}
            <th scope="col">Package</th>
            <th scope="col">Installed</th>
            <th scope="col">Fixed in</th>
            <th scope="col" class="hide-narrow">Title</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (v) =>
              html`<tr data-finding="vulnerability">
                <th scope="row"><a href="${advisoryUrl(v.id)}" rel="noopener noreferrer">${v.id}</a></th>
                <td><span class="badge badge-${v.severity}">${v.severity}</span></td>
                <td class="num">${v.cvss !== undefined ? v.cvss.toFixed(1) : html`<span class="muted">—</span>`}</td>
                <td>${v.packageName}${v.packageType ? html` <small class="muted">${v.packageType}</small>` : ''}</td>
                <td><code>${v.packageVersion}</code></td>
                <td>${v.fixedVersion ? html`<code>${v.fixedVersion}</code>` : html`<span class="muted">no fix</span>`}</td>
                <td class="hide-narrow">${v.title ? (v.title.length > 160 ? `${v.title.slice(0, 159)}…` : v.title) : ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${pager({
      prev: page > 1 ? p.href(p.sort, page - 1) : undefined,
      next: page < pages ? p.href(p.sort, page + 1) : undefined,
      label: 'Vulnerability pages',
    })}`;
}
