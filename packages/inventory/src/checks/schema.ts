// Declarative custom compliance checks: what a policy author writes (JSON or YAML), validated
// up front so a bad definition is refused with the field named, not discovered mid-scan.
// Checks only look: they read files through a bounded filesystem view, the image config and the
// package inventory; nothing in the image is ever executed.
import { z } from '@assay/config';
import { ecosystemForType, parseVersionRange } from '@assay/versions';

/** Default and largest number of bytes a content check reads from a file. */
export const DEFAULT_CONTENT_BYTES = 1024 * 1024;
export const MAX_CONTENT_BYTES = 16 * 1024 * 1024;

/** Env names that usually carry a secret value; globs, case-insensitive. */
export const DEFAULT_SECRET_ENV_PATTERNS = ['*PASSWORD*', '*PASSWD*', '*SECRET*', '*TOKEN*', '*_KEY*'] as const;
/** Names that match those globs but are known to hold public data (official images' `GPG_KEY` is a fingerprint). */
export const DEFAULT_SECRET_ENV_ALLOW = ['GPG_KEY'] as const;

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, 'must be 1-200 letters, digits or . _ : / -');
const path = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments');

const common = {
  id,
  description: z.string().max(2000).optional(),
};

const regexSource = z.string().min(1).max(1000);
const flags = z
  .string()
  .regex(/^[imsu]*$/, 'only i, m, s and u flags are allowed')
  .optional();

const versionRange = z
  .string()
  .min(1)
  .max(500)
  .superRefine((s, ctx) => {
    try {
      parseVersionRange(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `is not a version range: ${(err as Error).message}` });
    }
  });

const fileCheck = (kind: 'fileExists' | 'fileAbsent') => z.strictObject({ ...common, kind: z.literal(kind), path });
const contentCheck = (kind: 'fileContentMatches' | 'fileContentNotMatches') =>
  z
    .strictObject({
      ...common,
      kind: z.literal(kind),
      path,
      pattern: regexSource,
      flags,
      maxBytes: z.number().int().min(1).max(MAX_CONTENT_BYTES).optional(),
    })
    .superRefine((c, ctx) => {
      const problem = regExpProblem(c.pattern, c.flags ?? '');
      if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `is not a valid regular expression: ${problem}` });
    });
const packageCheck = (kind: 'packagePresent' | 'packageAbsent') =>
  z
    .strictObject({
      ...common,
      kind: z.literal(kind),
      name: z.string().min(1).max(500),
      type: z.string().min(1).max(50).optional(),
      versionRange: versionRange.optional(),
    })
    .superRefine((c, ctx) => {
      if (c.versionRange !== undefined && c.type !== undefined && !ecosystemForType(c.type)) {
        ctx.addIssue({ code: 'custom', path: ['type'], message: `has no version ordering for a versionRange (package type "${c.type}")` });
      }
    });

export const CheckDefinitionSchema = z.discriminatedUnion('kind', [
  fileCheck('fileExists'),
  fileCheck('fileAbsent'),
  contentCheck('fileContentMatches'),
  contentCheck('fileContentNotMatches'),
  packageCheck('packagePresent'),
  packageCheck('packageAbsent'),
  z.strictObject({
    ...common,
    kind: z.literal('nonRootUser'),
    /** Refuse a user name (even one /etc/passwd maps to a non-zero uid), as Kubernetes' runAsNonRoot does. */
    requireNumeric: z.boolean().optional(),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('noSecretEnvNames'),
    /** Globs (`*` wildcard, case-insensitive); replace the defaults when given. */
    patterns: z.array(z.string().min(1).max(200)).min(1).optional(),
    /** Exact names to accept anyway; replace the defaults when given. */
    allow: z.array(z.string().min(1).max(200)).optional(),
  }),
  z.strictObject({ ...common, kind: z.literal('maxImageAgeDays'), days: z.number().positive().max(36500) }),
  z.strictObject({
    ...common,
    kind: z.literal('requiredLabels'),
    labels: z
      .array(
        z.union([z.string().min(1).max(500), z.strictObject({ name: z.string().min(1).max(500), value: z.string().max(2000).optional() })]),
      )
      .min(1),
  }),
]);

export type CheckDefinition = z.output<typeof CheckDefinitionSchema>;
export type CheckKind = CheckDefinition['kind'];

/** A check definition that does not validate; `field` names the offending field (`checks[2].pattern`). */
export class InvalidCheckError extends Error {
  readonly field: string;
  readonly problems: readonly { field: string; message: string }[];
  constructor(problems: { field: string; message: string }[]) {
    const list = problems.map((p) => `${p.field}: ${p.message}`);
    super(`invalid check definition: ${list.join('; ')}`);
    this.name = 'InvalidCheckError';
    this.field = problems[0]?.field ?? '';
    this.problems = problems;
  }
}

/** Validates a list of check definitions (ids must be unique); throws InvalidCheckError. */
export function parseChecks(input: unknown, field = 'checks'): CheckDefinition[] {
  const r = z.array(CheckDefinitionSchema).safeParse(input);
  if (!r.success) {
    throw new InvalidCheckError(r.error.issues.map((i) => ({ field: issueField(field, i), message: i.message })));
  }
  const seen = new Map<string, number>();
  const problems: { field: string; message: string }[] = [];
  r.data.forEach((c, i) => {
    const first = seen.get(c.id);
    if (first !== undefined) problems.push({ field: `${field}[${i}].id`, message: `duplicates ${field}[${first}].id "${c.id}"` });
    else seen.set(c.id, i);
  });
  if (problems.length > 0) throw new InvalidCheckError(problems);
  return r.data;
}

/** Validates one check definition; throws InvalidCheckError. */
export function parseCheck(input: unknown, field = 'check'): CheckDefinition {
  const r = CheckDefinitionSchema.safeParse(input);
  if (!r.success) throw new InvalidCheckError(r.error.issues.map((i) => ({ field: issueField(field, i), message: i.message })));
  return r.data;
}

function fieldName(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

function issueField(root: string, issue: z.core.$ZodIssue): string {
  // An unknown key is reported on its object: name the key itself.
  const path = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  return fieldName(root, path);
}

function regExpProblem(source: string, flags: string): string | undefined {
  try {
    new RegExp(source, flags);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
