// What a scan report found, section by section: the summary counts, base image and OS, the
// vulnerabilities (report-vulnerabilities.ts), sensitive data, malware, licences, custom checks,
// the image configuration and the layers. Every list is capped so the page stays small whatever
// the report holds (the downloads have everything). Sensitive data is shown as the report keeps
// it: rule, place and the masked match, never more; of the configuration only named facts are
// shown (environment variable names, never their values).
import { plural, shortDigest } from '../format.ts';
import { html, type Html } from '../html.ts';
import { vulnerabilitiesSection, type VulnerabilityPaging, type VulnerabilityView } from './report-vulnerabilities.ts';

/** Rows each secondary list shows at most. */
export const LIST_CAP = 100;

export interface ReportView {
  reportId: string;
  scannedAt: Date | string;
  vulnDbVersion?: string | undefined;
  os?: { family: string; name?: string | undefined; version?: string | undefined } | undefined;
  baseImage?: string | undefined;
  layers: ReadonlyArray<{ digest: string; size: number; createdBy?: string | undefined }>;
  packages: readonly unknown[];
  vulnerabilities: readonly VulnerabilityView[];
  sensitiveData?:
    | ReadonlyArray<{
        rule: string;
        category?: string | undefined;
        severity: string;
        path: string;
        layerDigest?: string | undefined;
        line?: number | undefined;
        masked: string;
      }>
    | undefined;
  malware?: ReadonlyArray<{ name: string; path: string; layerDigest?: string | undefined }> | undefined;
  licences?: ReadonlyArray<{ package: string; licence: string; category?: string | undefined }> | undefined;
  checks?: ReadonlyArray<{ id: string; passed: boolean; message?: string | undefined }> | undefined;
  config?: Readonly<Record<string, unknown>> | undefined;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
const SEVERITY_RANK: Record<string, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));

/** A path in the image as people read it: absolute (reports keep paths relative to the root). */
export const imagePath = (path: string) => (path.startsWith('/') ? path : `/${path}`);
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const num = (n: number) => n.toLocaleString('en-US');

/** `12.3 MB`, `640 kB`, `512 B`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} B`;
}

function layer(digest: string | undefined): Html {
  return digest ? html`<span class="digest" title="${digest}">${shortDigest(digest)}</span>` : html`<span class="muted">—</span>`;
}

/** A note under a capped list. */
function more(total: number, shown: number, what: string): Html {
  return total > shown
    ? html`<p class="muted">${plural(total - shown, `more ${what}`)} not shown: download the report for all of them.</p>`
    : html``;
}

function summary(r: ReportView): Html {
  const counts: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const v of r.vulnerabilities) counts[v.severity] = (counts[v.severity] ?? 0) + 1;
  const os = r.os ? [r.os.name || r.os.family, r.os.version].filter(Boolean).join(' ') : undefined;
  return html`<dl class="facts">
    <dt>Scanned</dt>
    <dd>${r.scannedAt instanceof Date ? r.scannedAt.toISOString() : r.scannedAt} (report <code>${r.reportId}</code>)</dd>
    ${
      r.vulnDbVersion
        ? html`<dt>Vulnerability database</dt>
            <dd>${r.vulnDbVersion}</dd>`
        : ''
    }
    <dt>Operating system</dt>
    <dd>${os || html`<span class="muted">not detected</span>`}</dd>
    <dt>Base image</dt>
    <dd>${r.baseImage || html`<span class="muted">not known</span>`}</dd>
    <dt>Packages</dt>
    <dd>${num(r.packages.length)}</dd>
    <dt>Vulnerabilities</dt>
    <dd>
      ${num(r.vulnerabilities.length)}${
        r.vulnerabilities.length > 0
          ? html`: ${SEVERITIES.filter((s) => counts[s]).map((s, i) => html`${i > 0 ? ', ' : ''}${num(counts[s]!)} ${s}`)}`
          : ''
      }
    </dd>
    <dt>Sensitive data</dt>
    <dd>${num(r.sensitiveData?.length ?? 0)}</dd>
    <dt>Malware</dt>
    <dd>${r.malware ? num(r.malware.length) : html`<span class="muted">not looked for</span>`}</dd>
    <dt>Licence findings</dt>
    <dd>${num(r.licences?.length ?? 0)}</dd>
    <dt>Custom checks</dt>
    <dd>
      ${r.checks ? `${num(r.checks.filter((c) => !c.passed).length)} failed of ${num(r.checks.length)}` : html`<span class="muted">none</span>`}
    </dd>
  </dl>`;
}

