// Image assurance policies and runtime policies: versioned documents. Every change is a new
// version (1, 2, 3…); a delete is a tombstone version; nothing is overwritten, so the verdict
// that cites "policy p v7" can always be explained later.
import { z } from '@assay/config';
import type { Page, PageRequest } from './pagination.ts';
import { documentCodec, defineSchemaVersions, type StoredDoc } from './schema-versions.ts';
import { identifier, nonEmpty, platformSpec, timestamp, validate } from './validation.ts';
import { PolicyExceptionSchema } from './exceptions.ts';

/** Vulnerability severities, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Patterns are globs over `registry/repository` (`docker.io/library/*`). */
const pattern = nonEmpty(500);

export const ImageAssurancePolicySchema = z.strictObject({
  name: nonEmpty(200),
  description: z.string().max(4000).optional(),
  enabled: z.boolean(),
  /** block: a failing image is non-compliant; audit: the failure is reported only. */
  action: z.enum(['block', 'audit']),
  scope: z
    .strictObject({
      registries: z.array(pattern).optional(),
      repositories: z.array(pattern).optional(),
      /** Image label globs (`org.opencontainers.image.vendor: acme*`): every one must match. */
      labels: z.record(nonEmpty(317), nonEmpty(500)).optional(),
    })
    .optional(),
  controls: z.strictObject({
    vulnerabilities: z
      .strictObject({
        /** The most severe level still allowed. */
        maxSeverity: z.enum(['critical', 'high', 'medium', 'low', 'negligible']),
        ignoreUnfixed: z.boolean().optional(),
        /** Ids (CVE-…, GHSA-…) that fail an image whatever their severity. */
        deny: z.array(nonEmpty(100)).optional(),
        /** Ids accepted whatever their severity (prefer exceptions, which expire). */
        allow: z.array(nonEmpty(100)).optional(),
        /** Fail on any finding with a CVSS score at or above this. */
        maxCvss: z.number().min(0).max(10).optional(),
        /** Accepted ids, each with its reason and (preferably) an expiry. */
        allowList: z
          .array(z.strictObject({ id: nonEmpty(100), reason: nonEmpty(4000), expiresAt: timestamp.optional() }))
          .optional(),
        /** Days a fixable finding is tolerated after its fix was published. */
        gracePeriodDays: z.number().int().min(0).max(3650).optional(),
      })
      .optional(),
    sensitiveData: z
      .strictObject({
        block: z.boolean(),
        ignoreRules: z.array(nonEmpty(200)).optional(),
        /** Only these rules block; every rule when absent. */
        rules: z.array(nonEmpty(200)).optional(),
      })
      .optional(),
    malware: z.strictObject({ block: z.boolean() }).optional(),
    licences: z
      .strictObject({
        /** SPDX identifiers or expressions refused. */
        denied: z.array(nonEmpty(200)).optional(),
        /** SPDX identifiers accepted; anything else is refused (an `OR` passes if one option is allowed). */
        allowed: z.array(nonEmpty(200)).optional(),
      })
      .optional(),
    baseImages: z.strictObject({ allowed: z.array(pattern).min(1) }).optional(),
    packages: z
      .strictObject({
        denied: z
          .array(z.strictObject({ name: nonEmpty(300), type: nonEmpty(50).optional(), versions: nonEmpty(300).optional() }))
          .optional(),
        /** Packages that must be present (in a version within `versions` when given). */
        required: z
          .array(z.strictObject({ name: nonEmpty(300), type: nonEmpty(50).optional(), versions: nonEmpty(300).optional() }))
          .optional(),
      })
      .optional(),
    config: z
      .strictObject({
        forbidRootUser: z.boolean().optional(),
        requireHealthcheck: z.boolean().optional(),
        /** Oldest image accepted, by its config `created` time. */
        maxAgeDays: z.number().int().min(1).max(36500).optional(),
      })
      .optional(),
    customChecks: z.array(z.strictObject({ id: identifier, required: z.boolean() })).optional(),
    /** Registry globs images may come from. */
    registries: z.strictObject({ allowed: z.array(pattern).min(1) }).optional(),
  }),
});
export type ImageAssurancePolicy = z.output<typeof ImageAssurancePolicySchema>;

