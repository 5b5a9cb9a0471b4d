// Which running workloads an admission request re-creates, for a runtime policy's grace: the
// object itself, its controller owner, and the workload either stands for as the
// registry-watcher records running workloads (a Pod's owner chain resolved). A ReplicaSet
// `web-5d4f8` whose `pod-template-hash` label is `5d4f8` stands for its Deployment `web` (the
// Deployment controller names them so, and labels their pods and the ReplicaSet with the hash);
// a Job `nightly-29012345` may stand for its CronJob `nightly` (the CronJob controller appends
// the scheduled time in minutes). Over-naming is harmless: a name only counts when the running
// bucket has that workload in the namespace.
import { isObject } from '@assay/kit';
import type { WorkloadRef } from '@assay/runtime-policy';
import type { AdmissionRequest } from './review.ts';

const POD_TEMPLATE_HASH = 'pod-template-hash';
/** Owners looked at: a real object has one controller; a crafted one gets no more than this. */
const MAX_OWNERS = 5;

function stringLabels(metadata: Record<string, unknown>): Record<string, string> {
  const labels = metadata.labels;
  if (!isObject(labels)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The workload and what it stands for. */
function expand(w: WorkloadRef, labels: Record<string, string>): WorkloadRef[] {
  const out = [w];
  const hash = labels[POD_TEMPLATE_HASH];
  if (w.kind === 'ReplicaSet' && hash && w.name.endsWith(`-${hash}`) && w.name.length > hash.length + 1) {
    out.push({ kind: 'Deployment', name: w.name.slice(0, -hash.length - 1) });
  }
  const job = w.kind === 'Job' ? /^(.+)-\d+$/.exec(w.name) : null;
  if (job) out.push({ kind: 'CronJob', name: job[1]! });
  return out;
}

/**
 * The workloads the request's object re-creates: itself (when it has a name), its controller
 * owner (or its owners when none is marked controller), and what each stands for.
 */
export function workloadsOf(request: AdmissionRequest): WorkloadRef[] {
  const object = request.object;
  const metadata = isObject(object?.metadata) ? object.metadata : {};
  const labels = stringLabels(metadata);
  const out: WorkloadRef[] = [];
  const name = request.name || (typeof metadata.name === 'string' ? metadata.name : '');
  if (name) out.push(...expand({ kind: request.kind.kind, name }, labels));
  const refs = Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences.slice(0, MAX_OWNERS) : [];
  const owners = refs.filter((r): r is Record<string, unknown> => isObject(r) && typeof r.kind === 'string' && typeof r.name === 'string');
  const controllers = owners.filter((r) => r.controller === true);
  for (const r of controllers.length > 0 ? controllers : owners) {
    if (r.name) out.push(...expand({ kind: r.kind as string, name: r.name as string }, labels));
  }
  return out;
}
