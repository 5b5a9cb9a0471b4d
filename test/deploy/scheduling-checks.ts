// Scheduling checks shared by the kustomize and Helm tests: what keeps every workload
// schedulable on one node (kind, a default `helm install`) and every rollout and drain live.
import { idOf, workloads } from './k8s-checks.ts';
import type { K8sObject } from './kustomize-render.ts';

interface Strategy {
  type?: string;
  rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
}
interface DisruptionBudget {
  maxUnavailable?: number | string;
  minAvailable?: number | string;
  selector: { matchLabels?: Record<string, string> };
}

/**
 * What keeps workloads schedulable and rollouts live: on `singleNode`, no required per-node
 * anti-affinity and no zone spread that refuses to schedule (nodes without a zone label would
 * never qualify); everywhere, a Deployment that requires one pod per node rolls out by replacing
 * (surge 0, at least one unavailable) — a surge pod would have nowhere to go — and every other
 * Deployment surges; a PodDisruptionBudget always lets a drain evict one pod.
 */
export function schedulingProblems(objects: K8sObject[], opts: { singleNode: boolean }): string[] {
  const p: string[] = [];
  for (const w of workloads(objects)) {
    if (!['Deployment', 'StatefulSet'].includes(w.object.kind)) continue;
    const required = (w.pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(
      (t) => t.topologyKey === 'kubernetes.io/hostname',
    );
    const strictSpread = (w.pod.topologySpreadConstraints ?? []).some((t) => t.whenUnsatisfiable === 'DoNotSchedule');
    if (opts.singleNode && required) p.push(`${w.id}: requires one pod per node`);
    if (opts.singleNode && strictSpread) p.push(`${w.id}: a DoNotSchedule spread constraint`);
    if (w.object.kind !== 'Deployment') continue;
    const spec = w.object['spec'] as { replicas?: number; strategy?: Strategy };
    const st = spec.strategy;
    if (st?.type === 'Recreate') continue;
    const surge = st?.rollingUpdate?.maxSurge ?? '25%';
    const unavailable = st?.rollingUpdate?.maxUnavailable ?? '25%';
    const zero = (v: number | string) => v === 0 || v === '0' || v === '0%';
    if (required && !(zero(surge) && !zero(unavailable)))
      p.push(
        `${w.id}: requires one pod per node, so it must roll out with maxSurge 0 and maxUnavailable ≥ 1 (has ${surge}/${unavailable})`,
      );
    if (!required && zero(surge)) p.push(`${w.id}: maxSurge 0 without a reason (one pod per node)`);
  }
  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const spec = pdb['spec'] as DisruptionBudget;
    const sel = spec.selector.matchLabels ?? {};
    const target = workloads(objects).find(
      (w) => w.object.metadata.namespace === pdb.metadata.namespace && Object.entries(sel).every(([k, v]) => w.labels[k] === v),
    );
    if (!target) {
      p.push(`${idOf(pdb)}: selects no workload`);
      continue;
    }
    const replicas = (target.object['spec'] as { replicas?: number }).replicas ?? 1;
    const allows =
      spec.maxUnavailable !== undefined
        ? !(spec.maxUnavailable === 0 || spec.maxUnavailable === '0%')
        : typeof spec.minAvailable === 'number'
          ? spec.minAvailable < replicas
          : spec.minAvailable !== '100%';
    if (!allows) p.push(`${idOf(pdb)}: a drain could never evict a pod of ${target.id} (${replicas} replicas)`);
  }
  return p;
}
