// The labels a runtime policy's `scope.labels` is matched against: the reviewed object's own
// labels and its pod template's, so a policy scoped to `team: payments` governs a bare Pod and a
// Deployment whose pods will carry that label alike. Where both name a key, the pod template
// wins: it is what the pods will run with.
import { isObject } from '@assay/kit';
import type { AdmissionRequest } from './review.ts';

function stringLabels(metadata: unknown, into: Record<string, string>): void {
  if (!isObject(metadata) || !isObject(metadata.labels)) return;
  for (const [k, v] of Object.entries(metadata.labels)) if (typeof v === 'string') into[k] = v;
}

/** Labels of the object under review merged with its pod template's; empty for DELETE/CONNECT. */
export function workloadLabels(request: Pick<AdmissionRequest, 'object' | 'specPath'>): Record<string, string> {
  const labels: Record<string, string> = {};
  const object = request.object;
  if (!object || !request.specPath) return labels;
  stringLabels(object.metadata, labels);
  // The pod template sits beside the pod spec: `spec.template.spec` → `spec.template.metadata`.
  const templatePath = request.specPath.slice(0, -1);
  if (templatePath.length === 0) return labels;
  let template: unknown = object;
  for (const key of templatePath) template = isObject(template) ? template[key] : undefined;
  if (isObject(template)) stringLabels(template.metadata, labels);
  return labels;
}
