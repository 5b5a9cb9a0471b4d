// The exception repository and the stored form of exceptions (the ones that exist now; their
// history is a versioned repository, see versioned.ts).
import { PolicyExceptionSchema, type PolicyException } from '@assay/domain';
import type { Page, PageRequest } from './pagination.ts';
import { defineSchemaVersions, documentCodec } from './schema-versions.ts';

export interface ExceptionRepository {
  /** ConflictError when the id exists. */
  create(exception: PolicyException): Promise<PolicyException>;
  get(id: string): Promise<PolicyException | undefined>;
  /** Replaces an existing exception; NotFoundError when there is none. */
  update(exception: PolicyException): Promise<PolicyException>;
  /** True when something was deleted. */
  delete(id: string): Promise<boolean>;
  /** All exceptions by id, expired ones included. */
  list(page?: PageRequest): Promise<Page<PolicyException>>;
  /** Exceptions in force at `now` (expiresAt > now), by id. */
  listActive(now: Date, page?: PageRequest): Promise<Page<PolicyException>>;
  /** Exceptions in force at `now` that expire at or before `t`, soonest first: what to re-evaluate next. */
  listExpiringBefore(t: Date, now: Date, page?: PageRequest): Promise<Page<PolicyException>>;
  /** Exceptions no longer in force at `now` (expiresAt <= now), most recently expired last. */
  expired(now: Date, page?: PageRequest): Promise<Page<PolicyException>>;
}

export const EXCEPTIONS = 'exceptions';
defineSchemaVersions(EXCEPTIONS, 1);
export const exceptionCodec = documentCodec(EXCEPTIONS, 'exception', PolicyExceptionSchema);
