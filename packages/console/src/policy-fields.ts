// An image assurance policy as form fields and back, with no server: `policyToForm` gives the
// values a browser would submit for the unchanged form, `policyFromForm` builds the document from
// a submitted form, or the errors of the fields it could not read (document-form.ts says how
// values the fields cannot show are kept).
import type { ImageAssurancePolicy } from '@assay/domain';
import { checkField, compact, FormReader, FormWriter, type FieldKind, type FormValues, type FromForm } from './document-form.ts';

/** Every control, in the order the form shows them. */
export const POLICY_CONTROLS = [
  'vulnerabilities',
  'sensitiveData',
  'malware',
  'licences',
  'baseImages',
  'registries',
  'config',
  'packages',
  'customChecks',
  'signatures',
  'attestations',
  'kev',
  'epss',
  'osEndOfLife',
] as const;
export type PolicyControl = (typeof POLICY_CONTROLS)[number];

/** The levels maxSeverity takes (the severities but `unknown`). */
export const MAX_SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const;

/** Every field of the policy form that holds part of the document, with how it holds it. */
export const POLICY_FIELDS: Readonly<Record<string, FieldKind>> = {
  name: 'value',
  description: 'value',
  enabled: 'value',
  action: 'value',
  'scope.registries': 'lines',
  'scope.repositories': 'lines',
  'scope.labels': 'pairs',
  ...Object.fromEntries(POLICY_CONTROLS.map((c) => [checkField(c), 'value'])),
  'controls.vulnerabilities.maxSeverity': 'value',
  'controls.vulnerabilities.ignoreUnfixed': 'value',
  'controls.vulnerabilities.maxCvss': 'value',
  'controls.vulnerabilities.deny': 'lines',
  'controls.vulnerabilities.allow': 'lines',
  'controls.vulnerabilities.gracePeriodDays': 'value',
  'controls.vulnerabilities.allowList': 'yaml',
  'controls.vulnerabilities.vex': 'yaml',
  'controls.vulnerabilities.vexDocuments': 'yaml',
  'controls.sensitiveData.block': 'value',
  'controls.sensitiveData.ignoreRules': 'lines',
  'controls.sensitiveData.rules': 'lines',
  'controls.malware.block': 'value',
  'controls.licences.denied': 'lines',
  'controls.licences.allowed': 'lines',
  'controls.baseImages.allowed': 'lines',
  'controls.registries.allowed': 'lines',
  'controls.config.forbidRootUser': 'value',
  'controls.config.requireHealthcheck': 'value',
  'controls.config.maxAgeDays': 'value',
  'controls.packages.denied': 'lines',
  'controls.packages.required': 'lines',
  'controls.customChecks': 'lines',
  'controls.kev.block': 'value',
  'controls.kev.ransomwareOnly': 'value',
  'controls.epss.minScore': 'value',
  'controls.epss.minPercentile': 'value',
  'controls.osEndOfLife.block': 'value',
  'controls.osEndOfLife.daysBefore': 'value',
  'controls.signatures': 'yaml',
  'controls.attestations': 'yaml',
};

type PackageRule = NonNullable<NonNullable<ImageAssurancePolicy['controls']['packages']>['denied']>[number];
type CustomCheck = NonNullable<ImageAssurancePolicy['controls']['customChecks']>[number];

/** `name[ type=<type>][ <versions>]`: the versions are the rest of the line (a range may hold spaces). */
export function packageLine(p: PackageRule): string {
  return `${p.name}${p.type !== undefined ? ` type=${p.type}` : ''}${p.versions !== undefined ? ` ${p.versions}` : ''}`;
}

export function parsePackageLine(line: string): PackageRule | string {
  const m = /^(\S+)(?:\s+type=(\S*))?(?:\s+(\S.*))?$/.exec(line);
  if (!m) return 'write name, then type=<type> and a version range if needed';
  if (m[2] === '') return 'type= needs a package type (deb, npm, pypi…)';
  return compact({ name: m[1]!, type: m[2], versions: m[3]?.trim() });
}

