// A runtime policy's grace for what already runs: a non-compliant image may still re-create a
// workload that was admitted while the image was compliant (a restart, a scale-up, a node drain),
// for the policy's `grace.days` after the verdict turned. New CVEs must not break production
// restarts; they must not let new workloads in either. Pure: the running entries come from
// admission's mirror of the running bucket, the workload from the request.
import type { RuntimePolicy } from '@assay/domain';

/** A workload as Kubernetes names it: `Deployment`/`web`. */
export interface WorkloadRef {
  kind: string;
  name: string;
}

/** A protobuf Timestamp (a decoded RunningWorkload's first_seen, a Verdict's compliance_since). */
export interface TimestampView {
  seconds: bigint;
  nanos: number;
}

/** What the grace reads of a RunningImage (a decoded one is one): where the digest runs. */
export interface RunningView {
  workloads: ReadonlyArray<{ namespace: string; kind: string; name: string; firstSeen?: TimestampView | undefined }>;
}

/** The grace that let an image in: the running workload it re-creates, and until when. */
export interface GraceUse {
  workload: WorkloadRef;
  /** When the verdict turned non-compliant. */
  since: Date;
  until: Date;
  runtimePolicy: string;
}

export interface GraceInput {
  policy: RuntimePolicy;
  runtimePolicyId: string;
  /** The verdict's compliance_since; undefined when not known (then there is no grace). */
  complianceSince: TimestampView | undefined;
  /** Where the digest runs now; undefined when it runs nowhere Assay has seen. */
  running: RunningView | undefined;
  namespace: string;
  /** The request's workload and what it stands for (workloadsOf in the review engine). */
  workloads: readonly WorkloadRef[];
  now: Date;
}

const DAY_MS = 86_400_000;

export function timestampToDate(t: TimestampView): Date {
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6));
}

/**
 * The grace for a non-compliant image, or undefined: the runtime policy grants one, the digest
 * runs in the namespace under one of the request's workloads, that workload was first seen
 * running it before the verdict turned, and the grace has not run out.
 */
export function graceFor(input: GraceInput): GraceUse | undefined {
  const days = input.policy.grace?.days;
  if (days === undefined || !input.complianceSince || !input.running || input.workloads.length === 0) return undefined;
  const since = timestampToDate(input.complianceSince);
  const until = new Date(since.getTime() + days * DAY_MS);
  if (!(input.now < until)) return undefined;
  for (const w of input.running.workloads) {
    if (w.namespace !== input.namespace || !w.firstSeen) continue;
    if (!input.workloads.some((c) => c.kind === w.kind && c.name === w.name)) continue;
    // Seen running only after the verdict turned: it was never admitted while compliant.
    if (!(timestampToDate(w.firstSeen) < since)) continue;
    return { workload: { kind: w.kind, name: w.name }, since, until, runtimePolicy: input.runtimePolicyId };
  }
  return undefined;
}

/** The warning of an image let in under grace (`reasons` as the refusal would list them). */
export function graceText(grace: GraceUse, image: string, reasons: string, now: Date): string {
  const ago = Math.max(0, Math.floor((now.getTime() - grace.since.getTime()) / DAY_MS));
  return (
    `allowed under grace: ${image} turned non-compliant ${ago} days ago (${reasons}); ` +
    `re-creation of ${grace.workload.kind}/${grace.workload.name} allowed until ${grace.until.toISOString()} ` +
    `(runtime policy ${grace.runtimePolicy})`
  );
}
