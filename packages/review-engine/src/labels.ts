// The labels a runtime policy's `scope.labels` is matched against: the reviewed object's own
// labels and its pod template's, so a policy scoped to `team: payments` governs a bare Pod and a
// Deployment whose pods will carry that label alike. Where both name a key, the pod template
// wins: it is what the pods will run with.
import { isObject } from '@assay/kit';
import type { AdmissionRequest } from './review.ts';

function stringLabels(metadata: unknown, into: Record<string, string>): void {
  if (!isObject(metadata)) return;
  const labels = metadata.labels;
  if (!isObject(labels)) return;
  // Keys, not entries: no [key, value] pair allocated per label on every review.
  for (const k of Object.keys(labels)) {
    const v = labels[k];
    if (typeof v === 'string') into[k] = v;
  }
}

/** Labels of the object under review merged with its pod template's; empty for DELETE/CONNECT. */
export function workloadLabels(request: Pick<AdmissionRequest, 'object' | 'specPath'>): Record<string, string> {
  const labels: Record<string, string> = {};
  const object = request.object;
  if (!object || !request.specPath) return labels;
  stringLabels(object.metadata, labels);
  // The pod template sits beside the pod spec: `spec.template.spec` → `spec.template.metadata`.
  const specPath = request.specPath;
  if (specPath.length <= 1) return labels;
  let template: unknown = object;
  for (let i = 0; i < specPath.length - 1; i++) template = isObject(template) ? template[specPath[i]!] : undefined;
  if (isObject(template)) stringLabels(template.metadata, labels);
  return labels;
}
