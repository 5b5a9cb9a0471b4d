// The values of the two JSON buckets the policy service writes (runtime-policies,
// policy-exceptions), checked into what a decision reads: the admission mirrors decode with
// these, and the CLI's snapshot file and bucket reads do too, so both read a value alike.
import { isObject } from '@assay/kit';
import type { Exception, RuntimePolicyRef } from './snapshot.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
