// The page of one image digest: its verdict (every reason with its evidence, the trust summary,
// what signed statements excused, the policy versions, an index's platforms), then what its scan
// report found (report-*.ts), with the report's downloads. The verdict comes as plain data (the
// policy service turns its protobuf into this); the report as stored.
import { complianceBadge, plural, shortDigest, timeAgo } from '../format.ts';
import { html, type Html } from '../html.ts';
import { CONSOLE_PATH, type PageShell } from '../layout.ts';
import { imageUrl } from './images.ts';
import { imagePath, reportSections, type ReportView } from './report-sections.ts';
import type { VulnerabilityPaging } from './report-vulnerabilities.ts';

export interface EvidenceView {
  item: string;
  fields: Readonly<Record<string, string>>;
}

export interface ReasonView {
  policy: string;
  control: string;
  message: string;
  severity: string;
  remediation: string;
  auditOnly: boolean;
  evidence: readonly EvidenceView[];
  evidenceOmitted: number;
}

export interface SuppressionView {
  policy: string;
  control: string;
  item: string;
  by: string;
  status: string;
  justification: string;
  signer: string;
  attestation: string;
  /** by vex-document: the document (`file:…` or URL) and the statement in it. */
  document?: string;
  statement?: string;
}

export interface VerdictView {
  image: { registry: string; repository: string; tag: string; mediaType: string; platform: string };
  compliance: string;
  evaluatedAt?: string | undefined;
  scannedAt?: string | undefined;
  complianceSince?: string | undefined;
  vulnDbVersion: string;
  reportId: string;
  reasons: readonly ReasonView[];
  policies: ReadonlyArray<{ id: string; version: number }>;
  trust?: { signed: boolean; signers: readonly string[]; attestationKinds: readonly string[] } | undefined;
  suppressed: readonly SuppressionView[];
  suppressedOmitted: number;
  /** An index digest's platforms. */
  platforms: ReadonlyArray<{ platform: string; digest: string; compliance: string; reasons: number }>;
}

export interface ImagePageData {
  digest: string;
  verdict: VerdictView | undefined;
  report: ReportView | undefined;
  vulnerabilities: VulnerabilityPaging;
  now: Date;
}

const DIGEST_VALUE = /^sha256:[0-9a-f]{64}$/;

/** A field's value; a path made absolute, a digest shortened (the whole of it in the title). */
function fieldValue(key: string, v: string | undefined): Html | string {
  if (v === undefined) return '';
  if (key === 'path') return imagePath(v);
  return DIGEST_VALUE.test(v) ? html`<span class="digest" title="${v}">${shortDigest(v)}</span>` : v;
}

/**
 * Evidence as a table: the item, then every field any item has (first 8, in order of first use),
 * but for a field that only repeats the item (a vulnerability's `id`).
 */
