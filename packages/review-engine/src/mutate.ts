// /mutate: pins a pod's tags to the digests admission decided on, so the kubelet runs exactly
// the image that was judged. Opt-in (ADMISSION_MUTATE_PIN_DIGESTS, or the pod label
// assay.dev/pin-digests: "true"), at pod creation only (changing a running pod's image
// restarts its container), and at pod level only: a workload's template keeps its tags,
// so a rollout still follows them, while each pod it creates is pinned.
import { formatReference } from '@assay/image-ref';
import type { RequestOutcome } from './decide.ts';
import type { AdmissionRequest } from './review.ts';

export const PIN_LABEL = 'assay.dev/pin-digests';

export interface JsonPatchOp {
  op: 'replace';
  path: string;
  value: string;
}

/** Whether this request's object is to be pinned. */
export function wantsPinning(r: AdmissionRequest, pinAll: boolean): boolean {
  if (r.kind.group !== '' || r.kind.kind !== 'Pod' || r.operation !== 'CREATE' || !r.object) return false;
  if (pinAll) return true;
  const labels = (r.object.metadata as { labels?: Record<string, unknown> } | undefined)?.labels;
  return labels?.[PIN_LABEL] === 'true';
}

/** JSONPatch replacing every tag-only image (container images and image volume references alike) with `registry/repository:tag@digest`. */
export function pinDigestsPatch(outcome: RequestOutcome): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  for (const i of outcome.images) {
    if (!i.ref || i.ref.digest !== undefined || i.digest === undefined) continue;
    ops.push({ op: 'replace', path: i.field.pointer, value: formatReference({ ...i.ref, digest: i.digest }) });
  }
  return ops;
}
