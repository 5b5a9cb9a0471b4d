// The whole review of one AdmissionReview from memory, with nothing around it: parse, decide,
// answer. What `assay review` runs; the webhook runs the same three steps with its registry
// lookups and its wait for a pending verdict in between.
import { evaluateRequest, type EvaluateOptions, type RequestOutcome } from './decide.ts';
import { decisionResponse, type AdmissionReviewResponse } from './response.ts';
import { parseAdmissionReview } from './review.ts';
import type { DecisionSnapshot } from './snapshot.ts';

/**
 * Parses (throws ReviewError for a malformed document), decides and answers. With no wait
 * possible here, a pending verdict under `pending: wait` is decided as if the wait had run out
 * unless `waitExpired: false` is passed.
 */
export function reviewAdmission(
  review: unknown,
  snapshot: DecisionSnapshot,
  opts: EvaluateOptions = {},
): { response: AdmissionReviewResponse; outcome: RequestOutcome } {
  const request = parseAdmissionReview(review);
  const outcome = evaluateRequest(request, snapshot, { waitExpired: true, ...opts });
  return { response: decisionResponse(outcome), outcome };
}
