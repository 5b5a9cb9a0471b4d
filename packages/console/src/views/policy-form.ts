// The image assurance policy form: every control as fields, grouped one fieldset a control, each
// with a switch saying whether it is checked at all; the nested controls (signers, attestations,
// the allow-list, VEX) as YAML. Also what the runtime policy form shares: the notice that a
// resource in Kubernetes manages the policy, the delete form, and the hidden fields that carry
// the version read and the values kept.
import { KEPT_FIELD, checkField, type FormValues } from '../document-form.ts';
import { complianceBadge, shortDigest } from '../format.ts';
import { csrfField, field, formErrors, selectField, switchField, textareaField, type FieldErrors } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { MAX_SEVERITIES, POLICY_FIELDS } from '../policy-fields.ts';
import type { PageShell } from '../layout.ts';
import { managedByText, policyUrl, POLICY_KINDS, type ManagedByView, type PolicyKind } from './policies.ts';

/** A field's (first) value. */
export const valueOf = (v: FormValues, name: string): string | undefined => {
  const x = v[name];
  return Array.isArray(x) ? x[0] : x;
};
export const isOn = (v: FormValues, name: string): boolean => {
  const x = v[name];
  return Array.isArray(x) ? x.includes('on') : x === 'on';
};

/** What every policy form page knows beside its values. */
export interface PolicyFormCommon {
  /** The policy's id; absent on the form that creates one. */
  id?: string | undefined;
  values: FormValues;
  errors?: FieldErrors | undefined;
  /** The version the form was read from (0 to create): a save over a newer one is refused. */
  expectedVersion: number;
  /** The current version's name, when the policy exists (for headings and the delete prompt). */
  name?: string | undefined;
  managedBy?: ManagedByView | undefined;
  /** Why the form was not saved when no field is to blame (changed meanwhile, managed by Kubernetes). */
  problem?: string | undefined;
  csrf: string;
}

export interface DryRunView {
  digest: string;
  reference?: string | undefined;
  /** Whether the draft applied to the image (enabled, and the image in its scope). */
  applies: boolean;
  compliant: boolean;
  reasons: ReadonlyArray<{ control: string; message: string; remediation: string; action: string }>;
  exceptionsApplied: readonly string[];
}

export interface PolicyFormData extends PolicyFormCommon {
  /** Recent images a dry run can be made against. */
  recentImages: ReadonlyArray<{ digest: string; reference: string }>;
  dryRun?: DryRunView | undefined;
  /** Why the dry run could not be made (no report for the digest…). */
  dryRunError?: string | undefined;
}

/** The notice on a policy a Kubernetes resource manages: its edits belong there. */
export function managedNotice(kind: PolicyKind, m: ManagedByView | undefined): Html {
  if (m?.by !== 'kubernetes') return html``;
  return html`<p class="notice" role="note">
    <strong>Managed by Kubernetes</strong> (${managedByText(m)}): edits to this ${POLICY_KINDS[kind].noun} belong in Kubernetes. Change the
    resource with kubectl; saving or deleting it here is refused.
  </p>`;
}

/** The problem no field is to blame for, above the form. */
export function problemNotice(d: PolicyFormCommon): Html {
  return d.problem ? html`<p class="flash flash-error" role="alert">${d.problem}</p>` : html``;
}

/** The hidden fields every policy form carries: the CSRF token, the version read, the values kept. */
export function hiddenFields(d: PolicyFormCommon): Html {
  const kept = d.values[KEPT_FIELD];
  return html`${csrfField(d.csrf)}<input type="hidden" name="expectedVersion" value="${d.expectedVersion}" />${(Array.isArray(kept)
      ? kept
      : kept
        ? [kept]
        : []
    ).map((k) => html`<input type="hidden" name="${KEPT_FIELD}" value="${k}" />`)}`;
}

/** The form deleting the policy (a tombstone version); the script asks first. */
export function deleteForm(kind: PolicyKind, d: PolicyFormCommon): Html {
  if (d.id === undefined) return html``;
  const k = POLICY_KINDS[kind];
  return html`<form method="post" action="${policyUrl(kind, d.id)}/delete" data-confirm="Delete the ${k.noun} ${d.name ?? d.id}?">
    ${csrfField(d.csrf)}<input type="hidden" name="expectedVersion" value="${d.expectedVersion}" />
    <button type="submit" class="danger">Delete this ${k.noun}</button>
  </form>`;
}