export const RuntimePolicySchema = z.strictObject({
  name: nonEmpty(200),
  description: z.string().max(4000).optional(),
  enabled: z.boolean(),
  /** enforce: admission refuses; audit: admission allows and records what it would refuse. */
  /** warn: admission allows and returns warnings. */
  enforcement: z.enum(['enforce', 'warn', 'audit']),
  scope: z.strictObject({
    /** Namespace globs; `*` for all. */
    namespaces: z.array(pattern).min(1),
    clusters: z.array(pattern).optional(),
    /** Workload labels that must all be equal: the object's own merged with its pod template's. */
    labels: z.record(nonEmpty(317), z.string().max(63)).optional(),
    /**
     * Labels of the namespace that must all be equal (as a namespaceSelector's matchLabels).
     * Admission learns them by watching namespaces (ADMISSION_NAMESPACE_LABELS); while they are
     * unknown a policy naming them does not apply, so the less specific policy governs.
     */
    namespaceLabels: z.record(nonEmpty(317), z.string().max(63)).optional(),
  }),
  /** Image assurance policies applied to images admitted under this policy. */
  imagePolicies: z.array(identifier),
  /** Refuse images the inventory has never seen. */
  blockUnregistered: z.boolean(),
  /** Refuse images whose scan has not finished. */
  blockPending: z.boolean().optional(),
  /**
   * Refuse images whose verdict is non-compliant (default true). false: such an image is
   * admitted, and the decision says so (warnings under enforce and warn, the audit record).
   */
  blockNonCompliant: z.boolean().optional(),
  /**
   * Platforms that decide for a multi-platform image (the node is not known at admission): only
   * these platforms' verdicts count. `linux/amd64` or `{os, architecture, variant?}`; a platform
   * without a variant takes any variant.
   */
  platforms: z.array(platformSpec).min(1),
  allowedRegistries: z.array(pattern).optional(),
  /** What admission does with a known image whose scan has not finished (default: blockPending). */
  pending: z
    .strictObject({
      action: z.enum(['deny', 'allow-and-request-scan', 'wait']),
      /** For `wait`: how long admission may wait for the verdict. */
      waitMs: z.number().int().min(1).max(30_000).optional(),
    })
    .optional(),
  /** Never checked: namespace globs and image (registry/repository) globs. */
  exemptions: z
    .strictObject({ namespaces: z.array(pattern).optional(), images: z.array(pattern).optional() })
    .optional(),
});
export type RuntimePolicy = z.output<typeof RuntimePolicySchema>;

/** One version of a versioned document. */
export interface VersionedRecord<T> {
  id: string;
  /** 1 for the first version, +1 per change. */
  version: number;
  /** The document; null on a tombstone. */
  document: T | null;
  createdAt: Date;
  createdBy: string;
  deleted: boolean;
}

export interface WriteOptions {
  /**
   * The version the caller read and changed: 0 to create. The write succeeds only if it is
   * still the latest version; otherwise ConflictError (carrying the actual version).
   */
  expectedVersion: number;
  /** Who made the change (user or service name). */
  by: string;
}

export interface VersionedRepository<T> {
  /** The latest version, or undefined when there is none or the latest is a tombstone. */
  current(id: string): Promise<VersionedRecord<T> | undefined>;
  /** One version (tombstones included), or undefined. */
  get(id: string, version: number): Promise<VersionedRecord<T> | undefined>;
  /** Every version, oldest first (tombstones included). */
  history(id: string): Promise<VersionedRecord<T>[]>;
  /** Latest versions of the documents not deleted, by id. */
  list(page?: PageRequest): Promise<Page<VersionedRecord<T>>>;
  /**
   * Writes version expectedVersion+1. Throws ValidationError (nothing written) or ConflictError
   * (someone else wrote version expectedVersion+1 first, or expectedVersion is not the latest).
   * After a delete the id can be written again, continuing its version numbers.
   */
  put(id: string, document: T, options: WriteOptions): Promise<VersionedRecord<T>>;
  /** Writes a tombstone version. NotFoundError when there is nothing to delete. */
  delete(id: string, options: WriteOptions): Promise<VersionedRecord<T>>;
}

