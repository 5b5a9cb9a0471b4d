// The Exceptions page: the exceptions in force (what each excuses, why, who made it, how long it
// has left, whether it is break-glass), each with a revoke form; the expired ones apart; and the
// form that creates one, its errors shown next to the fields the policy service named.
import { plural, shortDigest, timeAgo, timeLeft } from '../format.ts';
import { csrfField, field, formErrors, selectField, switchField, textareaField, type FieldErrors } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { CONSOLE_PATH, type PageShell } from '../layout.ts';

export interface ExceptionRow {
  id: string;
  scope: {
    policyId?: string | undefined;
    control?: string | undefined;
    registry?: string | undefined;
    repository?: string | undefined;
    digest?: string | undefined;
    items?: readonly string[] | undefined;
    namespaces?: readonly string[] | undefined;
  };
  reason: string;
  createdBy: string;
  /** ISO-8601. */
  createdAt: string;
  expiresAt: string;
  breakGlass: boolean;
}

/** The create form's values, as typed (lists one entry per line). */
export interface ExceptionFormValues {
  id: string;
  policyId: string;
  control: string;
  registry: string;
  repository: string;
  digest: string;
  items: string;
  namespaces: string;
  reason: string;
  /** One of EXPIRY_CHOICES' values. */
  expiresIn: string;
  /** `YYYY-MM-DDTHH:MM` (UTC), used when expiresIn is `date`. */
  expiresAt: string;
  breakGlass: boolean;
}

export interface ExceptionsPageData {
  active: readonly ExceptionRow[];
  /** Cursor of the next page of exceptions in force; whether this is a later one. */
  activeNext?: string | undefined;
  activeContinued: boolean;
  expired: readonly ExceptionRow[];
  expiredNext?: string | undefined;
  expiredContinued: boolean;
  /** Image assurance policies the form offers, as [id, label]. */
  policies: ReadonlyArray<readonly [string, string]>;
  controls: readonly string[];
  form: ExceptionFormValues;
  /** Errors by form field name (`reason`, `items`, `scope` for the scope as a whole). */
  errors?: FieldErrors | undefined;
  /** The form before the lists: prefilled from an image's page, or sent back with errors. */
  formFirst: boolean;
  csrf: string;
  now: Date;
}

/** How long a new exception lasts: [value, label]; `date` uses the date field. */
export const EXPIRY_CHOICES: ReadonlyArray<readonly [string, string]> = [
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['date', 'Until the date below'],
];

/** The form fields the page renders (errors for other paths are listed above the form). */
export const EXCEPTION_FORM_FIELDS: readonly string[] = [
  'id',
  'policyId',
  'control',
  'registry',
  'repository',
  'digest',
  'items',
  'namespaces',
  'reason',
  'expiresIn',
  'expiresAt',
  'breakGlass',
  'scope',
];

const PAGE = `${CONSOLE_PATH}/exceptions`;

