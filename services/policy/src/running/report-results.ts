// The results of a policy report for running workloads: one per workload × failing control
// (`fail` for a blocking policy, `warn` for an audit one), one `pass` per compliant workload,
// `skip` while the image is not judged yet and `error` when its scan failed. Each carries the
// severity, a short message (never a CVE list: Trivy Operator's full lists filled etcd), the
// digest, the image and a link to the full report. Bounded: failures first, at most `maxResults`,
// the summary counting every result (kept or not). The fields are those of the OpenReports
// `ReportResult` and wgpolicyk8s.io/v1alpha2 `PolicyReportResult` (report-objects.ts).
import { Compliance, type Verdict, type VerdictReason } from '@assay/proto';

export type ResultKind = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
export type ResultSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** One workload running one digest, with the digest's verdict (undefined: none yet). */
export interface RunningWorkloadState {
  namespace: string;
  kind: string;
  name: string;
  pods: number;
  digest: string;
  /** `registry/repository[:tag]` as the running image is known. */
  image: string;
  verdict: Verdict | undefined;
}

/** The workload a result is about, as an ObjectReference. */
export interface ResultSubject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** A result, format-neutral: the subject goes to `subjects` or `resources` by format. */
export interface ReportResult {
  source: string;
  policy: string;
  rule: string;
  category: string;
  result: ResultKind;
  severity: ResultSeverity;
  scored: boolean;
  message: string;
  timestamp: { seconds: number; nanos: number };
  subject: ResultSubject;
  properties: Record<string, string>;
}

export type Summary = Record<ResultKind, number>;

export interface ReportContent {
  summary: Summary;
  results: ReportResult[];
  /** Results left out to keep the report bounded (counted in the summary). */
  omitted: number;
}

export interface ResultOptions {
  /** Link to a digest's full report. */
  link: (digest: string) => string;
  maxResults: number;
}

/** `source` of every result: what Policy Reporter groups them by. */
export const REPORT_SOURCE = 'assay';
/** Policy and rule of the results that are not about one control (pass, skip, error). */
const IMAGE_POLICY = 'image-assurance';
export const MESSAGE_MAX = 200;

const SEVERITY_RANK: Record<ResultSeverity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
const RESULT_RANK: Record<ResultKind, number> = { fail: 0, warn: 1, error: 2, skip: 3, pass: 4 };

/** Assay's severities (critical…low, unknown, negligible) as the report's enum. */
export function reportSeverity(s: string): ResultSeverity {
  const v = s.trim().toLowerCase();
  return v === 'critical' || v === 'high' || v === 'medium' || v === 'low' ? v : 'info';
}

const ADVISORY =
  /\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|OSV-\d{4}-\d+|DSA-\d+-\d+|RUSTSEC-\d{4}-\d{4}|PYSEC-\d{4}-\d+|GO-\d{4}-\d+)\b/g;

/**
 * A reason's message made short: cut before the second advisory id (the first one says what
 * kind of finding it is; a list of them is what the report must never hold), then to
 * MESSAGE_MAX characters.
 */
export function shortMessage(message: string): string {
  let text = message.replace(/\s+/g, ' ').trim();
  const ids = [...text.matchAll(ADVISORY)];
  if (ids.length > 1) text = `${text.slice(0, ids[1]!.index).replace(/[\s,;:(]+$/, '')} …`;
  return text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX - 1)}…` : text;
}

/** The API version of a workload kind, for the result's ObjectReference. */
export function workloadApiVersion(kind: string): string {
  if (kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet' || kind === 'ReplicaSet') return 'apps/v1';
  if (kind === 'Job' || kind === 'CronJob') return 'batch/v1';
  return 'v1';
}

function subjectOf(w: RunningWorkloadState): ResultSubject {
  return { apiVersion: workloadApiVersion(w.kind), kind: w.kind, name: w.name, ...(w.namespace ? { namespace: w.namespace } : {}) };
}

function timestampOf(v: Verdict | undefined): { seconds: number; nanos: number } {
  const t = v?.evaluatedAt;
  return { seconds: t ? Number(t.seconds) : 0, nanos: t?.nanos ?? 0 };
}

/** The results for one workload. */
export function workloadResults(w: RunningWorkloadState, opts: ResultOptions): ReportResult[] {
  const v = w.verdict;
  const base = {
    source: REPORT_SOURCE,
    timestamp: timestampOf(v),
    subject: subjectOf(w),
    properties: {
      digest: w.digest,
      image: w.image,
      report: opts.link(w.digest),
      pods: String(w.pods),
      ...(v?.reportId ? { reportId: v.reportId } : {}),
    },
  };
  const whole = (result: ResultKind, message: string, severity: ResultSeverity = 'info'): ReportResult => ({
    ...base,
    policy: IMAGE_POLICY,
    rule: 'verdict',
    category: 'image assurance',
    result,
    severity,
    scored: true,
    message,
  });
  if (!v || v.compliance === Compliance.PENDING || v.compliance === Compliance.UNSPECIFIED) {
    return [whole('skip', 'the image is not judged yet (scan pending)')];
  }
  if (v.compliance === Compliance.ERROR) {
    return [whole('error', shortMessage(v.reasons[0]?.message ?? 'the scan failed'))];
  }
  // One result per policy × control; a blocking reason makes it a failure.
  const groups = new Map<string, VerdictReason[]>();
  for (const r of v.reasons) {
    const key = `${r.policy}\u0000${r.control}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: ReportResult[] = [];
  for (const rs of groups.values()) {
    const first = rs[0]!;
    const blocking = rs.some((r) => !r.auditOnly);
    const severity = rs.map((r) => reportSeverity(r.severity)).reduce((a, b) => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a));
    out.push({
      ...base,
      policy: first.policy || IMAGE_POLICY,
      rule: first.control,
      category: first.control,
      result: blocking && v.compliance === Compliance.NON_COMPLIANT ? 'fail' : 'warn',
      severity,
      scored: blocking,
      message: shortMessage((rs.find((r) => !r.auditOnly) ?? first).message),
    });
  }
  if (!out.some((r) => r.result === 'fail')) out.push(whole('pass', 'compliant with every image assurance policy'));
  return out;
}

function compareResults(a: ReportResult, b: ReportResult): number {
  return (
    RESULT_RANK[a.result] - RESULT_RANK[b.result] ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    a.subject.kind.localeCompare(b.subject.kind) ||
    a.subject.name.localeCompare(b.subject.name) ||
    a.policy.localeCompare(b.policy) ||
    a.rule.localeCompare(b.rule) ||
    a.properties.digest!.localeCompare(b.properties.digest!)
  );
}

/** Every workload's results, ordered (failures, most severe first), bounded, with the summary. */
export function reportContent(workloads: Iterable<RunningWorkloadState>, opts: ResultOptions): ReportContent {
  const all: ReportResult[] = [];
  for (const w of workloads) all.push(...workloadResults(w, opts));
  all.sort(compareResults);
  const summary: Summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of all) summary[r.result]++;
  const results = all.slice(0, opts.maxResults);
  return { summary, results, omitted: all.length - results.length };
}
