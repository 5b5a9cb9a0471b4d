// Versioned repositories (image assurance policies, runtime policies, exception history) and
// their stored form: one record per version, validated on write, upgraded on read.
import { z } from '@assay/config';
import {
  identifier,
  ImageAssurancePolicySchema,
  nonEmpty,
  PolicyExceptionSchema,
  RuntimePolicySchema,
  timestamp,
  validate,
  type VersionedRecord,
  type VersionSource,
} from '@assay/domain';
import type { Page, PageRequest } from './pagination.ts';
import { documentCodec, defineSchemaVersions, type StoredDoc } from './schema-versions.ts';

export interface WriteOptions {
  /**
   * The version the caller read and changed: 0 to create. The write succeeds only if it is
   * still the latest version; otherwise ConflictError (carrying the actual version).
   */
  expectedVersion: number;
  /** Who made the change (user or service name). */
  by: string;
  /** Who manages the document from this version on (recorded on the version; the API's when absent). */
  source?: VersionSource;
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

/** Who manages a version's document (absent on versions written before it was recorded: the API's). */
const versionSourceSchema = z.strictObject({
  managedBy: z.enum(['kubernetes', 'api']),
  /** The Kubernetes object's resource version, uid and generation the version was written from. */
  resourceVersion: nonEmpty(64).optional(),
  uid: nonEmpty(64).optional(),
  generation: z.number().int().min(0).optional(),
});

function versionRecordSchema<S extends z.ZodType>(document: S) {
  return z.strictObject({
    id: identifier,
    version: z.number().int().min(1),
    document: document.nullable(),
    createdAt: timestamp,
    createdBy: nonEmpty(200),
    deleted: z.boolean(),
    source: versionSourceSchema.optional(),
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
    codec: documentCodec(collection, root, versionRecordSchema(documentSchema)) as unknown as VersionedKind<z.output<S>>['codec'],
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
  const source = options.source === undefined ? undefined : validate(versionSourceSchema, options.source, 'options.source');
  const parsed = document === null ? null : validate(kind.documentSchema, document, kind.root);
  const record: VersionedRecord<T> = {
    id,
    version: options.expectedVersion + 1,
    document: parsed,
    createdAt: now,
    createdBy: options.by,
    deleted: document === null,
    ...(source ? { source } : {}),
  };
  return { record, stored: kind.codec.encode(record) as unknown as StoredDoc };
}
