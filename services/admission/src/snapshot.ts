// What a decision reads: verdicts, tags, runtime policies and exceptions, as held in memory
// (the service's bucket mirrors, or whatever the CLI loads). Also the decoders of the two JSON
// buckets the policy service writes.
import type { Verdict } from '@assay/proto';
import type { decideAdmission, selectRuntimePolicy } from '@assay/runtime-policy';

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
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A `runtime-policies` value: JSON `{id, version, policy}`. Throws on anything else (the mirror logs and skips it). */
export function decodeRuntimePolicy(bytes: Uint8Array, key: string): RuntimePolicyRef {
  const v: unknown = JSON.parse(utf8.decode(bytes));
  if (!isObject(v) || typeof v.id !== 'string' || typeof v.version !== 'number' || !isObject(v.policy)) {
    throw new Error(`runtime policy ${key}: want {id, version, policy}`);
  }
  const p = v.policy;
  if (typeof p.enabled !== 'boolean' || typeof p.enforcement !== 'string' || !isObject(p.scope) || !Array.isArray(p.scope.namespaces)) {
    throw new Error(`runtime policy ${key}: policy lacks enabled, enforcement or scope.namespaces`);
  }
  return v as unknown as RuntimePolicyRef;
}

/** A `policy-exceptions` value: the exception as JSON, its dates ISO strings. */
export function decodeException(bytes: Uint8Array, key: string): Exception {
  const v: unknown = JSON.parse(utf8.decode(bytes));
  if (!isObject(v) || typeof v.id !== 'string' || !isObject(v.scope)) throw new Error(`exception ${key}: want {id, scope, …}`);
  const date = (field: string): Date => {
    const raw = v[field];
    const d = typeof raw === 'string' || typeof raw === 'number' ? new Date(raw) : undefined;
    if (!d || Number.isNaN(d.getTime())) throw new Error(`exception ${key}: ${field} is not a date`);
    return d;
  };
  return { ...v, createdAt: date('createdAt'), expiresAt: date('expiresAt') } as unknown as Exception;
}
