// The Policies and Runtime policies lists: every policy's current version, what it does, where
// it applies, who changed it last and who manages it (the API, or a Kubernetes resource whose
// edits belong in Kubernetes), with the images judged under each image policy.
import type { ImageAssurancePolicy, RuntimePolicy } from '@assay/domain';
import { plural, timeAgo } from '../format.ts';
import { pager } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { CONSOLE_PATH, type PageShell } from '../layout.ts';

/** The two kinds of policy the console edits: where their pages are and what people call them. */
export type PolicyKind = 'image' | 'runtime';

export const POLICY_KINDS: Readonly<Record<PolicyKind, { base: string; noun: string; plural: string; title: string }>> = {
  image: { base: `${CONSOLE_PATH}/policies`, noun: 'policy', plural: 'policies', title: 'Policies' },
  runtime: { base: `${CONSOLE_PATH}/runtime-policies`, noun: 'runtime policy', plural: 'runtime policies', title: 'Runtime policies' },
};

/** A policy's page (its form). */
export function policyUrl(kind: PolicyKind, id: string): string {
  return `${POLICY_KINDS[kind].base}/${encodeURIComponent(id)}`;
}

/** Who manages a policy: the API (and the console), or a Kubernetes resource (`imageassurancepolicies/x`). */
export interface ManagedByView {
  by: 'api' | 'kubernetes';
  /** The resource, as kubectl names it, when Kubernetes manages the policy. */
  resource?: string | undefined;
}

export function managedByText(m: ManagedByView): Html {
  return m.by === 'kubernetes' ? html`Kubernetes <code>${m.resource ?? ''}</code>` : html`API`;
}

interface RowCommon {
  id: string;
  version: number;
  updatedBy: string;
  updatedAt: string;
  managedBy: ManagedByView;
}

export interface PolicyRow extends RowCommon {
  document: ImageAssurancePolicy;
  /** Images judged under the policy by their current verdicts (absent when not counted). */
  images?: { compliant: number; nonCompliant: number } | undefined;
}

export interface RuntimePolicyRow extends RowCommon {
  document: RuntimePolicy;
}

export interface PoliciesPageData<R> {
  rows: readonly R[];
  /** The `after` of the next page. */
  next?: string | undefined;
  /** Whether this is a later page. */
  continued: boolean;
  now: Date;
}

const list = (xs: readonly string[] | undefined) => (xs && xs.length > 0 ? xs.join(', ') : undefined);

