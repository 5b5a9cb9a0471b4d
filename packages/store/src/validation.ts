// Validation of documents before they are written, with errors naming the field:
// `policy.controls.vulnerabilities.maxSeverity: expected one of critical, high, medium, low, negligible`.
import { z } from '@assay/config';
import { ValidationError, type ValidationIssue } from './errors.ts';

type ZodIssue = z.core.$ZodIssue;

/** `policy.controls.vulnerabilities.maxSeverity`, `report.packages[12].version`. */
export function issuePath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

function show(v: unknown): string {
  if (typeof v === 'string') return v.length > 60 ? JSON.stringify(`${v.slice(0, 60)}…`) : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid date' : 'a date';
  return `a ${typeof v}`;
}

/** zod's own messages start with "Invalid input: …"; ours are shorter and say what was expected. */
function issueMessage(issue: ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}, got ${show(input)}`
        : `expected one of ${issue.values.map(String).join(', ')}, got ${show(input)}`;
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${show(input)}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return `${issue.message.replace(/^Invalid input:?\s*/, '') || 'does not match any allowed form'}, got ${show(input)}`;
    default:
      return issue.message.replace(/^(Invalid input|Invalid string|Too small|Too big):\s*/, '');
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

export function toValidationIssues(root: string, value: unknown, issues: readonly ZodIssue[]): ValidationIssue[] {
  return issues.slice(0, 10).map((issue) => ({
    path: issuePath(root, issue.path),
    message: issueMessage(issue, valueAt(value, issue.path)),
  }));
}

/** Parses `value`, or throws a ValidationError whose paths start at `root`. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError(toValidationIssues(root, value, r.error.issues));
}

// ── field schemas shared by the documents ─────────────────────────────────────────────

/**
 * A timestamp. Values are Dates; stored documents hold BSON dates (MongoDB) or ISO-8601
 * strings (SQLite JSON), and both read back as Dates.
 */
export const timestamp = z.preprocess(
  (v) => (typeof v === 'string' ? new Date(v) : v),
  z.date({ error: 'expected a date (a Date or an ISO-8601 string)' }),
);

/** Ids chosen by people (policies, exceptions): short, printable, safe in URLs and logs. */
export const identifier = z
  .string({ error: 'expected a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, {
    error: 'expected an id of 1-200 letters, digits, ".", "_", ":" or "-" (starting with a letter or digit)',
  });

/** A content digest, `sha256:<64 hex>` (or another registered algorithm). */
export const digest = z
  .string({ error: 'expected a digest string' })
  .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/, { error: 'expected a digest like sha256:<hex>' });

export const nonEmpty = (max = 1000) =>
  z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }).max(max, { error: `longer than ${max} characters` });

export const platform = z.strictObject({
  os: nonEmpty(100),
  architecture: nonEmpty(100),
  variant: nonEmpty(100).optional(),
});

/**
 * A platform as people write it: `linux/arm64/v8` (the notation of `docker --platform` and OCI
 * tooling), or the object form; always the object form once parsed.
 */
export const platformSpec = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const [os, architecture, variant, ...rest] = v.trim().toLowerCase().split('/');
  // Left as a string (and refused as one) when it has too many parts to be a platform.
  if (rest.length > 0) return v;
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}, platform);