function scopeFacts(s: ExceptionRow['scope']): Html {
  const items = s.items ?? [];
  const facts: Array<[string, Html | string]> = [];
  facts.push(['Policy', s.policyId ?? html`<span class="muted">any</span>`]);
  if (s.control) facts.push(['Control', s.control]);
  if (s.registry) facts.push(['Registry', html`<span class="mono">${s.registry}</span>`]);
  if (s.repository) facts.push(['Repository', html`<span class="mono">${s.repository}</span>`]);
  if (s.digest) {
    facts.push([
      'Digest',
      html`<a class="digest" href="${CONSOLE_PATH}/images/${encodeURIComponent(s.digest)}" title="${s.digest}"
        >${shortDigest(s.digest)}</a
      >`,
    ]);
  }
  if (items.length > 0) {
    facts.push([
      'Items',
      html`${items.slice(0, 10).map((x, i) => html`${i > 0 ? ', ' : ''}<code>${x}</code>`)}${
        items.length > 10 ? html` <span class="muted">(+${items.length - 10} more)</span>` : ''
      }`,
    ]);
  } else facts.push(['Items', html`<span class="muted">all</span>`]);
  if (s.namespaces && s.namespaces.length > 0) {
    facts.push(['Namespaces', html`${s.namespaces.map((x, i) => html`${i > 0 ? ', ' : ''}<code>${x}</code>`)}`]);
  }
  return html`<dl class="facts">
    ${facts.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v}</dd>`,
    )}
  </dl>`;
}

/** First / next links (ids and expiry order page forwards only). */
function pages(first: string | undefined, next: string | undefined, label: string): Html {
  if (!first && !next) return html``;
  return html`<nav class="pager" aria-label="${label}">
    ${first ? html`<a href="${first}">← First page</a>` : ''} ${next ? html`<a rel="next" href="${next}">Next →</a>` : ''}
  </nav>`;
}

function revokeForm(e: ExceptionRow, csrf: string, expired: boolean): Html {
  const verb = expired ? 'Delete' : 'Revoke';
  const confirm = expired
    ? `Delete the expired exception ${e.id}? Its history is kept.`
    : `Revoke exception ${e.id}? Images it excuses are judged again without it${e.breakGlass ? ', and admission stops letting them in' : ''}.`;
  return html`<form method="post" action="${PAGE}/${encodeURIComponent(e.id)}/revoke" data-confirm="${confirm}">
    ${csrfField(csrf)}
    <button type="submit" class="danger" aria-label="${verb} ${e.id}">${verb}</button>
  </form>`;
}

function table(rows: readonly ExceptionRow[], d: ExceptionsPageData, expired: boolean): Html {
  return html`<div class="table-wrap" role="region" aria-label="${expired ? 'Expired exceptions' : 'Exceptions in force'}" tabindex="0">
    <table>
      <caption>
        ${expired ? 'Expired exceptions, by expiry' : 'Exceptions in force, by id'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Id</th>
          <th scope="col">Excuses</th>
          <th scope="col">Reason</th>
          <th scope="col">Created</th>
          <th scope="col">${expired ? 'Expired' : 'Expires'}</th>
          <th scope="col"><span class="hide-narrow">Action</span></th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (e) =>
            html`<tr>
              <th scope="row">
                <span class="mono">${e.id}</span>
                ${e.breakGlass ? html`<br /><span class="badge badge-warned" title="Admission lets matching images in whatever their verdict">break-glass</span>` : ''}
              </th>
              <td class="wrap">${scopeFacts(e.scope)}</td>
              <td class="wrap">${e.reason}</td>
              <td>${e.createdBy}<br /><small>${timeAgo(e.createdAt, d.now)}</small></td>
              <td>${timeLeft(e.expiresAt, d.now)}</td>
              <td>${revokeForm(e, d.csrf, expired)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function createForm(d: ExceptionsPageData): Html {
  const f = d.form;
  const errors = d.errors;
  const shown = new Set(EXCEPTION_FORM_FIELDS);
  const scopeError = errors?.get('scope');
  const policyOptions: Array<readonly [string, string]> = [['', 'Any policy'], ...d.policies];
  if (f.policyId && !d.policies.some(([id]) => id === f.policyId)) policyOptions.push([f.policyId, `${f.policyId} (not found)`]);
  return html`<section id="new" aria-labelledby="new-heading">
    <h2 id="new-heading">New exception</h2>
    <form method="post" action="${PAGE}">
      ${csrfField(d.csrf)} ${formErrors(errors, shown)}
      ${field({ label: 'Id', name: 'id', value: f.id, required: true, errors, hint: 'Letters, digits and . _ : - (up to 200)' })}
      <fieldset ${scopeError ? html`aria-describedby="f-scope-error"` : ''}>
        <legend>What it excuses</legend>
        ${scopeError ? html`<p id="f-scope-error" class="field-error">${scopeError}</p>` : ''}
        <p class="hint">At least one of these. Every field given must match for the exception to apply.</p>
        ${selectField({ label: 'Image assurance policy', name: 'policyId', value: f.policyId, options: policyOptions, errors })}
        ${selectField({
          label: 'Control',
          name: 'control',
          value: f.control,
          options: [['', 'Any control'], ...d.controls.map((c) => [c, c] as const)],
          errors,
        })}
        ${field({ label: 'Registry', name: 'registry', value: f.registry, placeholder: 'registry.example.com', errors, hint: 'A glob' })}
        ${field({ label: 'Repository', name: 'repository', value: f.repository, placeholder: 'team-a/*', errors, hint: 'A glob within the registry' })}
        ${field({ label: 'Digest', name: 'digest', value: f.digest, placeholder: 'sha256:…', errors, hint: 'One image only' })}
        ${textareaField({
          label: 'Items',
          name: 'items',
          value: f.items,
          monospace: true,
          errors,
          hint: 'Vulnerability ids, package names or rule ids, one per line; every finding of the control when empty',
        })}
      </fieldset>
      <fieldset>
        <legend>Break-glass</legend>
        ${switchField({
          label: 'Break-glass',
          name: 'breakGlass',
          checked: f.breakGlass,
          errors,
          hint: 'Admission lets matching images in whatever their verdict; each admission is audited with this exception id',
        })}
        ${textareaField({
          label: 'Namespaces',
          name: 'namespaces',
          value: f.namespaces,
          monospace: true,
          errors,
          hint: 'Namespace globs, one per line, where break-glass applies',
        })}
      </fieldset>
      ${textareaField({ label: 'Reason', name: 'reason', value: f.reason, required: true, errors, hint: 'Why, and what will end it' })}
      <fieldset>
        <legend>Expiry</legend>
        ${selectField({ label: 'Lasts', name: 'expiresIn', value: f.expiresIn, options: EXPIRY_CHOICES, errors })}
        ${field({ label: 'Expires at (UTC)', name: 'expiresAt', type: 'datetime-local', value: f.expiresAt, errors, hint: 'Used when “Until the date below” is chosen' })}
      </fieldset>
      <div class="actions"><button type="submit">Create exception</button></div>
    </form>
  </section>`;
}

export function exceptionsPage(d: ExceptionsPageData): Pick<PageShell, 'title' | 'body'> {
  const active = html`<section aria-labelledby="active-heading">
    <h2 id="active-heading">In force</h2>
    ${
      d.active.length === 0
        ? html`<p>${d.activeContinued ? 'No more exceptions in force.' : 'No exception is in force: every policy applies in full.'}</p>`
        : html`<p class="match-count">${plural(d.active.length, 'exception')} on this page.</p>
            ${table(d.active, d, false)}`
    }
    ${pages(
      d.activeContinued ? PAGE : undefined,
      d.activeNext ? `${PAGE}?after=${encodeURIComponent(d.activeNext)}` : undefined,
      'Pages of exceptions in force',
    )}
  </section>`;
  const expired = html`<section aria-labelledby="expired-heading">
    <h2 id="expired-heading">Expired</h2>
    ${
      d.expired.length === 0
        ? html`<p>${d.expiredContinued ? 'No more expired exceptions.' : 'No exception has expired.'}</p>`
        : html`<p class="hint">No longer applied: kept for the record until deleted.</p>
            ${table(d.expired, d, true)}`
    }
    ${pages(
      d.expiredContinued ? `${PAGE}#expired-heading` : undefined,
      d.expiredNext ? `${PAGE}?expired=${encodeURIComponent(d.expiredNext)}#expired-heading` : undefined,
      'Pages of expired exceptions',
    )}
  </section>`;
  const form = createForm(d);
  return {
    title: 'Exceptions',
    body: d.formFirst ? html`${form} ${active} ${expired}` : html`${active} ${form} ${expired}`,
  };
}
