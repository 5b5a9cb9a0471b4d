// The one guard for "a JSON object" (not null, not an array), used wherever untrusted input is
// walked: AdmissionReviews, manifests, lockfiles, snapshot files.

/** True for a plain JSON-like object: not null, not an array. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
