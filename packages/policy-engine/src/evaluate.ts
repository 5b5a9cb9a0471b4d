// The evaluation engine: a stored scan report judged against the image assurance policies
// that apply to it (already selected by scope), with the exceptions in force. Pure: the same
// report, policies, exceptions and time give the same answer, reasons in a fixed order.
import type { ImageAssurancePolicy, PolicyException, ScanReport, Severity } from '@assay/domain';
import { SEVERITIES } from '@assay/domain';
import { attestationsControl } from './controls/attestations.ts';
import { baseImageControl } from './controls/base-image.ts';
import { customChecksControl } from './controls/custom-checks.ts';
import { epssControl } from './controls/epss.ts';
import { imageConfigControl } from './controls/image-config.ts';
import { kevControl } from './controls/kev.ts';
import { licencesControl } from './controls/licences.ts';
import { malwareControl } from './controls/malware.ts';
import { osEndOfLifeControl } from './controls/os-end-of-life.ts';
import { packagesControl } from './controls/packages.ts';
import { registriesControl } from './controls/registries.ts';
import { sensitiveDataControl } from './controls/sensitive-data.ts';
import { signaturesControl } from './controls/signatures.ts';
import { earliest, type Control, type ControlContext, type ControlResult, type Controls, type Suppression } from './controls/types.ts';
import { vulnerabilitiesControl } from './controls/vulnerabilities.ts';
import { vexDocumentKey, type VexDocument } from './vex/document.ts';
import { coveringException, exceptionsFor } from '@assay/runtime-policy';
import { inScope, reportLabels, type ImageScope } from '@assay/runtime-policy';

/** A policy as evaluated: its id and version travel into the verdict. */
export interface PolicyRef {
  id: string;
  version: number;
  policy: ImageAssurancePolicy;
}

export interface Reason {
  policy: string;
  control: string;
  message: string;
  severity: Severity;
  /** block: makes the image non-compliant; audit: reported only. */
  action: 'block' | 'audit';
  evidence: { items: Array<Record<string, unknown>> };
  /** The item each evidence entry is about (vulnerability id, rule, package…), in the same order. */
  items: string[];
  remediation: string;
}

/** A finding a policy's control did not count, and why (a trusted VEX statement, a named VEX document). */
export interface SuppressedFinding extends Suppression {
  policy: string;
  control: string;
}

export interface Evaluation {
  compliant: boolean;
  reasons: Reason[];
  /** Findings excused by signed statements, per policy and control (absent when none). */
  suppressed?: SuppressedFinding[];
  /** Exceptions that excused at least one finding (ids, sorted). */
  exceptionsApplied: string[];
  /** Earliest time the answer may change with time alone (an allow-list entry or exception expiring). */
  reevaluateAt?: Date;
}

type ControlName = keyof Controls;
type ControlOf<K extends ControlName> = Control<NonNullable<Controls[K]>>;

/** Every control, in the order their reasons are listed. */
const CONTROLS: { readonly [K in ControlName]: ControlOf<K> } = {
  registries: registriesControl,
  signatures: signaturesControl,
  attestations: attestationsControl,
  vulnerabilities: vulnerabilitiesControl,
  kev: kevControl,
  epss: epssControl,
  osEndOfLife: osEndOfLifeControl,
  malware: malwareControl,
  sensitiveData: sensitiveDataControl,
  baseImages: baseImageControl,
  licences: licencesControl,
  packages: packagesControl,
  config: imageConfigControl,
  customChecks: customChecksControl,
};
const CONTROL_ORDER = Object.keys(CONTROLS) as ControlName[];

/** A policy's control run on the report; undefined when the policy does not configure it. */
function runControl<K extends ControlName>(
  name: K,
  controls: Controls,
  report: ScanReport,
  ctx: ControlContext,
): ControlResult | undefined {
  const config = controls[name];
  return config ? (CONTROLS[name] as ControlOf<K>)(report, config as NonNullable<Controls[K]>, ctx) : undefined;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);
const MAX_LISTED = 5;

