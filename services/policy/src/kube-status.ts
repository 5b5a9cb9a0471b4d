// The status the policy controller writes on an assay.dev resource: observedGeneration, the
// Accepted condition (metav1.Condition: True/Accepted with the stored version, False/Invalid with
// the validation message naming the field, False/ManagedByApi), and for an image assurance policy
// the counts of images judged compliant / non-compliant under it. Written only when it changed:
// a status write is itself a watch event, and an unchanged status must not loop.
import { isObject } from '@assay/kit';
import { Compliance, type Verdict } from '@assay/proto';

export type AcceptedReason = 'Accepted' | 'Invalid' | 'ManagedByApi';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ImageCounts {
  compliant: number;
  nonCompliant: number;
}

export interface ResourceStatus {
  observedGeneration?: number;
  conditions: Condition[];
  storedVersion?: number;
  images?: ImageCounts;
}

/** A condition message is kept short: the status is read by people (kubectl describe). */
const MAX_MESSAGE = 1024;

function previousConditions(status: unknown): Condition[] {
  if (!isObject(status) || !Array.isArray(status.conditions)) return [];
  return status.conditions.filter((c): c is Condition => isObject(c) && typeof c.type === 'string');
}

/**
 * The status to write: the Accepted condition (its lastTransitionTime kept while its status does
 * not change), the stored version when accepted, and the image counts when given. Other
 * conditions someone else wrote are kept.
 */
export function buildStatus(
  previous: unknown,
  generation: number | undefined,
  accepted: { status: boolean; reason: AcceptedReason; message: string; storedVersion?: number | undefined },
  images: ImageCounts | undefined,
  now: Date,
): ResourceStatus {
  const conditions = previousConditions(previous);
  const before = conditions.find((c) => c.type === 'Accepted');
  const status = accepted.status ? 'True' : 'False';
  const condition: Condition = {
    type: 'Accepted',
    status,
    reason: accepted.reason,
    message: accepted.message.length > MAX_MESSAGE ? `${accepted.message.slice(0, MAX_MESSAGE - 1)}…` : accepted.message,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z'),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  // A refused object changes nothing: the version still in force (and its counts) stay shown, so
  // `kubectl get` says what runs while the condition says why the new spec was not taken.
  const kept = isObject(previous) ? previous : {};
  const storedVersion =
    accepted.storedVersion ?? (!accepted.status && typeof kept.storedVersion === 'number' ? kept.storedVersion : undefined);
  const shownImages = images ?? (!accepted.status && isObject(kept.images) ? (kept.images as unknown as ImageCounts) : undefined);
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [...conditions.filter((c) => c.type !== 'Accepted'), condition],
    ...(storedVersion !== undefined ? { storedVersion } : {}),
    ...(shownImages ? { images: shownImages } : {}),
  };
}

/** Whether `next` says anything `current` (the object's status) does not. */
export function statusChanged(current: unknown, next: ResourceStatus): boolean {
  return JSON.stringify(normalise(current)) !== JSON.stringify(normalise(next));
}

function normalise(s: unknown): unknown {
  if (!isObject(s)) return null;
  const sortKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return {
    observedGeneration: s.observedGeneration ?? null,
    storedVersion: s.storedVersion ?? null,
    images: isObject(s.images) ? sortKeys(s.images) : null,
    conditions: previousConditions(s).map((c) => sortKeys({ ...c })),
  };
}

/**
 * How a verdict judges an image under one policy: non-compliant when the policy gave a reason
 * that is not audit-only, compliant when it was judged (compliant or not) and the policy applied
 * without such a reason; pending and failed scans are not counted.
 */
export function judgedUnder(v: Verdict, policyId: string): 'compliant' | 'nonCompliant' | undefined {
  if (v.compliance !== Compliance.COMPLIANT && v.compliance !== Compliance.NON_COMPLIANT) return undefined;
  if (!v.policies.some((p) => p.id === policyId)) return undefined;
  return v.reasons.some((r) => r.policy === policyId && !r.auditOnly) ? 'nonCompliant' : 'compliant';
}
