// Every AdmissionReview answer, built here and nowhere else: /validate's decision (a refusal
// carries the reason as a 403 status, exceptions and exemptions go to audit annotations) and
// /mutate's pinning (allowed, with the JSONPatch when there is one). Both answer in the
// apiVersion the review came in, echoing its uid, as the API server requires.
import type { RequestOutcome } from './decide.ts';
import type { JsonPatchOp } from './mutate.ts';
import type { AdmissionRequest, ReviewApiVersion } from './review.ts';

export interface AdmissionResponseBody {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
  patchType?: 'JSONPatch';
  patch?: string;
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: ReviewApiVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponseBody;
}

/** The JSON schema of an AdmissionReviewResponse, for a server that serializes by schema. */
export const ADMISSION_REVIEW_RESPONSE_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'response'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    response: {
      type: 'object',
      required: ['uid', 'allowed'],
      properties: {
        uid: { type: 'string' },
        allowed: { type: 'boolean' },
        status: {
          type: 'object',
          properties: { code: { type: 'integer' }, reason: { type: 'string' }, message: { type: 'string' } },
        },
        warnings: { type: 'array', items: { type: 'string' } },
        patchType: { type: 'string' },
        patch: { type: 'string' },
        auditAnnotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
} as const;

function envelope(apiVersion: ReviewApiVersion, response: AdmissionResponseBody): AdmissionReviewResponse {
  return { apiVersion, kind: 'AdmissionReview', response };
}

/** /validate's answer: the outcome's decision, its warnings, and the exceptions and exemptions used. */
export function decisionResponse(outcome: RequestOutcome): AdmissionReviewResponse {
  const { request } = outcome;
  return envelope(request.apiVersion, {
    uid: request.uid,
    allowed: outcome.allowed,
    ...(outcome.allowed ? {} : { status: { code: 403, reason: 'Forbidden', message: outcome.message } }),
    ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
    ...(outcome.exceptionId || outcome.exemptions.length > 0
      ? {
          auditAnnotations: {
            ...(outcome.exceptionId ? { 'assay.dev/exception': outcome.exceptionId } : {}),
            ...(outcome.exemptions.length > 0 ? { 'assay.dev/exemption': outcome.exemptions.join('; ') } : {}),
          },
        }
      : {}),
  });
}

/**
 * /mutate's answer: always allowed (refusing is /validate's job), with the pinning patch as
 * base64 JSONPatch when it changes anything.
 */
export function pinningResponse(
  request: Pick<AdmissionRequest, 'apiVersion' | 'uid'>,
  patch: readonly JsonPatchOp[] = [],
): AdmissionReviewResponse {
  return envelope(request.apiVersion, {
    uid: request.uid,
    allowed: true,
    ...(patch.length > 0 ? { patchType: 'JSONPatch' as const, patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
  });
}
