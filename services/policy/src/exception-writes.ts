// Creating and revoking an exception, one way for the REST API and the console: a create never
// replaces an exception of the same id (ConflictError), and both go through PolicyChanges, so each
// is a version in the exception's history, announced for re-evaluation and audited.
import type { PolicyException } from '@assay/domain';
import { ConflictError } from '@assay/store';
import type { ChangeResult } from './changes.ts';
import type { PolicyApi } from './routes/context.ts';

type Writer = Pick<PolicyApi, 'engine' | 'changes'>;

/**
 * Creates the exception `input` describes (createdBy is `by`, createdAt `now`, unless given).
 * ValidationError names the field at fault (`exception.scope.digest`); ConflictError when the id exists.
 */
export async function createException(
  api: Writer,
  input: Record<string, unknown>,
  by: string,
  now: Date,
): Promise<ChangeResult<PolicyException> & { version: number }> {
  if (input.id !== undefined && (await api.engine.store.exceptions.get(String(input.id)))) {
    throw new ConflictError(`exception ${String(input.id)} exists`);
  }
  return api.changes.putException(input, by, now);
}

/** Deletes an exception (a tombstone version); NotFoundError when there is none, ConflictError on a stale version. */
export function revokeException(
  api: Writer,
  id: string,
  by: string,
  expectedVersion?: number,
): Promise<ChangeResult<PolicyException> & { version: number }> {
  return api.changes.deleteException(id, by, expectedVersion);
}
