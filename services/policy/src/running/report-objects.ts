// Report content as the Kubernetes objects Policy Reporter reads: an OpenReports
// (`openreports.io/v1alpha1`) Report or ClusterReport, and the older wgpolicyk8s.io/v1alpha2
// PolicyReport or ClusterPolicyReport. Both name a result's workload in `resources` (OpenReports'
// Go field is `Subjects`, but its JSON name and the CRD's is `resources`: a `subjects` field is
// pruned by the API server); otherwise the same shape (summary {pass, fail, warn, error,
// skip}, results {source, policy, rule, category, result, severity, scored, message, timestamp
// {seconds, nanos}, properties}). One report per namespace, `assay-<namespace>`; results without a
// namespace go to the cluster report `assay-cluster`.
import type { KubeObject, ResourceRef } from '@assay/kube';
import type { ReportContent, ReportResult } from './report-results.ts';

export type ReportFormat = 'openreports' | 'wgpolicyk8s';
export const REPORT_FORMATS: readonly ReportFormat[] = ['openreports', 'wgpolicyk8s'];

interface FormatSpec {
  namespaced: ResourceRef & { kind: string };
  cluster: ResourceRef & { kind: string };
  /** Where a result names its workload. */
  subjectField: 'subjects' | 'resources';
}

export const FORMAT_SPECS: Record<ReportFormat, FormatSpec> = {
  openreports: {
    namespaced: { group: 'openreports.io', version: 'v1alpha1', plural: 'reports', namespaced: true, kind: 'Report' },
    cluster: { group: 'openreports.io', version: 'v1alpha1', plural: 'clusterreports', namespaced: false, kind: 'ClusterReport' },
    subjectField: 'resources',
  },
  wgpolicyk8s: {
    namespaced: { group: 'wgpolicyk8s.io', version: 'v1alpha2', plural: 'policyreports', namespaced: true, kind: 'PolicyReport' },
    cluster: {
      group: 'wgpolicyk8s.io',
      version: 'v1alpha2',
      plural: 'clusterpolicyreports',
      namespaced: false,
      kind: 'ClusterPolicyReport',
    },
    subjectField: 'resources',
  },
};

/** Labels every report Assay writes carries (and the only reports it replaces or deletes). */
export const REPORT_LABELS = { 'app.kubernetes.io/managed-by': 'assay' } as const;
/** Annotation counting the results left out of a bounded report. */
export const OMITTED_ANNOTATION = 'assay.dev/results-omitted';
export const CLUSTER_REPORT_NAME = 'assay-cluster';

/** The formats named in configuration, refusing unknown names. */
export function reportFormats(names: readonly string[]): ReportFormat[] {
  const out: ReportFormat[] = [];
  for (const n of names) {
    const f = n.trim().toLowerCase();
    if (!(REPORT_FORMATS as readonly string[]).includes(f)) {
      throw new Error(`POLICY_REPORTS_FORMAT: unknown report format "${n}" (known: ${REPORT_FORMATS.join(', ')})`);
    }
    if (!out.includes(f as ReportFormat)) out.push(f as ReportFormat);
  }
  return out;
}

/** The resource and object name of a namespace's report ('' is the cluster report). */
export function reportTarget(format: ReportFormat, namespace: string): { ref: FormatSpec['namespaced']; name: string } {
  const spec = FORMAT_SPECS[format];
  return namespace ? { ref: spec.namespaced, name: `assay-${namespace}` } : { ref: spec.cluster, name: CLUSTER_REPORT_NAME };
}

function resultObject(r: ReportResult, field: FormatSpec['subjectField']): Record<string, unknown> {
  const { subject, ...rest } = r;
  return { ...rest, [field]: [subject] };
}

/** The report object to write for a namespace ('' for the cluster report). */
export function reportObject(format: ReportFormat, namespace: string, content: ReportContent): KubeObject {
  const { ref, name } = reportTarget(format, namespace);
  const annotations = content.omitted ? { [OMITTED_ANNOTATION]: String(content.omitted) } : undefined;
  return {
    apiVersion: `${ref.group}/${ref.version}`,
    kind: ref.kind,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      labels: { ...REPORT_LABELS },
      ...(annotations ? { annotations } : {}),
    },
    summary: { ...content.summary },
    results: content.results.map((r) => resultObject(r, FORMAT_SPECS[format].subjectField)),
  };
}

/** What decides whether a stored report must be rewritten: everything but result timestamps. */
function comparable(obj: KubeObject): string {
  const results = Array.isArray(obj.results)
    ? obj.results.map((r: unknown) => {
        if (!r || typeof r !== 'object') return r;
        const { timestamp: _t, ...rest } = r as Record<string, unknown>;
        return rest;
      })
    : [];
  const labels = obj.metadata.labels ?? {};
  const annotations = obj.metadata.annotations ?? {};
  return canonical({
    summary: obj.summary ?? null,
    results,
    managed: labels['app.kubernetes.io/managed-by'] ?? null,
    omitted: annotations[OMITTED_ANNOTATION] ?? null,
  });
}

/** JSON with object keys sorted, so the API server's key order does not count as a change. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** True when the stored report already says what `wanted` says (timestamps aside). */
export function sameReport(stored: KubeObject, wanted: KubeObject): boolean {
  return comparable(stored) === comparable(wanted);
}
