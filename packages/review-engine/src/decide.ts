// The decision for one AdmissionRequest, from memory alone: each image's reference normalised
// and resolved to a digest, its verdict looked up, and the namespace's runtime policy applied
// through the shared runtime-policy functions. Pure and synchronous: the webhook adds the
// bounded registry lookup and the wait for a pending verdict around it; the CLI reuses it as is.
import { formatReference, parseReference, type ImageReference } from '@assay/image-ref';
import { boundedMemo } from '@assay/kit';
import type { Verdict } from '@assay/proto';
import { decideAdmission, mayGovernNamespace, referenceText, selectRuntimePolicy, type ExemptionUse } from '@assay/runtime-policy';
import { extractImages, IMAGE_SOURCES, type ImageField, type ImageSource } from './images.ts';
import { workloadLabels } from './labels.ts';
import { workloadsOf } from './workload.ts';
import type { AdmissionRequest } from './review.ts';
import type { DecisionSnapshot, RuntimePolicyRef } from './snapshot.ts';

export type RuntimeDecision = ReturnType<typeof decideAdmission>;

/**
 * What let an image in that the runtime policy would otherwise have judged: a break-glass
 * exception (admitted despite its violations), or an exemption of the runtime policy (not judged).
 */
export type AdmittedBy =
  { kind: 'break-glass'; exceptionId: string } | { kind: 'exemption'; runtimePolicy: string; exemption: ExemptionUse };

/** `break-glass exception incident-42`, `namespace exemption "kube-*" of runtime policy prod`. */
export function admittedByText(a: AdmittedBy): string {
  return a.kind === 'break-glass'
    ? `break-glass exception ${a.exceptionId}`
    : `${a.exemption.kind} exemption ${JSON.stringify(a.exemption.pattern)} of runtime policy ${a.runtimePolicy}`;
}

export interface ImageOutcome {
  field: ImageField;
  /** Normalised; undefined when the reference does not parse. */
  ref: ImageReference | undefined;
  /** `registry/repository[:tag][@digest]` as resolved, or the raw reference when invalid. */
  normalised: string;
  /** As messages name it: the reference as written, then the digest (`"nginx:1.27" (sha256:…)`, `… (digest unknown)`). */
  named: string;
  /** Manifest digest, when given or resolved. */
  digest: string | undefined;
  /** Why its tag has no digest, when a registry lookup did not tell in time (`its tag was not resolved within …`). */
  unresolved: string | undefined;
  verdict: Verdict | undefined;
  decision: RuntimeDecision | undefined;
  allowed: boolean;
  /** The break-glass exception or exemption that let it in, when one did. */
  admittedBy: AdmittedBy | undefined;
  /** The line naming this image in the refusal (or warning), when it has a problem or was let in by an exception or exemption. */
  line: string | undefined;
}

export interface RequestOutcome {
  request: AdmissionRequest;
  allowed: boolean;
  /** enforce, warn, audit or none. */
  mode: string;
  runtimePolicy: string;
  /**
   * Refusal (or audit/warn) text: one line per image with a problem; when allowed, also one per
   * image a break-glass exception or an exemption let in (so the audit names each); 'allowed' otherwise.
   */
  message: string;
  warnings: string[];
  /** Every break-glass exception that let an image in, comma-separated (one id, usually); '' when none. */
  exceptionId: string;
  /** The same, as a list, in image order. */
  exceptionIds: string[];
  /** Every exemption that let an image in (admittedByText), in image order. */
  exemptions: string[];
  images: ImageOutcome[];
  /** Digests some image waits for (runtime policy pending: wait), with the latest deadline asked. */
  waiting: { digests: string[]; deadline: Date } | undefined;
  /** Images (with digest) to ask the scanner for. */
  scanRequests: ImageReference[];
}

/** parseReference, remembered (the same references come back request after request). */
export const parseImageReference: (text: string) => ImageReference = boundedMemo(10_000, parseReference);

export interface EvaluateOptions {
  now?: Date;
  /** The request's image fields, when the caller has them already (imagesOf). */
  fields?: ImageField[];
  /** The wait for pending verdicts has run out: decide without waiting. */
  waitExpired?: boolean;
  /**
   * Canonical tag references whose registry lookup did not answer in time (or failed), with why:
   * decided as any image of unknown digest, and the message says why the digest is unknown.
   */
  unresolved?: ReadonlyMap<string, string>;
}

/**
 * The lists reviewed: on the `ephemeralcontainers` subresource only the ephemeral containers (the
 * pod's own containers and volumes were admitted when it was created and cannot change); else
 * every container list and the image volumes.
 */
export function reviewedLists(request: AdmissionRequest): readonly ImageSource[] {
  return request.subResource === 'ephemeralcontainers' ? ['ephemeralContainers'] : IMAGE_SOURCES;
}