// ── stored form ───────────────────────────────────────────────────────────────────────

export const POLICIES = 'policies';
export const RUNTIME_POLICIES = 'runtimePolicies';

function versionRecordSchema<S extends z.ZodType>(document: S) {
  return z.strictObject({
    id: identifier,
    version: z.number().int().min(1),
    document: document.nullable(),
    createdAt: timestamp,
    createdBy: nonEmpty(200),
    deleted: z.boolean(),
  });
}

/**
 * Policies v1 (the prototype's shape) named the vulnerability threshold `severityThreshold`,
 * upper case (`HIGH`); v2 calls it `maxSeverity`, lower case, like the report severities.
 */
function policyV1toV2(doc: StoredDoc): StoredDoc {
  const document = doc.document as StoredDoc | null | undefined;
  const controls = document?.controls as StoredDoc | undefined;
  const vulns = controls?.vulnerabilities as StoredDoc | undefined;
  if (!document || !controls || !vulns || !('severityThreshold' in vulns)) return doc;
  const { severityThreshold, ...rest } = vulns;
  return {
    ...doc,
    document: {
      ...document,
      controls: {
        ...controls,
        vulnerabilities: {
          ...rest,
          maxSeverity: typeof severityThreshold === 'string' ? severityThreshold.toLowerCase() : severityThreshold,
        },
      },
    },
  };
}

defineSchemaVersions(POLICIES, 2, { 1: policyV1toV2 });
defineSchemaVersions(RUNTIME_POLICIES, 1);

export interface VersionedKind<T> {
  /** Collection (MongoDB) / table (SQLite) name. */
  readonly collection: string;
  /** Name of the document in validation errors. */
  readonly root: string;
  readonly documentSchema: z.ZodType<T>;
  readonly codec: ReturnType<typeof documentCodec<z.ZodType<VersionedRecord<T>>>>;
}

export function versionedKind<S extends z.ZodType>(collection: string, root: string, documentSchema: S): VersionedKind<z.output<S>> {
  return {
    collection,
    root,
    documentSchema: documentSchema as unknown as z.ZodType<z.output<S>>,
    codec: documentCodec(collection, root, versionRecordSchema(documentSchema)) as unknown as VersionedKind<
      z.output<S>
    >['codec'],
  };
}

export const imagePolicyKind = versionedKind(POLICIES, 'policy', ImageAssurancePolicySchema);
export const runtimePolicyKind = versionedKind(RUNTIME_POLICIES, 'runtimePolicy', RuntimePolicySchema);

/**
 * Every version of every exception (the exceptions collection holds the ones that exist now,
 * for the expiry queries): what `GET …/exceptions/:id/versions` and diffs read.
 */
export const EXCEPTION_VERSIONS = 'exceptionVersions';
defineSchemaVersions(EXCEPTION_VERSIONS, 1);
export const exceptionVersionKind = versionedKind(EXCEPTION_VERSIONS, 'exception', PolicyExceptionSchema);

/**
 * Validates a write and builds the stored form of version expectedVersion+1 (`document` null
 * for a tombstone). Throws ValidationError before anything is written.
 */
export function buildVersion<T>(
  kind: VersionedKind<T>,
  id: string,
  document: T | null,
  options: WriteOptions,
  now: Date,
): { record: VersionedRecord<T>; stored: StoredDoc } {
  validate(identifier, id, `${kind.root}Id`);
  validate(z.number().int().min(0), options?.expectedVersion, 'options.expectedVersion');
  validate(nonEmpty(200), options?.by, 'options.by');
  const parsed = document === null ? null : validate(kind.documentSchema, document, kind.root);
  const record: VersionedRecord<T> = {
    id,
    version: options.expectedVersion + 1,
    document: parsed,
    createdAt: now,
    createdBy: options.by,
    deleted: document === null,
  };
  return { record, stored: kind.codec.encode(record) as unknown as StoredDoc };
}

/** Validates an image assurance policy without storing it (dry runs); ValidationError naming the field. */
export function validateImagePolicy(document: unknown, root = 'policy'): ImageAssurancePolicy {
  return validate(ImageAssurancePolicySchema, document, root);
}