/** Where an image policy applies, in a line. */
export function imageScopeSummary(scope: ImageAssurancePolicy['scope']): string {
  const parts = [
    list(scope?.registries) && `registries ${list(scope?.registries)}`,
    list(scope?.repositories) && `repositories ${list(scope?.repositories)}`,
    scope?.labels && Object.keys(scope.labels).length > 0
      ? `labels ${Object.entries(scope.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'every image';
}

/** Where a runtime policy applies, in a line. */
export function runtimeScopeSummary(scope: RuntimePolicy['scope']): string {
  const labels = (l: Record<string, string> | undefined) =>
    l && Object.keys(l).length > 0
      ? Object.entries(l)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')
      : undefined;
  return [
    `namespaces ${scope.namespaces.join(', ')}`,
    list(scope.clusters) && `clusters ${list(scope.clusters)}`,
    labels(scope.labels) && `workload labels ${labels(scope.labels)}`,
    labels(scope.namespaceLabels) && `namespace labels ${labels(scope.namespaceLabels)}`,
  ]
    .filter(Boolean)
    .join('; ');
}

/** Who manages a listed policy; one Kubernetes manages is edited there, not here. */
function managedBy(m: ManagedByView): Html {
  return m.by === 'kubernetes' ? html`${managedByText(m)} <span class="muted">(edit it in Kubernetes)</span>` : managedByText(m);
}

function enabledText(on: boolean): Html {
  return on ? html`<span class="badge badge-allowed">enabled</span>` : html`<span class="badge badge-unknown">disabled</span>`;
}

function updated(r: RowCommon, now: Date): Html {
  return html`v${r.version}, ${r.updatedBy}, ${timeAgo(r.updatedAt, now)}`;
}

function pages(kind: PolicyKind, d: PoliciesPageData<unknown>): Html {
  return pager({
    prev: d.continued ? POLICY_KINDS[kind].base : undefined,
    next: d.next ? `${POLICY_KINDS[kind].base}?after=${encodeURIComponent(d.next)}` : undefined,
    label: `${POLICY_KINDS[kind].title} pages`,
  });
}

function imageCounts(images: PolicyRow['images']): Html {
  if (!images) return html`<span class="muted">—</span>`;
  return html`${images.compliant.toLocaleString('en-US')} compliant, ${images.nonCompliant.toLocaleString('en-US')} non-compliant`;
}

function listHead(kind: PolicyKind, count: number): Html {
  const k = POLICY_KINDS[kind];
  return html`<div class="actions">
    <a class="button" href="${k.base}/new">New ${k.noun}</a>
    <span class="muted">${count === 0 ? `No ${k.plural} yet.` : ''}</span>
  </div>`;
}

export function policiesPage(d: PoliciesPageData<PolicyRow>): Pick<PageShell, 'title' | 'body'> {
  const rows = d.rows.map(
    (r) =>
      html`<tr>
        <th scope="row"><a href="${policyUrl('image', r.id)}">${r.document.name}</a><br /><code class="muted">${r.id}</code></th>
        <td>${enabledText(r.document.enabled)}</td>
        <td><span class="badge badge-${r.document.action === 'block' ? 'denied' : 'audit'}">${r.document.action}</span></td>
        <td>${imageScopeSummary(r.document.scope)}</td>
        <td>${imageCounts(r.images)}</td>
        <td>${updated(r, d.now)}</td>
        <td>${managedBy(r.managedBy)}</td>
      </tr>`,
  );
  return {
    title: 'Policies',
    body: html`<p>Image assurance policies: what an image must satisfy to be compliant.</p>
      ${listHead('image', d.rows.length)}
      ${
        d.rows.length > 0
          ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Policies">
              <table>
                <caption>
                  ${plural(d.rows.length, 'policy', 'policies')}${d.next || d.continued ? ' on this page' : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Action</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Images</th>
                    <th scope="col">Current version</th>
                    <th scope="col">Managed by</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
            </div>`
          : ''
      }
      ${pages('image', d)}`,
  };
}

export function runtimePoliciesPage(d: PoliciesPageData<RuntimePolicyRow>): Pick<PageShell, 'title' | 'body'> {
  const rows = d.rows.map(
    (r) =>
      html`<tr>
        <th scope="row"><a href="${policyUrl('runtime', r.id)}">${r.document.name}</a><br /><code class="muted">${r.id}</code></th>
        <td>${enabledText(r.document.enabled)}</td>
        <td>
          <span
            class="badge badge-${r.document.enforcement === 'enforce' ? 'denied' : r.document.enforcement === 'warn' ? 'warned' : 'audit'}"
            >${r.document.enforcement}</span
          >
        </td>
        <td>${runtimeScopeSummary(r.document.scope)}</td>
        <td>
          ${
            r.document.imagePolicies.length > 0
              ? r.document.imagePolicies.map((id, i) => html`${i > 0 ? ', ' : ''}<a href="${policyUrl('image', id)}">${id}</a>`)
              : html`<span class="muted">none</span>`
          }
        </td>
        <td>${updated(r, d.now)}</td>
        <td>${managedBy(r.managedBy)}</td>
      </tr>`,
  );
  return {
    title: 'Runtime policies',
    body: html`<p>Runtime policies: which namespaces admission checks, against which image policies, and what it does with what fails.</p>
      ${listHead('runtime', d.rows.length)}
      ${
        d.rows.length > 0
          ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Runtime policies">
              <table>
                <caption>
                  ${plural(d.rows.length, 'runtime policy', 'runtime policies')}${d.next || d.continued ? ' on this page' : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Enforcement</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Image policies</th>
                    <th scope="col">Current version</th>
                    <th scope="col">Managed by</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
            </div>`
          : ''
      }
      ${pages('runtime', d)}`,
  };
}
