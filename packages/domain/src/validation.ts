// Validation of documents before anything is done with them (stored, evaluated, imported),
// with errors naming the field:
// `policy.controls.vulnerabilities.maxSeverity: expected one of critical, high, medium, low, negligible`.
import type { z } from 'zod';

type ZodIssue = z.core.$ZodIssue;

export interface ValidationIssue {
  /** Dotted path from the document's root name: `policy.controls.vulnerabilities.maxSeverity`. */
  readonly path: string;
  readonly message: string;
}

/**
 * A document was refused before anything was done with it (stored, evaluated, imported).
 * Callers branch on the class (or `code`), never on message text.
 */
export class ValidationError extends Error {
  readonly code = 'VALIDATION';
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

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