export function imageScopeOf(report: ScanReport): ImageScope {
  return {
    digest: report.image.digest,
    registry: report.image.registry,
    repository: report.image.repository,
    labels: reportLabels(report.config),
  };
}

/** The enabled policies whose scope covers the report's image, by id. */
export function applicablePolicies(report: ScanReport, policies: readonly PolicyRef[]): PolicyRef[] {
  const scope = imageScopeOf(report);
  return policies
    .filter((p) => p.policy.enabled && inScope(p.policy.scope, scope))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface EvaluateOptions {
  /** The loaded VEX documents policies name, by vexDocumentKey; a document missing here suppresses nothing. */
  vexDocuments?: ReadonlyMap<string, VexDocument>;
  /** VEX documents applied to every policy's vulnerabilities control (`assay scan --vex`). */
  vexAlways?: readonly VexDocument[];
}

/** The VEX documents that apply to `policy`'s vulnerabilities control. */
function vexDocumentsFor(policy: ImageAssurancePolicy, o: EvaluateOptions): VexDocument[] {
  const named = (policy.controls.vulnerabilities?.vexDocuments ?? []).flatMap((ref) => o.vexDocuments?.get(vexDocumentKey(ref)) ?? []);
  return [...named, ...(o.vexAlways ?? [])];
}

/**
 * Judges a report. `policies` are the applicable ones (see applicablePolicies); every one must
 * pass. A failing `audit` policy adds reasons without making the image non-compliant.
 */
export function evaluateImage(
  report: ScanReport,
  policies: readonly PolicyRef[],
  exceptions: readonly PolicyException[],
  now: Date,
  options: EvaluateOptions = {},
): Evaluation {
  const image = imageScopeOf(report);
  const reasons: Reason[] = [];
  const suppressed: SuppressedFinding[] = [];
  const applied = new Set<string>();
  let reevaluateAt: Date | undefined;
  const sorted = [...policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const { id, policy } of sorted) {
    const signedDigest = policy.controls.signatures?.signedDigest;
    const vexDocuments = vexDocumentsFor(policy, options);
    const ctx: ControlContext = { now, ...(signedDigest ? { signedDigest } : {}), ...(vexDocuments.length > 0 ? { vexDocuments } : {}) };
    for (const control of CONTROL_ORDER) {
      const result = runControl(control, policy.controls, report, ctx);
      if (!result) continue;
      reevaluateAt = earliest(reevaluateAt, result.changesAt);
      for (const s of result.suppressed ?? []) suppressed.push({ policy: id, control, ...s });
      const excs = exceptionsFor(exceptions, image, id, control, now);
      const kept = result.violations.filter((v) => {
        const e = coveringException(excs, v.item, v.aliases);
        if (!e) return true;
        applied.add(e.id);
        reevaluateAt = earliest(reevaluateAt, e.expiresAt);
        return false;
      });
      if (kept.length === 0) continue;
      // Most severe first, then by item and summary: a stable order whatever the report's order.
      kept.sort(
        (a, b) =>
          rank(a.severity) - rank(b.severity) || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0) || (a.summary < b.summary ? -1 : 1),
      );
      const shown = kept.slice(0, MAX_LISTED).map((v) => v.summary);
      const more = kept.length > MAX_LISTED ? ` and ${kept.length - MAX_LISTED} more` : '';
      reasons.push({
        policy: id,
        control,
        message: `${kept.length} ${kept.length === 1 ? 'finding' : 'findings'}: ${shown.join('; ')}${more}`,
        severity: kept[0]!.severity,
        action: policy.action,
        evidence: { items: kept.map((v) => v.evidence) },
        items: kept.map((v) => v.item),
        remediation: [...new Set(kept.map((v) => v.remediation))].slice(0, MAX_LISTED).join('; '),
      });
    }
  }
  const compliant = !reasons.some((r) => r.action === 'block');
  return {
    compliant,
    reasons,
    exceptionsApplied: [...applied].sort(),
    ...(suppressed.length > 0 ? { suppressed } : {}),
    ...(reevaluateAt ? { reevaluateAt } : {}),
  };
}
