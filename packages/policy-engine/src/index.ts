// @assay/policy-engine: how a scan report is judged. The policies that apply to an image, each
// control's violations (one file per control), the exceptions that excuse them, the verdict built
// from the evaluation (and an index's aggregate over its platforms), and what counts as a change.
// No store, no bucket: the policy service reads and writes those around it.
export {
  applicablePolicies,
  evaluateImage,
  imageScopeOf,
  type EvaluateOptions,
  type Evaluation,
  type PolicyRef,
  type Reason,
  type SuppressedFinding,
} from './evaluate.ts';
export type { Control, ControlContext, ControlResult, Controls, Suppression, Violation } from './controls/types.ts';
export {
  boundEvidence,
  errorVerdict,
  isStale,
  MAX_EVIDENCE_PER_REASON,
  MAX_EVIDENCE_PER_VERDICT,
  outcomeChanged,
  PRODUCER,
  verdictChanged,
  verdictEvidence,
  verdictFromEvaluation,
  type ImageIdentity,
} from './verdict.ts';
export { indexVerdict } from './index-verdict.ts';
export { jsonDiff, type DiffEntry } from './diff.ts';
export {
  documentSuppression,
  MAX_VEX_DOCUMENT_BYTES,
  MAX_VEX_DOCUMENT_STATEMENTS,
  parsePurl,
  parseVexDocument,
  purlCovers,
  SUPPRESSING_STATUSES,
  vexDocumentKey,
  VexDocumentError,
  VexDocumentIndex,
  type VexDocument,
  type VexDocumentMatch,
  type VexDocumentRef,
  type VexDocumentStatement,
  type VexProduct,
  type VexStatus,
} from './vex/index.ts';
