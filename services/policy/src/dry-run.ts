// A dry run: a stored or uploaded scan report judged against draft image assurance policies (or
// the stored ones), with the exceptions in force; nothing is written. POST /api/v1/evaluate and
// the console's "Evaluate without saving" both answer from here, so they cannot disagree.
import { validateImagePolicy, validateScanReport, ValidationError, type ScanReport } from '@assay/domain';
import { applicablePolicies, evaluateImage, type PolicyRef, type Reason } from '@assay/policy-engine';
import { NotFoundError } from '@assay/store';
import type { PolicyApi } from './routes/context.ts';

export interface DryRunInput {
  /** A stored report's digest (used when `report` is absent). */
  digest?: string;
  /** An uploaded report, validated as the store would. */
  report?: unknown;
  /** One draft judged alone (every stored policy left out). */
  policy?: unknown;
  /** The id `policy` is judged and named under in reasons (`draft` when absent). */
  policyId?: string;
  /** Drafts replacing the stored policies of the same id. */
  policies?: ReadonlyArray<{ id: string; document: unknown }>;
  now: Date;
}

export interface DryRunResult {
  digest: string;
  compliant: boolean;
  /** The policies that applied to the image (enabled and in scope), draft ones at version 0. */
  policies: { id: string; version: number }[];
  reasons: Reason[];
  exceptionsApplied: string[];
}

/** Judges the report; ValidationError (naming the field) for a bad draft or report, NotFoundError for an unknown digest. */
export async function dryRun(api: Pick<PolicyApi, 'engine'>, input: DryRunInput): Promise<DryRunResult> {
  let report: ScanReport | undefined;
  if (input.report !== undefined) {
    // Validated as the store would (errors name the field), without a stored form's schemaVersion.
    const { schemaVersion: _v, ...r } = validateScanReport(input.report) as ScanReport & { schemaVersion?: unknown };
    report = r as ScanReport;
  } else if (input.digest !== undefined) {
    report = await api.engine.store.reports.get(input.digest);
    if (!report) throw new NotFoundError(`no report for ${input.digest}`);
  } else {
    throw new ValidationError([{ path: 'body', message: 'give a digest (stored report) or a report' }]);
  }
  const drafts: PolicyRef[] = [];
  if (input.policy !== undefined)
    drafts.push({ id: input.policyId ?? 'draft', version: 0, policy: validateImagePolicy(input.policy, 'policy') });
  (input.policies ?? []).forEach((p, i) =>
    drafts.push({ id: p.id, version: 0, policy: validateImagePolicy(p.document, `policies[${i}].document`) }),
  );
  const snap = await api.engine.snapshot();
  // `policy`: that draft alone. `policies`: drafts replacing stored policies of the same id.
  // Neither: the stored policies as they are.
  const draftIds = new Set(drafts.map((d) => d.id));
  const policies = input.policy !== undefined ? drafts : [...snap.policies.filter((p) => !draftIds.has(p.id)), ...drafts];
  const applicable = applicablePolicies(report, policies);
  // Drafts may name VEX documents the stored policies do not: loaded for them too.
  const vexDocuments = await api.engine.vexDocumentsFor(applicable);
  const e = evaluateImage(report, applicable, snap.exceptions, input.now, { vexDocuments });
  return {
    digest: report.image.digest,
    compliant: e.compliant,
    policies: applicable.map((p) => ({ id: p.id, version: p.version })),
    reasons: e.reasons,
    exceptionsApplied: e.exceptionsApplied,
  };
}
