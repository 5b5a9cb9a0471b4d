// @assay/review-engine: how an AdmissionReview is decided. Parse the review into a typed request,
// find its images, decide from a snapshot of verdicts, tags, runtime policies and exceptions,
// pin digests, and build every response. No HTTP, no bus, no I/O: the admission service and
// `assay review` wrap it. Exported: what they use, and the types of its signatures.
export {
  parseAdmissionReview,
  responseApiVersion,
  ReviewError,
  type AdmissionRequest,
  type Operation,
  type ReviewApiVersion,
  type UserInfo,
} from './review.ts';
export {
  CONTAINER_LISTS,
  extractImages,
  IMAGE_SOURCES,
  ImageFieldError,
  POD_SPEC_PATHS,
  podSpecPath,
  type ImageField,
  type ImageSource,
} from './images.ts';
export type { DecisionSnapshot, Exception, RuntimePolicyRef } from './snapshot.ts';
export { decodeException, decodeRuntimePolicy } from './bucket-values.ts';
export {
  canonicalTag,
  evaluateRequest,
  imagesOf,
  mayBeGoverned,
  parseImageReference,
  resolveFromMemory,
  reviewedLists,
  type AdmittedBy,
  type EvaluateOptions,
  type ImageOutcome,
  type RequestOutcome,
  type RuntimeDecision,
} from './decide.ts';
export { workloadsOf } from './workload.ts';
export { PIN_LABEL, pinDigestsPatch, wantsPinning, type JsonPatchOp } from './mutate.ts';
export {
  ADMISSION_REVIEW_RESPONSE_SCHEMA,
  decisionResponse,
  pinningResponse,
  type AdmissionResponseBody,
  type AdmissionReviewResponse,
} from './response.ts';
export { reviewAdmission } from './review-admission.ts';