/** Name, description, enabled: the fields both kinds of policy open with; the id on a new one. */
export function identityFields(d: PolicyFormCommon): Html {
  const v = d.values;
  const errors = d.errors;
  return html`${
    d.id === undefined
      ? field({
          label: 'Id',
          name: 'id',
          value: valueOf(v, 'id'),
          required: true,
          errors,
          hint: 'Letters, digits, ".", "_", ":" or "-"; verdicts and runtime policies name the policy by it. It cannot be changed later.',
        })
      : ''
  }
  ${field({ label: 'Name', name: 'name', value: valueOf(v, 'name'), required: true, errors })}
  ${textareaField({ label: 'Description', name: 'description', value: valueOf(v, 'description'), errors, rows: 2 })}
  ${switchField({ label: 'Enabled', name: 'enabled', checked: isOn(v, 'enabled'), errors, hint: 'A disabled policy judges no image.' })}`;
}

const LINES_HINT = 'One per line.';
const GLOBS_HINT = 'One glob per line over registry/repository (docker.io/library/*).';

function control(name: string, legend: string, hint: string, d: PolicyFormData, body: Html): Html {
  return html`<fieldset class="control">
    <legend>${legend}</legend>
    ${switchField({
      label: `Check ${legend.toLowerCase()}`,
      name: checkField(name),
      checked: isOn(d.values, checkField(name)),
      errors: d.errors,
      hint: `${hint} Off: not checked at all.`,
    })}
    ${body}
  </fieldset>`;
}