/** `id` (required) or `id optional`. */
export function customCheckLine(c: CustomCheck): string {
  return c.required ? c.id : `${c.id} optional`;
}

export function parseCustomCheckLine(line: string): CustomCheck | string {
  const m = /^(\S+)(?:\s+(optional|required))?$/.exec(line);
  return m ? { id: m[1]!, required: m[2] !== 'optional' } : 'write the check id, then "optional" if it may be missing';
}

/** The values of the form showing `doc` (a new policy's defaults when absent). */
export function policyToForm(doc: ImageAssurancePolicy | undefined): FormValues {
  const w = new FormWriter();
  if (!doc) {
    w.switch('enabled', true);
    w.text('action', 'block');
    w.text('controls.vulnerabilities.maxSeverity', 'high');
    w.switch('controls.sensitiveData.block', true);
    w.switch('controls.malware.block', true);
    return w.done();
  }
  w.text('name', doc.name);
  w.text('description', doc.description);
  w.switch('enabled', doc.enabled);
  w.text('action', doc.action);
  w.object('scope', doc.scope);
  w.lines('scope.registries', doc.scope?.registries);
  w.lines('scope.repositories', doc.scope?.repositories);
  w.pairs('scope.labels', doc.scope?.labels);
  const c = doc.controls;
  for (const k of POLICY_CONTROLS) w.switch(checkField(k), c[k] !== undefined);
  const v = c.vulnerabilities;
  w.text('controls.vulnerabilities.maxSeverity', v?.maxSeverity ?? 'high');
  w.optionalSwitch('controls.vulnerabilities.ignoreUnfixed', v?.ignoreUnfixed, false);
  w.text('controls.vulnerabilities.maxCvss', v?.maxCvss);
  w.lines('controls.vulnerabilities.deny', v?.deny);
  w.lines('controls.vulnerabilities.allow', v?.allow);
  w.text('controls.vulnerabilities.gracePeriodDays', v?.gracePeriodDays);
  w.yaml('controls.vulnerabilities.allowList', v?.allowList);
  w.yaml('controls.vulnerabilities.vex', v?.vex);
  w.yaml('controls.vulnerabilities.vexDocuments', v?.vexDocuments);
  // A control that is off still offers sensible defaults should it be switched on.
  w.switch('controls.sensitiveData.block', c.sensitiveData?.block ?? true);
  w.lines('controls.sensitiveData.ignoreRules', c.sensitiveData?.ignoreRules);
  w.lines('controls.sensitiveData.rules', c.sensitiveData?.rules);
  w.switch('controls.malware.block', c.malware?.block ?? true);
  w.lines('controls.licences.denied', c.licences?.denied);
  w.lines('controls.licences.allowed', c.licences?.allowed);
  w.lines('controls.baseImages.allowed', c.baseImages?.allowed);
  w.lines('controls.registries.allowed', c.registries?.allowed);
  w.optionalSwitch('controls.config.forbidRootUser', c.config?.forbidRootUser, false);
  w.optionalSwitch('controls.config.requireHealthcheck', c.config?.requireHealthcheck, false);
  w.text('controls.config.maxAgeDays', c.config?.maxAgeDays);
  w.lines('controls.packages.denied', c.packages?.denied?.map(packageLine));
  w.lines('controls.packages.required', c.packages?.required?.map(packageLine));
  w.lines('controls.customChecks', c.customChecks?.map(customCheckLine));
  w.switch('controls.kev.block', c.kev?.block ?? true);
  w.optionalSwitch('controls.kev.ransomwareOnly', c.kev?.ransomwareOnly, false);
  w.text('controls.epss.minScore', c.epss?.minScore);
  w.text('controls.epss.minPercentile', c.epss?.minPercentile);
  w.switch('controls.osEndOfLife.block', c.osEndOfLife?.block ?? true);
  w.text('controls.osEndOfLife.daysBefore', c.osEndOfLife?.daysBefore);
  w.yaml('controls.signatures', c.signatures);
  w.yaml('controls.attestations', c.attestations);
  return w.done();
}

