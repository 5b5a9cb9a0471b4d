// The Overview: how many images are known and how they stand (each count a link to the Images
// page filtered to it), what fails most (controls, CVEs), the latest admission denials, and the
// non-compliant workloads running now (with the Kubernetes integration).
import { plural, shortDigest, timeAgo } from '../format.ts';
import { html, type Html } from '../html.ts';
import { CONSOLE_PATH, type PageShell } from '../layout.ts';
import { imagesUrl, imageUrl } from './images.ts';

export interface OverviewStats {
  total: number;
  byCompliance: Readonly<Record<string, number>>;
  topControls: ReadonlyArray<{ control: string; images: number }>;
  topVulnerabilities: ReadonlyArray<{ id: string; images: number }>;
}

/** A denied admission request, as the overview lists it. */
export interface DenialRow {
  at: string;
  namespace: string;
  kind: string;
  name: string;
  message: string;
  dryRun: boolean;
  images: ReadonlyArray<{ image: string; digest: string; allowed: boolean }>;
}

/** A workload running an image whose verdict is non-compliant. */
export interface RunningRow {
  namespace: string;
  kind: string;
  name: string;
  pods: number;
  image: string;
  digest: string;
  /** Its verdict's failing controls. */
  controls: readonly string[];
}

export interface OverviewData {
  stats: OverviewStats;
  /** Recent denials; undefined when this deployment records no decisions. */
  denials: readonly DenialRow[] | undefined;
  /** Running non-compliant workloads; undefined without the Kubernetes integration. */
  running: { rows: readonly RunningRow[]; total: number } | undefined;
  now: Date;
}

function card(label: string, n: number, href: string): Html {
  return html`<li class="card">
    <a href="${href}"><span class="n">${n.toLocaleString('en-US')}</span> ${label}</a>
  </li>`;
}

function topControls(s: OverviewStats): Html {
  if (s.topControls.length === 0) return html`<p>No non-compliant image.</p>`;
  return html`<div class="table-wrap" role="region" aria-label="Top failing controls" tabindex="0">
    <table>
      <caption>
        Controls failing the most images
      </caption>
      <thead>
        <tr>
          <th scope="col">Control</th>
          <th scope="col" class="num">Non-compliant images</th>
        </tr>
      </thead>
      <tbody>
        ${s.topControls.map(
          (c) =>
            html`<tr>
              <th scope="row"><a href="${imagesUrl({ compliance: 'non_compliant', control: c.control })}">${c.control}</a></th>
              <td class="num">${c.images.toLocaleString('en-US')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function topVulnerabilities(s: OverviewStats): Html {
  if (s.topVulnerabilities.length === 0) return html`<p>No vulnerability makes an image non-compliant.</p>`;
  return html`<div class="table-wrap" role="region" aria-label="Top vulnerabilities" tabindex="0">
    <table>
      <caption>
        Vulnerabilities in the most non-compliant images
      </caption>
      <thead>
        <tr>
          <th scope="col">Vulnerability</th>
          <th scope="col" class="num">Non-compliant images</th>
        </tr>
      </thead>
      <tbody>
        ${s.topVulnerabilities.map(
          (v) =>
            html`<tr>
              <th scope="row"><a href="${imagesUrl({ compliance: 'non_compliant', q: v.id })}">${v.id}</a></th>
              <td class="num">${v.images.toLocaleString('en-US')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function denials(rows: readonly DenialRow[] | undefined, now: Date): Html {
  if (!rows || rows.length === 0) return html`<p>No decisions recorded.</p>`;
  return html`<div class="table-wrap" role="region" aria-label="Recent denials" tabindex="0">
      <table>
        <caption>
          The latest denied admission requests
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Object</th>
            <th scope="col">Refused images</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (d) =>
              html`<tr>
                <td>${timeAgo(d.at, now)}${d.dryRun ? html` <span class="badge badge-dry-run">dry run</span>` : ''}</td>
                <th scope="row">${d.kind} <strong>${d.namespace}/${d.name}</strong></th>
                <td>
                  ${d.images
                    .filter((i) => !i.allowed)
                    .slice(0, 5)
                    .map((i) => html`<div>${i.digest ? html`<a href="${imageUrl(i.digest)}">${i.image}</a>` : i.image}</div>`)}
                </td>
                <td class="wrap">${d.message.length > 300 ? `${d.message.slice(0, 299)}…` : d.message}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p><a href="${CONSOLE_PATH}/decisions?outcome=denied">All denials</a></p>`;
}

function running(r: OverviewData['running']): Html {
  if (!r) return html``;
  const body =
    r.rows.length === 0
      ? html`<p>No running workload uses a non-compliant image.</p>`
      : html`<div class="table-wrap" role="region" aria-label="Running non-compliant workloads" tabindex="0">
            <table>
              <caption>
                Workloads running a non-compliant image
              </caption>
              <thead>
                <tr>
                  <th scope="col">Workload</th>
                  <th scope="col" class="num">Pods</th>
                  <th scope="col">Image</th>
                  <th scope="col">Failing controls</th>
                </tr>
              </thead>
              <tbody>
                ${r.rows.map(
                  (w) =>
                    html`<tr>
                      <th scope="row">${w.kind} <strong>${w.namespace}/${w.name}</strong></th>
                      <td class="num">${w.pods}</td>
                      <td><a href="${imageUrl(w.digest)}">${w.image}</a> <span class="digest muted">${shortDigest(w.digest)}</span></td>
                      <td>${w.controls.join(', ') || '—'}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>
          ${r.total > r.rows.length ? html`<p class="muted">${plural(r.total - r.rows.length, 'more workload')} not shown.</p>` : ''}`;
  return html`<h2>Running non-compliant workloads</h2>
    ${body}`;
}

export function overviewPage(d: OverviewData): Pick<PageShell, 'title' | 'body'> {
  const s = d.stats;
  const n = (k: string) => s.byCompliance[k] ?? 0;
  return {
    title: 'Overview',
    body: html`<ul class="cards" aria-label="Images by verdict">
        ${card(s.total === 1 ? 'image known' : 'images known', s.total, imagesUrl({}))}
        ${card('compliant', n('compliant'), imagesUrl({ compliance: 'compliant' }))}
        ${card('non-compliant', n('non_compliant'), imagesUrl({ compliance: 'non_compliant' }))}
        ${card('pending', n('pending'), imagesUrl({ compliance: 'pending' }))}
        ${card('scan failed', n('error'), imagesUrl({ compliance: 'error' }))}
      </ul>
      <div class="columns">
        <section aria-labelledby="h-controls">
          <h2 id="h-controls">Top failing controls</h2>
          ${topControls(s)}
        </section>
        <section aria-labelledby="h-cves">
          <h2 id="h-cves">Top vulnerabilities</h2>
          ${topVulnerabilities(s)}
        </section>
      </div>
      <h2>Recent denials</h2>
      ${denials(d.denials, d.now)} ${running(d.running)}`,
  };
}