function sensitive(r: ReportView): Html {
  const all = [...(r.sensitiveData ?? [])].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9));
  if (all.length === 0) return html`<p>No sensitive data found.</p>`;
  const rows = all.slice(0, LIST_CAP);
  return html`<div class="table-wrap" role="region" aria-label="Sensitive data" tabindex="0">
      <table id="sensitive-data">
        <caption>
          Sensitive data (the secret part of each match masked)
        </caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Category</th>
            <th scope="col">Severity</th>
            <th scope="col">Path</th>
            <th scope="col" class="num">Line</th>
            <th scope="col">Layer</th>
            <th scope="col">Match (masked)</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (s) =>
              html`<tr data-finding="sensitive">
                <th scope="row">${s.rule}</th>
                <td>${s.category ?? '—'}</td>
                <td><span class="badge badge-${s.severity}">${s.severity}</span></td>
                <td><code>${imagePath(s.path)}</code></td>
                <td class="num">${s.line ?? '—'}</td>
                <td>${layer(s.layerDigest)}</td>
                <td><code>${cut(s.masked, 120)}</code></td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${more(all.length, rows.length, 'finding')}`;
}

function malware(r: ReportView): Html {
  if (!r.malware) return html`<p>Malware was not looked for in this scan.</p>`;
  if (r.malware.length === 0) return html`<p>No malware found.</p>`;
  const rows = r.malware.slice(0, LIST_CAP);
  return html`<div class="table-wrap" role="region" aria-label="Malware" tabindex="0">
      <table>
        <caption>
          Malware
        </caption>
        <thead>
          <tr>
            <th scope="col">Signature</th>
            <th scope="col">Path</th>
            <th scope="col">Layer</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (m) =>
              html`<tr data-finding="malware">
                <th scope="row">${m.name}</th>
                <td><code>${imagePath(m.path)}</code></td>
                <td>${layer(m.layerDigest)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${more(r.malware.length, rows.length, 'finding')}`;
}

