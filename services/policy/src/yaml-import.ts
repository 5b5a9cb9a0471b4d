// POST /api/v1/import. Every document is validated (and compared with what is stored) before
// anything is written: one invalid document and nothing changes, the error naming the document
// (`documents[1] (policy "x"): policy.controls…`). Then the documents are written in order, each
// against the version read while validating: a change made meanwhile is a conflict, reported with
// the documents written before it and those not written (ImportConflictError). A change to a
// document Kubernetes manages is a 409 before anything is written (managed-by.ts).
import { ValidationError, type ImageAssurancePolicy, type RuntimePolicy, type ValidationIssue } from '@assay/domain';
import {
  buildVersion,
  ConflictError,
  exceptionCodec,
  imagePolicyKind,
  runtimePolicyKind,
  type Store,
  type VersionedRepository,
} from '@assay/store';
import { ChangeType } from '@assay/proto';
import type { PolicyChanges } from './changes.ts';
import { refuseIfManagedByKubernetes } from './managed-by.ts';
import { jsonDiff } from '@assay/policy-engine';
import type { ExportKind, ImportDoc } from './yaml-io.ts';

export interface ImportResult {
  kind: string;
  id: string;
  result: string;
  version?: number;
}

/** The document as errors name it: `documents[1] (policy "x")`. */
export function documentName(d: Pick<ImportDoc, 'index' | 'kind' | 'id'>): string {
  const word: Record<ExportKind, string> = {
    ImageAssurancePolicy: 'policy',
    RuntimePolicy: 'runtime policy',
    PolicyException: 'exception',
  };
  return `documents[${d.index}] (${word[d.kind]} ${JSON.stringify(d.id)})`;
}

/** Writes after validation ran into a concurrent change: which documents were written, which not. */
export class ImportConflictError extends ConflictError {
  readonly written: ImportResult[];
  readonly notWritten: Array<{ kind: string; id: string; document: string }>;
  constructor(
    message: string,
    written: ImportResult[],
    notWritten: Array<{ kind: string; id: string; document: string }>,
    cause: ConflictError,
  ) {
    super(message, { expected: cause.expectedVersion, actual: cause.actualVersion }, { cause });
    this.name = 'ImportConflictError';
    this.written = written;
    this.notWritten = notWritten;
  }
}

interface Planned {
  doc: ImportDoc;
  /** Undefined: unchanged, nothing to write. */
  write?: () => Promise<ImportResult>;
  unchanged?: ImportResult;
}

function changeWord(c: ChangeType): string {
  return c === ChangeType.CREATED ? 'created' : c === ChangeType.DELETED ? 'deleted' : 'updated';
}

async function plan(d: ImportDoc, store: Store, changes: PolicyChanges, user: string, now: Date): Promise<Planned> {
  if (d.kind === 'PolicyException') {
    const before = await store.exceptions.get(d.id);
    const input = { ...d.spec, id: d.id };
    // As PolicyChanges.putException fills it in, so the validation is the one the write does.
    exceptionCodec.encode({ createdBy: before?.createdBy ?? user, createdAt: before?.createdAt ?? now, ...input });
    if (before && jsonDiff(before, input).length === 0) return { doc: d, unchanged: { kind: d.kind, id: d.id, result: 'unchanged' } };
    const latestVersion = await changes.latestExceptionVersion(d.id);
    // A change to a document Kubernetes manages: refused before anything is written (409).
    refuseIfManagedByKubernetes('exception', d.id, latestVersion, undefined);
    const expected = latestVersion?.version ?? 0;
    return {
      doc: d,
      write: async () => {
        const r = await changes.putException(input, user, now, expected);
        return { kind: d.kind, id: d.id, result: changeWord(r.change), version: r.version };
      },
    };
  }
  const image = d.kind === 'ImageAssurancePolicy';
  const repo: VersionedRepository<unknown> = image ? store.policies : store.runtimePolicies;
  const current = await repo.current(d.id);
  const latest = current?.version ?? (await repo.history(d.id)).at(-1)?.version ?? 0;
  // The store's own validation of the write (nothing is stored here).
  if (image) buildVersion(imagePolicyKind, d.id, d.spec as ImageAssurancePolicy, { expectedVersion: latest, by: user }, now);
  else buildVersion(runtimePolicyKind, d.id, d.spec as RuntimePolicy, { expectedVersion: latest, by: user }, now);
  if (current && jsonDiff(current.document, d.spec).length === 0) {
    return { doc: d, unchanged: { kind: d.kind, id: d.id, result: 'unchanged', version: current.version } };
  }
  refuseIfManagedByKubernetes(image ? 'policy' : 'runtimePolicy', d.id, current, undefined);
  return {
    doc: d,
    write: async () => {
      const r = image
        ? await changes.putPolicy(d.id, d.spec as ImageAssurancePolicy, latest, user)
        : await changes.putRuntimePolicy(d.id, d.spec as RuntimePolicy, latest, user);
      return { kind: d.kind, id: d.id, result: changeWord(r.change), version: r.record.version };
    },
  };
}

/**
 * Validates every document, then writes the changed ones. ValidationError (nothing written) naming
 * each invalid document; ImportConflictError when a write lost a race after validation.
 */
export async function importDocuments(
  docs: readonly ImportDoc[],
  store: Store,
  changes: PolicyChanges,
  user: string,
  now: Date,
): Promise<ImportResult[]> {
  const issues: ValidationIssue[] = [];
  const planned: Planned[] = [];
  const seen = new Map<string, ImportDoc>();
  for (const d of docs) {
    const key = `${d.kind}\u0000${d.id}`;
    const first = seen.get(key);
    if (first) {
      issues.push({ path: documentName(d), message: `the same document as documents[${first.index}]` });
      continue;
    }
    seen.set(key, d);
    try {
      planned.push(await plan(d, store, changes, user, now));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      for (const i of err.issues) issues.push({ path: `${documentName(d)}: ${i.path}`, message: i.message });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const results: ImportResult[] = [];
  for (const [n, p] of planned.entries()) {
    if (p.unchanged) {
      results.push(p.unchanged);
      continue;
    }
    try {
      results.push(await p.write!());
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const written = results.filter((r) => r.result !== 'unchanged');
      const notWritten = planned
        .slice(n)
        .filter((q) => q.write)
        .map((q) => ({ kind: q.doc.kind, id: q.doc.id, document: documentName(q.doc) }));
      throw new ImportConflictError(
        `${documentName(p.doc)} changed since the import was validated (${err.message}); written: ${written.length}, not written: ${notWritten.length}`,
        written,
        notWritten,
        err,
      );
    }
  }
  return results;
}
