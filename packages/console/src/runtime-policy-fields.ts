// A runtime policy as form fields and back, with no server (document-form.ts says how values
// the fields cannot show are kept, so saving an unchanged form changes nothing).
import type { RuntimePolicy } from '@assay/domain';
import { compact, FormReader, FormWriter, type FieldKind, type FormValues, type FromForm } from './document-form.ts';

export const ENFORCEMENTS = ['enforce', 'warn', 'audit'] as const;
export const PENDING_ACTIONS = ['deny', 'allow-and-request-scan', 'wait'] as const;

/** Every field of the runtime policy form that holds part of the document, with how it holds it. */
export const RUNTIME_POLICY_FIELDS: Readonly<Record<string, FieldKind>> = {
  name: 'value',
  description: 'value',
  enabled: 'value',
  enforcement: 'value',
  'scope.namespaces': 'lines',
  'scope.clusters': 'lines',
  'scope.labels': 'pairs',
  'scope.namespaceLabels': 'pairs',
  imagePolicies: 'value',
  blockUnregistered: 'value',
  blockPending: 'value',
  blockNonCompliant: 'value',
  platforms: 'lines',
  allowedRegistries: 'lines',
  'pending.action': 'value',
  'pending.waitMs': 'value',
  'grace.days': 'value',
  'exemptions.namespaces': 'lines',
  'exemptions.images': 'lines',
};

type Platform = Exclude<RuntimePolicy['platforms'][number], string>;

/** `os/architecture[/variant]`, as `docker --platform` writes it. */
export function platformLine(p: RuntimePolicy['platforms'][number]): string {
  if (typeof p === 'string') return p;
  return [p.os, p.architecture, ...(p.variant !== undefined ? [p.variant] : [])].join('/');
}

/** The object form the schema stores (lower case, as it reads the string form). */
export function parsePlatformLine(line: string): Platform | string {
  const parts = line.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3) return 'write os/architecture or os/architecture/variant (linux/amd64, linux/arm64/v8)';
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant !== undefined ? { os, architecture, variant } : { os, architecture };
}

/** The values of the form showing `doc` (a new runtime policy's defaults when absent). */
export function runtimePolicyToForm(doc: RuntimePolicy | undefined): FormValues {
  const w = new FormWriter();
  if (!doc) {
    w.switch('enabled', true);
    w.text('enforcement', 'enforce');
    w.switch('blockNonCompliant', true);
    w.text('platforms', 'linux/amd64');
    w.many('imagePolicies', []);
    return w.done();
  }
  w.text('name', doc.name);
  w.text('description', doc.description);
  w.switch('enabled', doc.enabled);
  w.text('enforcement', doc.enforcement);
  w.lines('scope.namespaces', doc.scope.namespaces);
  w.lines('scope.clusters', doc.scope.clusters);
  w.pairs('scope.labels', doc.scope.labels);
  w.pairs('scope.namespaceLabels', doc.scope.namespaceLabels);
  w.many('imagePolicies', doc.imagePolicies);
  w.switch('blockUnregistered', doc.blockUnregistered);
  w.optionalSwitch('blockPending', doc.blockPending, false);
  w.optionalSwitch('blockNonCompliant', doc.blockNonCompliant, true);
  w.lines('platforms', doc.platforms.map(platformLine));
  w.lines('allowedRegistries', doc.allowedRegistries);
  w.text('pending.action', doc.pending?.action);
  w.text('pending.waitMs', doc.pending?.waitMs);
  w.text('grace.days', doc.grace?.days);
  w.object('exemptions', doc.exemptions);
  w.lines('exemptions.namespaces', doc.exemptions?.namespaces);
  w.lines('exemptions.images', doc.exemptions?.images);
  return w.done();
}

/** The runtime policy a submitted form describes, or the errors of fields that could not be read. */
export function runtimePolicyFromForm(form: FormValues): FromForm<RuntimePolicy> {
  const r = new FormReader(form);
  const action = r.text('pending.action');
  const waitMs = r.number('pending.waitMs');
  const days = r.number('grace.days');
  const document = compact({
    name: r.text('name'),
    description: r.optionalText('description', false),
    enabled: r.on('enabled'),
    enforcement: r.text('enforcement'),
    scope: compact({
      namespaces: r.lineList('scope.namespaces'),
      clusters: r.lines('scope.clusters'),
      labels: r.pairs('scope.labels', true),
      namespaceLabels: r.pairs('scope.namespaceLabels', true),
    }),
    imagePolicies: r.all('imagePolicies').filter((id) => id !== ''),
    blockUnregistered: r.on('blockUnregistered'),
    blockPending: r.optionalSwitch('blockPending', false),
    blockNonCompliant: r.optionalSwitch('blockNonCompliant', true),
    platforms: r.parsedLines('platforms', parsePlatformLine) ?? [],
    allowedRegistries: r.lines('allowedRegistries'),
    // The wait is the action's: without an action there is no pending block at all.
    pending:
      action !== ''
        ? compact({ action, waitMs })
        : waitMs !== undefined
          ? r.fail('pending.action', 'choose an action for the wait')
          : undefined,
    grace: days !== undefined ? { days } : undefined,
    exemptions: r.object('exemptions', { namespaces: r.lines('exemptions.namespaces'), images: r.lines('exemptions.images') }),
  }) as RuntimePolicy;
  return r.errors.size > 0 ? { document: undefined, errors: r.errors } : { document, errors: r.errors };
}