function evidenceTable(r: ReasonView, n: number): Html {
  if (r.evidence.length === 0) return html``;
  const keys: string[] = [];
  for (const e of r.evidence) for (const k of Object.keys(e.fields)) if (!keys.includes(k) && keys.length < 8) keys.push(k);
  const shown = keys.filter((k) => !r.evidence.every((e) => e.fields[k] === e.item));
  return html`<div class="table-wrap" role="region" aria-label="${`Evidence ${n}: ${r.control}`}" tabindex="0">
    <table>
      <caption>
        Evidence${r.evidenceOmitted > 0 ? ` (${plural(r.evidenceOmitted, 'more finding')} not listed in the verdict)` : ''}
      </caption>
      <thead>
        <tr>
          <th scope="col">Item</th>
          ${shown.map((k) => html`<th scope="col">${k}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${r.evidence.map(
          (e) =>
            html`<tr>
              <th scope="row"><code>${e.item}</code></th>
              ${shown.map((k) => html`<td>${fieldValue(k, e.fields[k])}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** Where to excuse a reason's findings: the Exceptions page's form, prefilled. */
const exceptionUrl = (digest: string, control: string) =>
  `${CONSOLE_PATH}/exceptions?${new URLSearchParams({ digest, control }).toString()}`;

function reason(r: ReasonView, i: number, digest: string): Html {
  return html`<li class="reason${r.auditOnly ? ' audit-only' : ''}">
    <p>
      <strong>${r.control}</strong> · policy <a href="${CONSOLE_PATH}/policies/${encodeURIComponent(r.policy)}">${r.policy}</a>
      ${r.severity ? html` · <span class="badge badge-${r.severity}">${r.severity}</span>` : ''}
      ${r.auditOnly ? html` · <span class="badge badge-audit">audit only</span> (reported; does not make the image non-compliant)` : ''}
    </p>
    <p>${r.message}</p>
    ${r.remediation ? html`<p class="remediation"><strong>Remediation:</strong> ${r.remediation}</p>` : ''} ${evidenceTable(r, i + 1)}
    ${r.evidence.length === 0 && r.evidenceOmitted > 0 ? html`<p class="muted">${plural(r.evidenceOmitted, 'finding')} not listed in the verdict.</p>` : ''}
    <p><a href="${exceptionUrl(digest, r.control)}">Create an exception for this image's ${r.control} findings</a></p>
  </li>`;
}

function facts(d: ImagePageData, v: VerdictView | undefined): Html {
  const img = v?.image;
  return html`<dl class="facts">
    <dt>Digest</dt>
    <dd><code>${d.digest}</code></dd>
    ${
      img
        ? html`<dt>Repository</dt>
            <dd>${img.registry}/${img.repository}</dd>`
        : ''
    }
    ${
      img?.tag
        ? html`<dt>Tag</dt>
            <dd>${img.tag}</dd>`
        : ''
    }
    ${
      img?.platform
        ? html`<dt>Platform</dt>
            <dd>${img.platform}</dd>`
        : ''
    }
    ${
      img?.mediaType
        ? html`<dt>Media type</dt>
            <dd><code>${img.mediaType}</code></dd>`
        : ''
    }
    ${
      v
        ? html`<dt>Verdict</dt>
            <dd>${complianceBadge(v.compliance)}${v.complianceSince ? html` since ${timeAgo(v.complianceSince, d.now)}` : ''}</dd>
            <dt>Evaluated</dt>
            <dd>${timeAgo(v.evaluatedAt, d.now)}</dd>
            <dt>Scanned</dt>
            <dd>${timeAgo(v.scannedAt, d.now)}</dd>
            ${
              v.vulnDbVersion
                ? html`<dt>Vulnerability database</dt>
                    <dd>${v.vulnDbVersion}</dd>`
                : ''
            }
            <dt>Policy versions</dt>
            <dd>
              ${
                v.policies.length === 0
                  ? 'no policy applies to this image'
                  : v.policies.map(
                      (p, i) =>
                        html`${i > 0 ? ', ' : ''}<a href="${CONSOLE_PATH}/policies/${encodeURIComponent(p.id)}">${p.id}</a> v${p.version}`,
                    )
              }
            </dd>`
        : html`<dt>Verdict</dt>
            <dd>none yet</dd>`
    }
  </dl>`;
}

function trust(v: VerdictView): Html {
  const t = v.trust;
  if (!t) return html`<p>No trust information: the report was made before signatures were verified, or the scan failed.</p>`;
  return html`<dl class="facts">
    <dt>Signed</dt>
    <dd>${t.signed ? 'yes' : 'no usable signature'}</dd>
    <dt>Signers</dt>
    <dd>${t.signers.length ? t.signers.join(', ') : '—'}</dd>
    <dt>Attestations</dt>
    <dd>${t.attestationKinds.length ? t.attestationKinds.join(', ') : '—'}</dd>
  </dl>`;
}

function suppressions(v: VerdictView): Html {
  if (v.suppressed.length === 0) return html``;
  return html`<h3>Excused by VEX statements</h3>
    <div class="table-wrap" role="region" aria-label="Excused findings" tabindex="0">
      <table>
        <caption>
          Findings not counted because a trusted signer's statement or a VEX document the policy names excused
          them${v.suppressedOmitted > 0 ? ` (${plural(v.suppressedOmitted, 'more')} not listed)` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Policy / control</th>
            <th scope="col">Status</th>
            <th scope="col">Justification</th>
            <th scope="col">Signer or document</th>
            <th scope="col">Statement</th>
          </tr>
        </thead>
        <tbody>
          ${v.suppressed.map(
            (s) =>
              html`<tr>
                <th scope="row"><code>${s.item}</code></th>
                <td>${s.policy} / ${s.control}</td>
                <td>${s.by} ${s.status}</td>
                <td>${s.justification || '—'}</td>
                <td>${s.document || s.signer}</td>
                <td>
                  ${
                    s.document
                      ? s.statement || '—'
                      : html`<span class="digest" title="${s.attestation}">${s.attestation ? shortDigest(s.attestation) : '—'}</span>`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

function platforms(v: VerdictView): Html {
  if (v.platforms.length === 0) return html``;
  return html`<h3>Platforms of this index</h3>
    <div class="table-wrap" role="region" aria-label="Platforms" tabindex="0">
      <table>
        <caption>
          The platform images this index points to, each judged on its own
        </caption>
        <thead>
          <tr>
            <th scope="col">Platform</th>
            <th scope="col">Digest</th>
            <th scope="col">Verdict</th>
            <th scope="col" class="num">Reasons</th>
          </tr>
        </thead>
        <tbody>
          ${v.platforms.map(
            (p) =>
              html`<tr>
                <th scope="row"><a href="${imageUrl(p.digest)}">${p.platform || 'unknown platform'}</a></th>
                <td><span class="digest" title="${p.digest}">${shortDigest(p.digest)}</span></td>
                <td>${complianceBadge(p.compliance)}</td>
                <td class="num">${p.reasons}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

function verdictSection(v: VerdictView | undefined, digest: string): Html {
  if (!v) return html`<p>The policy service has not judged this image yet.</p>`;
  const blocking = v.reasons.filter((r) => !r.auditOnly).length;
  return html`<h3>Reasons</h3>
    ${
      v.reasons.length === 0
        ? html`<p>
            ${v.compliance === 'pending' ? 'Not judged yet: the scan is pending.' : 'No reason: every policy that applies is satisfied.'}
          </p>`
        : html`<p class="muted">${plural(blocking, 'blocking reason')}, ${plural(v.reasons.length - blocking, 'audit-only reason')}.</p>
            <ol class="reasons">
              ${v.reasons.map((r, i) => reason(r, i, digest))}
            </ol>`
    }
    ${platforms(v)}
    <h3>Trust</h3>
    ${trust(v)} ${suppressions(v)}`;
}

function downloads(digest: string): Html {
  const base = `${imageUrl(digest)}/report`;
  return html`<ul class="actions" aria-label="Downloads">
    <li><a class="button secondary" href="${base}.json" download>Report (JSON)</a></li>
    <li><a class="button secondary" href="${base}.cdx.json" download>SBOM (CycloneDX)</a></li>
    <li><a class="button secondary" href="${base}.sarif.json" download>Findings (SARIF)</a></li>
  </ul>`;
}

function reportSection(d: ImagePageData): Html {
  if (d.report) return html`${downloads(d.digest)} ${reportSections(d.report, d.vulnerabilities)}`;
  if (d.verdict && d.verdict.platforms.length > 0)
    return html`<p>An image index has no scan report of its own: each of its platforms (above) has one.</p>`;
  if (d.verdict?.compliance === 'error') return html`<p>The scan failed, so there is no report: see the reason above.</p>`;
  return html`<p>The scan is pending: no report yet. This page shows it once the scanner has finished.</p>`;
}

export function imagePage(d: ImagePageData): Pick<PageShell, 'title' | 'heading' | 'body'> {
  const v = d.verdict;
  const name = v?.image.repository ? `${v.image.repository}${v.image.tag ? `:${v.image.tag}` : ''}` : shortDigest(d.digest);
  return {
    title: `Image ${name}`,
    heading: html`${name} ${v ? html`<span data-verdict>${complianceBadge(v.compliance)}</span>` : ''}`,
    body: html`<p><a href="${CONSOLE_PATH}/images">← All images</a></p>
      ${facts(d, v)}
      <h2>Verdict</h2>
      ${verdictSection(v, d.digest)}
      <h2>Scan report</h2>
      ${reportSection(d)}`,
  };
}