function controlFields(d: PolicyFormData): Html {
  const v = d.values;
  const errors = d.errors;
  const num = (name: string, label: string, hint: string, min: number, max: number, step: number | 'any' = 1) =>
    field({ label, name, type: 'number', value: valueOf(v, name), errors, hint, min, max, step });
  const lines = (name: string, label: string, hint = LINES_HINT, rows = 3) =>
    textareaField({ label, name, value: valueOf(v, name), errors, hint, rows, monospace: true });
  const yaml = (name: string, label: string, hint: string) =>
    textareaField({ label, name, value: valueOf(v, name), errors, hint: `YAML. ${hint}`, rows: 6, monospace: true });
  const sw = (name: string, label: string, hint?: string) =>
    switchField({ label, name, checked: isOn(v, name), errors, ...(hint ? { hint } : {}) });
  return html`${control(
    'vulnerabilities',
    'Vulnerabilities',
    'Findings above a severity or CVSS score fail the image.',
    d,
    html`${selectField({
      label: 'Most severe level allowed',
      name: 'controls.vulnerabilities.maxSeverity',
      value: valueOf(v, 'controls.vulnerabilities.maxSeverity'),
      options: MAX_SEVERITIES.map((s) => [s, s] as const),
      errors,
      hint: 'A finding more severe than this fails the image.',
    })}
    ${sw('controls.vulnerabilities.ignoreUnfixed', 'Ignore findings without a fix')}
    ${num('controls.vulnerabilities.maxCvss', 'Highest CVSS score allowed', 'Any finding scored at or above this fails (0 to 10).', 0, 10, 'any')}
    ${num('controls.vulnerabilities.gracePeriodDays', 'Grace period (days)', 'Days a fixable finding is tolerated after its fix was published.', 0, 3650)}
    ${lines('controls.vulnerabilities.deny', 'Always fail on', 'Vulnerability ids (CVE-…, GHSA-…), one per line: fail whatever their severity.')}
    ${lines('controls.vulnerabilities.allow', 'Always accept', 'Ids accepted whatever their severity, one per line (prefer exceptions, which expire).')}
    ${yaml('controls.vulnerabilities.allowList', 'Allow-list', 'A list of {id, reason, expiresAt}.')}
    ${yaml('controls.vulnerabilities.vex', 'VEX statements', 'signers (a list of {name, key} or {name, keyless: {identity, issuer}}) and statuses (not_affected, fixed).')}
    ${yaml('controls.vulnerabilities.vexDocuments', 'VEX documents', 'A list of {file} (under the policy service’s POLICY_VEX_DIR) or {url}: OpenVEX or CycloneDX VEX.')}`,
  )}
  ${control(
    'sensitiveData',
    'Sensitive data',
    'Secrets found in the image (private keys, cloud credentials).',
    d,
    html`${sw('controls.sensitiveData.block', 'Block images with sensitive data', 'Off: findings are reported but do not fail the image.')}
    ${lines('controls.sensitiveData.ignoreRules', 'Rules ignored', 'Rule ids never counted (generic-api-key), one per line.')}
    ${lines('controls.sensitiveData.rules', 'Only these rules', 'When given, only these rule ids count (private-key), one per line.')}`,
  )}
  ${control('malware', 'Malware', 'Files the malware scanner flags.', d, sw('controls.malware.block', 'Block images with malware'))}
  ${control(
    'licences',
    'Licences',
    'Package licences (SPDX).',
    d,
    html`${lines('controls.licences.denied', 'Refused licences', 'SPDX ids or expressions refused, one per line (GPL-3.0-only).')}
    ${lines('controls.licences.allowed', 'Allowed licences', 'When given, any other licence is refused; one SPDX id per line.')}`,
  )}
  ${control('baseImages', 'Base images', 'What images may be built on.', d, lines('controls.baseImages.allowed', 'Allowed base images', GLOBS_HINT))}
  ${control('registries', 'Registries', 'Where images may come from.', d, lines('controls.registries.allowed', 'Allowed registries', GLOBS_HINT))}
  ${control(
    'config',
    'Image configuration',
    'The image config: its user, health check and age.',
    d,
    html`${sw('controls.config.forbidRootUser', 'Refuse images that run as root')}
    ${sw('controls.config.requireHealthcheck', 'Require a health check')}
    ${num('controls.config.maxAgeDays', 'Oldest image allowed (days)', 'By the config’s created time (1 to 36500).', 1, 36500)}`,
  )}
  ${control(
    'packages',
    'Packages',
    'Packages that must not, or must, be installed.',
    d,
    html`${lines(
      'controls.packages.denied',
      'Forbidden packages',
      'One per line: the name, then type=<type> to match one ecosystem only (deb, rpm, apk, npm, pypi, maven…), then a version range if only some versions are forbidden. log4j-core type=maven >=2.0.0 <2.17.1',
    )}
    ${lines('controls.packages.required', 'Required packages', 'One per line, written as forbidden packages are: ca-certificates type=deb')}`,
  )}
  ${control(
    'customChecks',
    'Custom checks',
    'Checks run by your own analyzers.',
    d,
    lines(
      'controls.customChecks',
      'Checks',
      'One check id per line; add "optional" after the id when a missing result is no failure (sbom-present optional).',
    ),
  )}
  ${control(
    'kev',
    'Known exploited vulnerabilities',
    'Findings whose CVE is in CISA’s Known Exploited Vulnerabilities catalogue fail, whatever their severity.',
    d,
    html`${sw('controls.kev.block', 'Block known exploited vulnerabilities')}
    ${sw('controls.kev.ransomwareOnly', 'Only those used in ransomware campaigns')}`,
  )}
  ${control(
    'epss',
    'Exploit prediction (EPSS)',
    'Findings whose CVE FIRST’s EPSS rates likely to be exploited fail.',
    d,
    html`${num('controls.epss.minScore', 'Lowest EPSS score that fails', 'Probability of exploitation in the next 30 days (0 to 1).', 0, 1, 'any')}
    ${num('controls.epss.minPercentile', 'Lowest EPSS percentile that fails', 'Rank among all scored CVEs (0 to 1; 0.95 is the top 5%).', 0, 1, 'any')}`,
  )}
  ${control(
    'osEndOfLife',
    'OS end of life',
    'Images whose OS release no longer gets security fixes fail.',
    d,
    html`${sw('controls.osEndOfLife.block', 'Block end-of-life OS releases')}
    ${num('controls.osEndOfLife.daysBefore', 'Fail this many days before', 'Days before the end-of-life date the image already fails (0 to 3650).', 0, 3650)}`,
  )}
  ${control(
    'signatures',
    'Signatures',
    'Who must have signed the image.',
    d,
    yaml(
      'controls.signatures',
      'Signatures',
      'signers: a list of {name, key: <PEM public key>} or {name, keyless: {identity, issuer}}; required (how many, default 1); signedDigest (platform, index, either); matchReference (true/false).',
    ),
  )}
  ${control(
    'attestations',
    'Attestations',
    'Signed statements about the build that must be present.',
    d,
    yaml(
      'controls.attestations',
      'Attestations',
      'A list of {type (slsaprovenance, cyclonedx, spdx, openvex…), signers, builderIds, sourceRepositories, buildTypes}.',
    ),
  )}`;
}

