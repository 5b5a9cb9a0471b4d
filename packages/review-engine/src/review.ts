// The AdmissionReview envelope: what the API server sends (admission.k8s.io/v1, and v1beta1
// tolerated) checked into a typed request. Anything the API server would never send is a
// ReviewError, answered 400 with its message. The answers are built in response.ts.
import { isObject } from '@assay/kit';
import { podSpecPath, supportedKinds } from './images.ts';

export const API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type ReviewApiVersion = (typeof API_VERSIONS)[number];
export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** A request admission cannot answer: the HTTP status (4xx) and why. */
export class ReviewError extends Error {
  readonly statusCode: number;
  constructor(message: string, statusCode = 400) {
    super(message);
    this.name = 'ReviewError';
    this.statusCode = statusCode;
  }
}

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
}

export interface AdmissionRequest {
  apiVersion: ReviewApiVersion;
  uid: string;
  kind: { group: string; version: string; kind: string };
  subResource: string;
  name: string;
  namespace: string;
  operation: Operation;
  userInfo: UserInfo;
  dryRun: boolean;
  /** The object as it will be stored; null for DELETE and CONNECT. */
  object: Record<string, unknown> | null;
  /** The object before an UPDATE, when sent. */
  oldObject: Record<string, unknown> | null;
  /** Where the kind keeps its pod spec; undefined for an operation admission lets through unread. */
  specPath: readonly string[] | undefined;
}

function optionalString(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ReviewError(`${where}.${key} must be a string`);
  return v;
}

/** Checks an AdmissionReview document (already parsed from JSON) into a request. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new ReviewError('body must be a JSON object (an AdmissionReview)');
  if (body.kind !== 'AdmissionReview') throw new ReviewError(`kind must be AdmissionReview, got ${JSON.stringify(body.kind ?? null)}`);
  const apiVersion = body.apiVersion;
  if (typeof apiVersion !== 'string' || !(API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new ReviewError(`apiVersion must be one of ${API_VERSIONS.join(', ')}, got ${JSON.stringify(apiVersion ?? null)}`);
  }
  const r = body.request;
  if (!isObject(r)) throw new ReviewError('request is missing or not an object');
  const uid = r.uid;
  if (typeof uid !== 'string' || uid === '') throw new ReviewError('request.uid is missing (the response must echo it)');
  const operation = r.operation;
  if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
    throw new ReviewError(`request.operation must be one of ${OPERATIONS.join(', ')}, got ${JSON.stringify(operation ?? null)}`);
  }
  const k = r.kind;
  if (!isObject(k) || typeof k.kind !== 'string' || k.kind === '') throw new ReviewError('request.kind.kind is missing');
  const kind = { group: optionalString(k, 'group', 'request.kind'), version: optionalString(k, 'version', 'request.kind'), kind: k.kind };
  const u = r.userInfo;
  if (u !== undefined && u !== null && !isObject(u)) throw new ReviewError('request.userInfo must be an object');
  const groups = isObject(u) ? u.groups : undefined;
  if (groups !== undefined && groups !== null && (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string'))) {
    throw new ReviewError('request.userInfo.groups must be a list of strings');
  }
  const userInfo: UserInfo = {
    username: isObject(u) ? optionalString(u, 'username', 'request.userInfo') : '',
    uid: isObject(u) ? optionalString(u, 'uid', 'request.userInfo') : '',
    groups: Array.isArray(groups) ? (groups as string[]) : [],
  };
  if (r.dryRun !== undefined && r.dryRun !== null && typeof r.dryRun !== 'boolean')
    throw new ReviewError('request.dryRun must be a boolean');

  // Built once in its final shape (no spread of a partial request into a second object).
  const request: AdmissionRequest = {
    apiVersion: apiVersion as ReviewApiVersion,
    uid,
    kind,
    subResource: optionalString(r, 'subResource', 'request'),
    name: optionalString(r, 'name', 'request'),
    namespace: optionalString(r, 'namespace', 'request'),
    operation: operation as Operation,
    userInfo,
    dryRun: r.dryRun === true,
    object: null,
    oldObject: null,
    specPath: undefined,
  };
  // DELETE and CONNECT start nothing: allowed without reading the object (which DELETE does not carry).
  if (operation === 'DELETE' || operation === 'CONNECT') return request;

  const specPath = podSpecPath(kind.group, kind.kind);
  if (!specPath) {
    throw new ReviewError(
      `kind ${kind.group ? `${kind.group}/` : ''}${kind.kind} is not reviewed by this webhook (it reviews ${supportedKinds().join(', ')}); check the webhook's rules`,
    );
  }
  if (!isObject(r.object)) throw new ReviewError(`request.object is missing for ${operation} of ${kind.kind}`);
  request.object = r.object;
  request.oldObject = operation === 'UPDATE' && isObject(r.oldObject) ? r.oldObject : null;
  request.specPath = specPath;
  return request;
}

/** Reads the apiVersion to answer in, for errors found before the envelope is fully checked. */
export function responseApiVersion(body: unknown): ReviewApiVersion {
  return isObject(body) && body.apiVersion === 'admission.k8s.io/v1beta1' ? 'admission.k8s.io/v1beta1' : 'admission.k8s.io/v1';
}
