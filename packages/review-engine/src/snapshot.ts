// What a decision reads: verdicts, tags, runtime policies and exceptions, as held in memory
// (the service's bucket mirrors, or whatever the CLI loads). The values of the two JSON buckets
// are read by bucket-values.ts.
import type { Verdict } from '@assay/proto';
import type { decideAdmission, RunningView, selectRuntimePolicy } from '@assay/runtime-policy';

/** `{id, version, policy}` as the runtime-policy functions take it. */
export type RuntimePolicyRef = Parameters<typeof selectRuntimePolicy>[2][number];
/** An exception as the runtime-policy functions take it (dates as Date). */
export type Exception = Parameters<typeof decideAdmission>[0]['exceptions'][number];

export interface DecisionSnapshot {
  /** The verdict of a manifest digest (`sha256:…`). */
  verdict(digest: string): Verdict | undefined;
  /** The digest a canonical reference (`registry/repository:tag`) points to, from memory. */
  digestOf(canonicalReference: string): string | undefined;
  runtimePolicies(): readonly RuntimePolicyRef[];
  exceptions(): readonly Exception[];
  /** Cluster name runtime policies may scope on. */
  readonly cluster?: string | undefined;
  /**
   * The labels of a namespace, for `scope.namespaceLabels`; undefined when unknown (no namespace
   * watch, or the namespace not seen yet), and then policies naming namespace labels do not apply.
   */
  namespaceLabels?(namespace: string): Readonly<Record<string, string>> | undefined;
  /**
   * Where a manifest digest runs in the cluster (the running bucket: a decoded RunningImage is a
   * RunningView), for a runtime policy's grace; without it, or undefined, no grace is given.
   */
  running?(digest: string): RunningView | undefined;
}