function dryRunSection(d: PolicyFormData): Html {
  if (d.dryRunError)
    return html`<section aria-labelledby="dry-run-h">
      <h2 id="dry-run-h">Dry run</h2>
      <p class="flash flash-error" role="alert">${d.dryRunError}</p>
    </section>`;
  const r = d.dryRun;
  if (!r) return html``;
  const verdict = !r.applies
    ? html`<p>
        <strong>This draft does not apply to this image</strong> (it is disabled, or the image is outside its scope): it gives no reasons.
      </p>`
    : html`<p>
        This draft would judge the image
        ${complianceBadge(r.compliant ? 'compliant' : 'non_compliant')}${r.reasons.length > 0 ? `, for ${r.reasons.length === 1 ? '1 reason' : `${r.reasons.length} reasons`}` : ''}.
      </p>`;
  return html`<section aria-labelledby="dry-run-h" role="status">
    <h2 id="dry-run-h">Dry run: <span class="digest">${r.reference ?? shortDigest(r.digest)}</span></h2>
    <p class="muted">Nothing was saved: this is what the form below would give.</p>
    ${verdict}
    ${
      r.reasons.length > 0
        ? html`<ul class="reasons">
            ${r.reasons.map(
              (x) =>
                html`<li class="reason${x.action === 'audit' ? ' audit-only' : ''}">
                  <strong>${x.control}</strong>${x.action === 'audit' ? ' (audit only)' : ''}: ${x.message}
                  ${x.remediation ? html`<br /><span class="remediation">Fix: ${x.remediation}</span>` : ''}
                </li>`,
            )}
          </ul>`
        : ''
    }
    ${r.exceptionsApplied.length > 0 ? html`<p>Exceptions applied: ${r.exceptionsApplied.join(', ')}</p>` : ''}
  </section>`;
}

function dryRunFields(d: PolicyFormData): Html {
  const v = d.values;
  return html`<fieldset>
    <legend>Dry run</legend>
    <p class="hint">Judge one image’s stored scan against this form as it is now, without saving anything.</p>
    ${selectField({
      label: 'Recent image',
      name: '_digest',
      value: valueOf(v, '_digest'),
      options: [
        ['', d.recentImages.length > 0 ? 'Choose an image…' : 'No images judged yet'],
        ...d.recentImages.map((i) => [i.digest, i.reference] as const),
      ],
    })}
    ${field({ label: 'Or a digest', name: '_digestText', value: valueOf(v, '_digestText'), placeholder: 'sha256:…', hint: 'Wins over the image chosen above.' })}
    <button
      type="submit"
      class="secondary"
      formaction="${d.id === undefined ? POLICY_KINDS.image.base + '/new' : policyUrl('image', d.id)}/dry-run"
    >
      Evaluate without saving
    </button>
  </fieldset>`;
}

export function policyFormPage(d: PolicyFormData): Pick<PageShell, 'title' | 'body'> {
  const action = d.id === undefined ? `${POLICY_KINDS.image.base}/new` : policyUrl('image', d.id);
  const shown = new Set([...Object.keys(POLICY_FIELDS), 'id']);
  const title = d.id === undefined ? 'New policy' : `Policy ${d.name ?? d.id}`;
  const v = d.values;
  return {
    title,
    body: html`${managedNotice('image', d.managedBy)} ${dryRunSection(d)}
      ${
        d.id !== undefined
          ? html`<p>
              <code>${d.id}</code>, version ${d.expectedVersion}. <a href="${policyUrl('image', d.id)}/versions">Versions and changes</a>
            </p>`
          : ''
      }
      <form method="post" action="${action}" class="policy-form">
        ${hiddenFields(d)} ${problemNotice(d)} ${formErrors(d.errors, shown)}
        <fieldset>
          <legend>Policy</legend>
          ${identityFields(d)}
          ${selectField({
            label: 'Action',
            name: 'action',
            value: valueOf(v, 'action'),
            options: [
              ['block', 'Block: a failing image is non-compliant'],
              ['audit', 'Audit: failures are reported only'],
            ],
            errors: d.errors,
          })}
        </fieldset>
        <fieldset>
          <legend>Scope</legend>
          <p class="hint">
            The images this policy judges: one of the registries, one of the repositories and every label given must match; nothing given:
            every image.
          </p>
          ${textareaField({ label: 'Registries', name: 'scope.registries', value: valueOf(v, 'scope.registries'), errors: d.errors, hint: 'One glob per line (registry.example.com).', monospace: true })}
          ${textareaField({ label: 'Repositories', name: 'scope.repositories', value: valueOf(v, 'scope.repositories'), errors: d.errors, hint: 'One glob per line (team-a/*).', monospace: true })}
          ${textareaField({ label: 'Image labels', name: 'scope.labels', value: valueOf(v, 'scope.labels'), errors: d.errors, hint: 'One key=value per line; the value is a glob (org.opencontainers.image.vendor=acme*).', monospace: true })}
        </fieldset>
        <h2>Controls</h2>
        ${controlFields(d)}
        <div class="actions"><button type="submit">Save</button> <a href="${POLICY_KINDS.image.base}">Cancel</a></div>
        ${dryRunFields(d)}
      </form>
      ${deleteForm('image', d)}`,
  };
}
