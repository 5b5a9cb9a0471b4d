// @assay/runtime-policy: pure functions the policy service and the admission webhook share, so
// admission decides from memory exactly as policy would.
export { anyGlob, globMatch } from './globs.ts';
export { imageName, inScope, reportLabels, type ImageScope } from './scope.ts';
export { coveringException, exceptionCoversImage, exceptionsFor, inForce } from './exceptions.ts';
export {
  decideAdmission,
  mayGovernNamespace,
  selectRuntimePolicy,
  type AdmissionDecision,
  type AdmissionInput,
  type AdmissionMode,
  type RuntimePolicyRef,
  type VerdictView,
} from './runtime.ts';
export {
  aggregateCompliance,
  narrowToPlatforms,
  platformMatches,
  platformName,
  platformReasons,
  type PlatformName,
  type PlatformVerdictView,
  type ReasonView,
} from './platforms.ts';
export { exemptionFor, type ExemptionUse } from './exemptions.ts';
export { referenceText, type ImageNaming } from './image-text.ts';
export {
  graceFor,
  graceText,
  timestampToDate,
  type GraceInput,
  type GraceUse,
  type RunningView,
  type TimestampView,
  type WorkloadRef,
} from './grace.ts';