/** The document a submitted policy form describes, or the errors of fields that could not be read. */
export function policyFromForm(form: FormValues): FromForm<ImageAssurancePolicy> {
  const r = new FormReader(form);
  const on = (k: PolicyControl) => r.on(checkField(k));
  const controls: Record<string, unknown> = {};
  if (on('vulnerabilities')) {
    controls.vulnerabilities = compact({
      maxSeverity: r.text('controls.vulnerabilities.maxSeverity'),
      ignoreUnfixed: r.optionalSwitch('controls.vulnerabilities.ignoreUnfixed', false),
      deny: r.lines('controls.vulnerabilities.deny'),
      allow: r.lines('controls.vulnerabilities.allow'),
      maxCvss: r.number('controls.vulnerabilities.maxCvss'),
      allowList: r.yaml('controls.vulnerabilities.allowList'),
      gracePeriodDays: r.number('controls.vulnerabilities.gracePeriodDays'),
      vex: r.yaml('controls.vulnerabilities.vex'),
      vexDocuments: r.yaml('controls.vulnerabilities.vexDocuments'),
    });
  }
  if (on('sensitiveData')) {
    controls.sensitiveData = compact({
      block: r.on('controls.sensitiveData.block'),
      ignoreRules: r.lines('controls.sensitiveData.ignoreRules'),
      rules: r.lines('controls.sensitiveData.rules'),
    });
  }
  if (on('malware')) controls.malware = { block: r.on('controls.malware.block') };
  if (on('licences'))
    controls.licences = compact({ denied: r.lines('controls.licences.denied'), allowed: r.lines('controls.licences.allowed') });
  if (on('baseImages')) controls.baseImages = { allowed: r.lineList('controls.baseImages.allowed') };
  if (on('registries')) controls.registries = { allowed: r.lineList('controls.registries.allowed') };
  if (on('config')) {
    controls.config = compact({
      forbidRootUser: r.optionalSwitch('controls.config.forbidRootUser', false),
      requireHealthcheck: r.optionalSwitch('controls.config.requireHealthcheck', false),
      maxAgeDays: r.number('controls.config.maxAgeDays'),
    });
  }
  if (on('packages')) {
    controls.packages = compact({
      denied: r.parsedLines('controls.packages.denied', parsePackageLine),
      required: r.parsedLines('controls.packages.required', parsePackageLine),
    });
  }
  if (on('customChecks')) controls.customChecks = r.parsedLines('controls.customChecks', parseCustomCheckLine) ?? [];
  if (on('kev'))
    controls.kev = compact({ block: r.on('controls.kev.block'), ransomwareOnly: r.optionalSwitch('controls.kev.ransomwareOnly', false) });
  if (on('epss'))
    controls.epss = compact({ minScore: r.number('controls.epss.minScore'), minPercentile: r.number('controls.epss.minPercentile') });
  if (on('osEndOfLife'))
    controls.osEndOfLife = compact({ block: r.on('controls.osEndOfLife.block'), daysBefore: r.number('controls.osEndOfLife.daysBefore') });
  for (const k of ['signatures', 'attestations'] as const) {
    if (!on(k)) continue;
    const v = r.yaml(`controls.${k}`);
    if (v === undefined || v === null) r.fail(`controls.${k}`, 'write this control in YAML, or switch it off');
    else controls[k] = v;
  }
  const document = compact({
    name: r.text('name'),
    description: r.optionalText('description', false),
    enabled: r.on('enabled'),
    action: r.text('action'),
    scope: r.object('scope', {
      registries: r.lines('scope.registries'),
      repositories: r.lines('scope.repositories'),
      labels: r.pairs('scope.labels'),
    }),
    controls,
  }) as ImageAssurancePolicy;
  return r.errors.size > 0 ? { document: undefined, errors: r.errors } : { document, errors: r.errors };
}