/**
 * The image fields to review. On an UPDATE only the images that differ from the old object at
 * the same place: the others were admitted already, and re-judging them would refuse unrelated
 * changes (a label, a finalizer removed during deletion) of a pod whose image has since turned
 * non-compliant.
 */
export function imagesOf(request: AdmissionRequest): ImageField[] {
  if (!request.object || !request.specPath) return [];
  const lists = reviewedLists(request);
  const fields = extractImages(request.object, request.specPath, lists);
  if (request.operation !== 'UPDATE' || !request.oldObject) return fields;
  let before: Map<string, string>;
  try {
    before = new Map(extractImages(request.oldObject, request.specPath, lists).map((f) => [f.pointer, f.reference]));
  } catch {
    return fields;
  }
  return fields.filter((f) => before.get(f.pointer) !== f.reference);
}

const canonicalOf = new WeakMap<ImageReference, string>();

/**
 * `registry/repository:tag` of a reference without a digest, as the tags mirror, the registry
 * lookups and `EvaluateOptions.unresolved` are keyed (remembered per parsed reference).
 */
export function canonicalTag(ref: ImageReference): string {
  let canonical = canonicalOf.get(ref);
  if (canonical === undefined) canonicalOf.set(ref, (canonical = formatReference(ref)));
  return canonical;
}

/** The manifest digest of a reference, from memory: as given, or through the tags mirror. */
export function resolveFromMemory(ref: ImageReference, snapshot: Pick<DecisionSnapshot, 'digestOf'>): string | undefined {
  if (ref.digest !== undefined) return ref.digest;
  return snapshot.digestOf(canonicalTag(ref));
}

/**
 * One line of a refusal or warning: where the image is, what is wrong, and the runtime policy
 * that says so (unless the text names it already), so a warning reads like the denial it stands for.
 */
function fieldLine(field: ImageField, text: string, policy: RuntimePolicyRef | undefined): string {
  const named = policy === undefined || text.includes(`runtime policy ${policy.id}`);
  return `${field.where}: ${text}${named ? '' : ` (runtime policy ${policy.id})`}`;
}

const MAX_WARNINGS = 20;
const MAX_WARNING_LENGTH = 512;
/**
 * Lines of a refusal (or audit/warn) message: a review naming thousands of images gets the first
 * ones and a count, so the answer (and the audit record's message) stays small. The audit record
 * still has every image.
 */
const MAX_MESSAGE_LINES = 20;
const MAX_MESSAGE_LINE_LENGTH = 2048;

/** The message's lines, capped: the first MAX_MESSAGE_LINES, then `… and N more images`. */
function messageOf(lines: readonly string[]): string {
  if (lines.length === 0) return 'allowed';
  const shown = lines
    .slice(0, MAX_MESSAGE_LINES)
    .map((l) => (l.length > MAX_MESSAGE_LINE_LENGTH ? `${l.slice(0, MAX_MESSAGE_LINE_LENGTH - 1)}…` : l));
  const more = lines.length - shown.length;
  return more > 0 ? `${shown.join('\n')}\n… and ${more} more image${more === 1 ? '' : 's'}` : shown.join('\n');
}

/**
 * Whether any runtime policy could govern the request's namespace. When none can, every image is
 * allowed unjudged, so the digests of tags the snapshot lacks need not be looked up.
 */
export function mayBeGoverned(request: AdmissionRequest, snapshot: DecisionSnapshot): boolean {
  return mayGovernNamespace(request.namespace, snapshot.runtimePolicies(), snapshot.cluster);
}