function licences(r: ReportView): Html {
  const all = r.licences ?? [];
  if (all.length === 0) return html`<p>No licence finding.</p>`;
  const rows = all.slice(0, LIST_CAP);
  return html`<div class="table-wrap" role="region" aria-label="Licence findings" tabindex="0">
      <table>
        <caption>
          Licence findings
        </caption>
        <thead>
          <tr>
            <th scope="col">Package</th>
            <th scope="col">Licence</th>
            <th scope="col">Category</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (l) =>
              html`<tr>
                <th scope="row">${l.package}</th>
                <td>${l.licence}</td>
                <td>${l.category ?? '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${more(all.length, rows.length, 'licence finding')}`;
}

function checks(r: ReportView): Html {
  const all = [...(r.checks ?? [])].sort((a, b) => Number(a.passed) - Number(b.passed));
  if (all.length === 0) return html`<p>No custom check ran.</p>`;
  const rows = all.slice(0, LIST_CAP);
  return html`<div class="table-wrap" role="region" aria-label="Custom checks" tabindex="0">
      <table>
        <caption>
          Custom checks, failures first
        </caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Result</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (c) =>
              html`<tr>
                <th scope="row"><code>${c.id}</code></th>
                <td>
                  ${c.passed ? html`<span class="badge badge-compliant">passed</span>` : html`<span class="badge badge-error">failed</span>`}
                </td>
                <td>${c.message ? cut(c.message, 300) : ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${more(all.length, rows.length, 'check')}`;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The configuration's named facts; anything else it holds is left to the download. */
function config(r: ReportView): Html {
  const c = r.config;
  if (!c) return html`<p>No configuration recorded.</p>`;
  const user = str(c.user);
  const platform = [str(c.os), str(c.architecture), str(c.variant)].filter(Boolean).join('/');
  const labels = c.labels && typeof c.labels === 'object' ? Object.entries(c.labels as Record<string, unknown>) : [];
  const list = (xs: string[], n = 50) =>
    xs.length ? html`<code>${cut(xs.slice(0, n).join(' '), 500)}</code>${xs.length > n ? ` (+${xs.length - n})` : ''}` : '—';
  const fact = (label: string, value: Html | string | undefined) =>
    value === undefined
      ? ''
      : html`<dt>${label}</dt>
          <dd>${value}</dd>`;
  return html`<dl class="facts">
    ${fact('User', user ? user : 'not set (runs as root)')}
    ${fact('Runs as root', typeof c.runsAsRoot === 'boolean' ? (c.runsAsRoot ? 'yes' : 'no') : undefined)}
    ${fact('Platform', platform || undefined)} ${fact('Created', str(c.created))}
    ${fact('Entrypoint', strings(c.entrypoint).length ? list(strings(c.entrypoint)) : undefined)}
    ${fact('Command', strings(c.cmd).length ? list(strings(c.cmd)) : undefined)} ${fact('Working directory', str(c.workingDir))}
    ${fact('Exposed ports', strings(c.exposedPorts).length ? list(strings(c.exposedPorts)) : undefined)}
    ${fact('Volumes', strings(c.volumes).length ? list(strings(c.volumes)) : undefined)}
    ${fact('Environment variables (names)', strings(c.envNames).length ? list(strings(c.envNames)) : undefined)}
    ${fact('Stop signal', str(c.stopSignal))}
    ${fact(
      'Labels',
      labels.length
        ? html`${labels.slice(0, 30).map(([k, v]) => html`<code>${cut(k, 100)}=${cut(typeof v === 'string' ? v : '', 200)}</code><br />`)}${
            labels.length > 30 ? ` (+${labels.length - 30})` : ''
          }`
        : undefined,
    )}
  </dl>`;
}

function layers(r: ReportView): Html {
  if (r.layers.length === 0) return html`<p>No layer recorded.</p>`;
  const rows = r.layers.slice(0, LIST_CAP);
  return html`<div class="table-wrap" role="region" aria-label="Layers" tabindex="0">
      <table>
        <caption>
          Layers, base first
        </caption>
        <thead>
          <tr>
            <th scope="col" class="num">#</th>
            <th scope="col">Digest</th>
            <th scope="col" class="num">Size</th>
            <th scope="col">Created by</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (l, i) =>
              html`<tr>
                <th scope="row" class="num">${i + 1}</th>
                <td>${layer(l.digest)}</td>
                <td class="num">${formatSize(l.size)}</td>
                <td><code>${l.createdBy ? cut(l.createdBy, 200) : '—'}</code></td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${more(r.layers.length, rows.length, 'layer')}`;
}

export function reportSections(r: ReportView, paging: VulnerabilityPaging): Html {
  return html`${summary(r)}
    <h3 id="h-vulnerabilities">Vulnerabilities</h3>
    ${vulnerabilitiesSection(r.vulnerabilities, paging)}
    <h3>Sensitive data</h3>
    ${sensitive(r)}
    <h3>Malware</h3>
    ${malware(r)}
    <h3>Licences</h3>
    ${licences(r)}
    <h3>Custom checks</h3>
    ${checks(r)}
    <h3>Configuration</h3>
    ${config(r)}
    <h3>Layers</h3>
    ${layers(r)}`;
}
