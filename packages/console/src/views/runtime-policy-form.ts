// The runtime policy form: where admission checks (namespaces, clusters, labels), against which
// image policies (checkboxes of those that exist), and what it does with unknown, pending and
// non-compliant images; grace and exemptions.
import { field, formErrors, selectField, switchField, textareaField } from '../forms.ts';
import { attrs, html, type Html } from '../html.ts';
import type { PageShell } from '../layout.ts';
import { ENFORCEMENTS, PENDING_ACTIONS, RUNTIME_POLICY_FIELDS } from '../runtime-policy-fields.ts';
import { policyUrl, POLICY_KINDS } from './policies.ts';
import {
  deleteForm,
  hiddenFields,
  identityFields,
  isOn,
  managedNotice,
  problemNotice,
  valueOf,
  type PolicyFormCommon,
} from './policy-form.ts';

export interface RuntimePolicyFormData extends PolicyFormCommon {
  /** The image assurance policies that exist, to choose from. */
  imagePolicies: ReadonlyArray<{ id: string; name: string }>;
}

const ENFORCEMENT_LABELS: Record<(typeof ENFORCEMENTS)[number], string> = {
  enforce: 'Enforce: admission refuses',
  warn: 'Warn: admission allows, with warnings',
  audit: 'Audit: admission allows and records what it would refuse',
};

const PENDING_LABELS: Record<(typeof PENDING_ACTIONS)[number], string> = {
  deny: 'Deny',
  'allow-and-request-scan': 'Allow, and ask for a scan',
  wait: 'Wait for the verdict',
};

/** One checkbox per image policy: those the policy names first, in its order (the order is kept), then the others. */
function imagePolicyChoices(d: RuntimePolicyFormData): Html {
  const v = d.values.imagePolicies;
  const chosen = (Array.isArray(v) ? v : v ? [v] : []).filter((x) => x !== '');
  const names = new Map(d.imagePolicies.map((p) => [p.id, p.name]));
  const ids = [...chosen, ...d.imagePolicies.map((p) => p.id).filter((id) => !chosen.includes(id))];
  const error = d.errors?.get('imagePolicies');
  return html`<fieldset class="choices${error ? ' invalid' : ''}" ${error ? html`aria-describedby="f-imagePolicies-error"` : ''}>
    <legend>Image policies applied</legend>
    ${ids.length === 0 ? html`<p class="muted">There are no image policies yet: <a href="${POLICY_KINDS.image.base}/new">create one</a>.</p>` : ''}
    ${ids.map(
      (id, i) =>
        html`<div class="field switch">
          <input${attrs({ id: `f-imagePolicies-${i}`, type: 'checkbox', name: 'imagePolicies', value: id, checked: chosen.includes(id) })} />
          <label for="f-imagePolicies-${i}"
            >${names.get(id) ?? id} <code class="muted">${id}</code>${names.has(id) ? '' : ' (no such policy now)'}</label
          >
        </div>`,
    )}
    ${error ? html`<small id="f-imagePolicies-error" class="field-error">${error}</small>` : ''}
  </fieldset>`;
}

export function runtimePolicyFormPage(d: RuntimePolicyFormData): Pick<PageShell, 'title' | 'body'> {
  const v = d.values;
  const errors = d.errors;
  const lines = (name: string, label: string, hint: string) =>
    textareaField({ label, name, value: valueOf(v, name), errors, hint, rows: 3, monospace: true });
  const sw = (name: string, label: string, hint: string) => switchField({ label, name, checked: isOn(v, name), errors, hint });
  const action = d.id === undefined ? `${POLICY_KINDS.runtime.base}/new` : policyUrl('runtime', d.id);
  const shown = new Set([...Object.keys(RUNTIME_POLICY_FIELDS), 'id']);
  return {
    title: d.id === undefined ? 'New runtime policy' : `Runtime policy ${d.name ?? d.id}`,
    body: html`${managedNotice('runtime', d.managedBy)}
      ${
        d.id !== undefined
          ? html`<p>
              <code>${d.id}</code>, version ${d.expectedVersion}. <a href="${policyUrl('runtime', d.id)}/versions">Versions and changes</a>
            </p>`
          : ''
      }
      <form method="post" action="${action}" class="policy-form">
        ${hiddenFields(d)} ${problemNotice(d)} ${formErrors(errors, shown)}
        <fieldset>
          <legend>Runtime policy</legend>
          ${identityFields(d)}
          ${selectField({
            label: 'Enforcement',
            name: 'enforcement',
            value: valueOf(v, 'enforcement'),
            options: ENFORCEMENTS.map((e) => [e, ENFORCEMENT_LABELS[e]] as const),
            errors,
          })}
        </fieldset>
        <fieldset>
          <legend>Where</legend>
          ${lines('scope.namespaces', 'Namespaces', 'One namespace glob per line; * for all. At least one.')}
          ${lines('scope.clusters', 'Clusters', 'One cluster glob per line; every cluster when empty.')}
          ${lines('scope.labels', 'Workload labels', 'One key=value per line; all must be equal (the value may be empty).')}
          ${lines('scope.namespaceLabels', 'Namespace labels', 'One key=value per line; all must be equal on the namespace.')}
        </fieldset>
        ${imagePolicyChoices(d)}
        <fieldset>
          <legend>What admission refuses</legend>
          ${sw('blockNonCompliant', 'Block non-compliant images', 'Off: a non-compliant image is admitted, and the decision says so.')}
          ${sw('blockUnregistered', 'Block unregistered images', 'Images the inventory has never seen.')}
          ${sw('blockPending', 'Block images whose scan has not finished', 'Used when no pending action is chosen below.')}
          ${selectField({
            label: 'Pending action',
            name: 'pending.action',
            value: valueOf(v, 'pending.action'),
            options: [
              ['', 'As "Block images whose scan has not finished" says'],
              ...PENDING_ACTIONS.map((a) => [a, PENDING_LABELS[a]] as const),
            ],
            errors,
            hint: 'What admission does with a known image whose scan has not finished.',
          })}
          ${field({
            label: 'Wait at most (ms)',
            name: 'pending.waitMs',
            type: 'number',
            value: valueOf(v, 'pending.waitMs'),
            errors,
            min: 1,
            max: 30000,
            hint: 'For "Wait for the verdict": 1 to 30000.',
          })}
          ${lines('platforms', 'Platforms', 'One per line, os/architecture[/variant] (linux/amd64, linux/arm64/v8): only these platforms’ verdicts decide.')}
          ${lines('allowedRegistries', 'Allowed registries', 'One glob per line over registry/repository; any registry when empty.')}
          ${field({
            label: 'Grace for what already runs (days)',
            name: 'grace.days',
            type: 'number',
            value: valueOf(v, 'grace.days'),
            errors,
            min: 1,
            max: 365,
            hint: 'Under enforce, a workload that ran an image while it was compliant may restart with it for this many days after it turned non-compliant. Empty: no grace.',
          })}
        </fieldset>
        <fieldset>
          <legend>Exemptions</legend>
          ${lines('exemptions.namespaces', 'Namespaces never checked', 'One namespace glob per line.')}
          ${lines('exemptions.images', 'Images never checked', 'One glob per line over registry/repository.')}
        </fieldset>
        <div class="actions"><button type="submit">Save</button> <a href="${POLICY_KINDS.runtime.base}">Cancel</a></div>
      </form>
      ${deleteForm('runtime', d)}`,
  };
}