export function evaluateRequest(request: AdmissionRequest, snapshot: DecisionSnapshot, opts: EvaluateOptions = {}): RequestOutcome {
  const now = opts.now ?? new Date();
  const fields = opts.fields ?? imagesOf(request);
  const base = { request, exceptionId: '', exceptionIds: [], exemptions: [], scanRequests: [] as ImageReference[], waiting: undefined };
  if (fields.length === 0) {
    return { ...base, allowed: true, mode: 'none', runtimePolicy: '', message: 'allowed: no images to review', warnings: [], images: [] };
  }
  // Scope labels are the workload's (object and pod template); namespace labels, which the
  // AdmissionReview does not carry, come from the snapshot's namespace watch when there is one.
  const policy: RuntimePolicyRef | undefined = selectRuntimePolicy(
    request.namespace,
    workloadLabels(request),
    snapshot.runtimePolicies(),
    snapshot.cluster,
    snapshot.namespaceLabels?.(request.namespace),
  );
  const mode = policy?.policy.enabled ? policy.policy.enforcement : 'none';
  const exceptions = snapshot.exceptions();
  const images: ImageOutcome[] = [];
  const warnings: string[] = [];
  const waitingFor = new Set<string>();
  let deadline: Date | undefined;
  const exceptionIds = new Set<string>();
  const exemptions = new Set<string>();
  const scanRequests: ImageReference[] = [];
  // Grace is for re-creating what runs: a CREATE only (an UPDATE's reviewed images are the
  // changed ones, new to the workload), under a policy granting it; the workloads found once.
  const graceWorkloads = request.operation === 'CREATE' && policy?.policy.grace && snapshot.running ? workloadsOf(request) : undefined;

  for (const field of fields) {
    let ref: ImageReference;
    try {
      ref = parseImageReference(field.reference);
    } catch (err) {
      const line = `${field.where}: image reference ${JSON.stringify(field.reference)} is invalid: ${(err as Error).message}`;
      // An image that cannot be named cannot be shown compliant: refused wherever a policy enforces.
      const allowed = mode !== 'enforce';
      if (mode === 'warn') warnings.push(line);
      images.push({
        field,
        ref: undefined,
        normalised: field.reference,
        named: `${JSON.stringify(field.reference)} (invalid reference)`,
        digest: undefined,
        unresolved: undefined,
        verdict: undefined,
        decision: undefined,
        allowed,
        admittedBy: undefined,
        line,
      });
      continue;
    }
    // A tag whose lookup did not answer in time has no digest in memory either (asked just now).
    const unresolved = ref.digest === undefined ? opts.unresolved?.get(canonicalTag(ref)) : undefined;
    const digest = unresolved === undefined ? resolveFromMemory(ref, snapshot) : undefined;
    const verdict = digest !== undefined ? snapshot.verdict(digest) : undefined;
    const decision = decideAdmission({
      verdict,
      runtimePolicy: policy,
      // Named in messages as written, then by digest; an unresolved tag has none ("digest unknown").
      image: { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest, reference: field.reference },
      namespace: request.namespace,
      exceptions,
      now,
      ...(opts.waitExpired ? { waitExpired: true } : {}),
      ...(unresolved !== undefined ? { unresolved } : {}),
      ...(request.dryRun ? { dryRun: true } : {}),
      ...(graceWorkloads && digest !== undefined ? { grace: { running: snapshot.running?.(digest), workloads: graceWorkloads } } : {}),
    });
    const pinned: ImageReference = digest !== undefined ? { ...ref, digest } : ref;
    let line: string | undefined;
    let admittedBy: AdmittedBy | undefined;
    if (decision.exceptionId) {
      admittedBy = { kind: 'break-glass', exceptionId: decision.exceptionId };
      exceptionIds.add(decision.exceptionId);
    } else if (decision.exemption && policy) {
      // An exemption lets the image in unjudged: named, so its use is audited.
      admittedBy = { kind: 'exemption', runtimePolicy: policy.id, exemption: decision.exemption };
      exemptions.add(admittedByText(admittedBy));
      line = `${field.where}: ${decision.message} (${admittedByText(admittedBy)})`;
    }
    if (decision.outcome === 'wait') {
      if (digest !== undefined) waitingFor.add(digest);
      if (decision.deadline && (!deadline || decision.deadline > deadline)) deadline = decision.deadline;
    } else if (!decision.allowed || decision.violations.length > 0 || (decision.advisories?.length ?? 0) > 0) {
      line = fieldLine(field, decision.message, policy);
    }
    for (const w of decision.warnings) warnings.push(fieldLine(field, w, policy));
    if (decision.requestScan && digest !== undefined) scanRequests.push(pinned);
    const named = referenceText({ ...ref, digest, reference: field.reference });
    images.push({
      field,
      ref,
      normalised: formatReference(pinned),
      named,
      digest,
      unresolved,
      verdict,
      decision,
      allowed: decision.allowed,
      admittedBy,
      line,
    });
  }

  const allowed = images.every((i) => i.allowed);
  const lines = images.filter((i) => i.line !== undefined && (!allowed ? !i.allowed : true)).map((i) => i.line!);
  const message = messageOf(lines);
  const uniqueWarnings = [...new Set(warnings)]
    .slice(0, MAX_WARNINGS)
    .map((w) => (w.length > MAX_WARNING_LENGTH ? `${w.slice(0, MAX_WARNING_LENGTH - 1)}…` : w));
  return {
    request,
    allowed,
    mode,
    runtimePolicy: policy?.id ?? '',
    message,
    warnings: uniqueWarnings,
    exceptionId: [...exceptionIds].join(','),
    exceptionIds: [...exceptionIds],
    exemptions: [...exemptions],
    images,
    waiting: waitingFor.size > 0 && deadline ? { digests: [...waitingFor], deadline } : undefined,
    scanRequests,
  };
}
