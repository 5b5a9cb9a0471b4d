// Every change to a policy, runtime policy or exception goes through here: written to the
// store (optimistic concurrency for the versioned ones), then announced as PolicyChanged (the
// re-evaluation trigger) and recorded as an audit event. The REST API, the YAML import and the
// Kubernetes controller all write here; a write from the API to a document Kubernetes manages is
// refused (managed-by.ts holds the rule).
import { create } from '@bufbuild/protobuf';
import { newEventMeta, publishAuditEvent, publishEvent } from '@assay/bus';
import { ChangeType, PolicyChangedSchema, PolicyKind, Topics } from '@assay/proto';
import {
  type ImageAssurancePolicy,
  type PolicyException,
  type RuntimePolicy,
  type VersionedRecord,
  type VersionSource,
} from '@assay/domain';
import { exceptionCodec, NotFoundError, type Store, type VersionedRepository } from '@assay/store';
import type { JetStreamClient } from 'nats';
import { policyChangeAudit } from './audit.ts';
import { PRODUCER } from '@assay/policy-engine';
import { refuseIfManagedByKubernetes, type ManagedKind } from './managed-by.ts';

export interface ChangeResult<T> {
  record: T;
  change: ChangeType;
  before: unknown;
  after: unknown;
}

export class PolicyChanges {
  readonly #store: Store;
  readonly #js: JetStreamClient;

  constructor(store: Store, js: JetStreamClient) {
    this.#store = store;
    this.#js = js;
  }

  async #announce(
    kind: PolicyKind,
    id: string,
    version: number,
    change: ChangeType,
    by: string,
    documents: { before?: unknown; after?: unknown },
  ): Promise<void> {
    const event = create(PolicyChangedSchema, { meta: newEventMeta(PRODUCER), kind, policyId: id, version, change, changedBy: by });
    await publishEvent(this.#js, Topics.policyChanged, event);
    await publishAuditEvent(this.#js, Topics.auditPolicy, policyChangeAudit(kind, id, version, change, by, event.meta?.id, documents));
  }

  async #putVersioned<T>(
    repo: VersionedRepository<T>,
    kind: PolicyKind,
    id: string,
    document: T,
    expectedVersion: number,
    by: string,
    source: VersionSource | undefined,
  ): Promise<ChangeResult<VersionedRecord<T>>> {
    const before = expectedVersion > 0 ? await repo.get(id, expectedVersion) : undefined;
    // The version the caller read: if Kubernetes manages it, only the controller may write over it
    // (a caller holding an older version gets the ordinary conflict from the store).
    refuseIfManagedByKubernetes(managedKindOf(kind), id, before, source);
    const record = await repo.put(id, document, { expectedVersion, by, ...(source ? { source } : {}) });
    const change = before && !before.deleted ? ChangeType.UPDATED : ChangeType.CREATED;
    await this.#announce(kind, id, record.version, change, by, {
      before: before && !before.deleted ? before.document : undefined,
      after: record.document,
    });
    return { record, change, before: before?.document ?? null, after: record.document };
  }

  async #deleteVersioned<T>(
    repo: VersionedRepository<T>,
    kind: PolicyKind,
    id: string,
    expectedVersion: number | undefined,
    by: string,
    source: VersionSource | undefined,
  ): Promise<ChangeResult<VersionedRecord<T>>> {
    const current = await repo.current(id);
    if (!current) throw new NotFoundError(`${id} does not exist`);
    refuseIfManagedByKubernetes(managedKindOf(kind), id, current, source);
    const record = await repo.delete(id, { expectedVersion: expectedVersion ?? current.version, by, ...(source ? { source } : {}) });
    await this.#announce(kind, id, record.version, ChangeType.DELETED, by, { before: current.document });
    return { record, change: ChangeType.DELETED, before: current.document, after: null };
  }

  // `source`: who manages the document from this version on (the API when absent; the
  // Kubernetes controller passes the resource it wrote from).
  putPolicy(id: string, doc: ImageAssurancePolicy, expectedVersion: number, by: string, source?: VersionSource) {
    return this.#putVersioned(this.#store.policies, PolicyKind.IMAGE_ASSURANCE, id, doc, expectedVersion, by, source);
  }
  deletePolicy(id: string, expectedVersion: number | undefined, by: string, source?: VersionSource) {
    return this.#deleteVersioned(this.#store.policies, PolicyKind.IMAGE_ASSURANCE, id, expectedVersion, by, source);
  }
  putRuntimePolicy(id: string, doc: RuntimePolicy, expectedVersion: number, by: string, source?: VersionSource) {
    return this.#putVersioned(this.#store.runtimePolicies, PolicyKind.RUNTIME, id, doc, expectedVersion, by, source);
  }
  deleteRuntimePolicy(id: string, expectedVersion: number | undefined, by: string, source?: VersionSource) {
    return this.#deleteVersioned(this.#store.runtimePolicies, PolicyKind.RUNTIME, id, expectedVersion, by, source);
  }

  /** The latest version number an exception has had (0: never written). */
  async exceptionVersion(id: string): Promise<number> {
    return (await this.latestExceptionVersion(id))?.version ?? 0;
  }

  /** The latest version of an exception's history (tombstones included), or undefined. */
  async latestExceptionVersion(id: string): Promise<VersionedRecord<PolicyException> | undefined> {
    return (await this.#store.exceptionVersions.history(id)).at(-1);
  }

  /**
   * Creates or replaces an exception (createdBy/createdAt filled in when absent). Each change is
   * a new version in the exception's history, written first: a stale `expectedVersion`, or a
   * racing writer, gets ConflictError before the exception in force changes.
   */
  async putException(
    input: Record<string, unknown>,
    by: string,
    now: Date,
    expectedVersion?: number,
    source?: VersionSource,
  ): Promise<ChangeResult<PolicyException> & { version: number }> {
    const id = String(input.id ?? '');
    const before = id ? await this.#store.exceptions.get(id) : undefined;
    const latest = id ? await this.latestExceptionVersion(id) : undefined;
    refuseIfManagedByKubernetes('exception', id, latest, source);
    // The codec validates (ValidationError naming the field) and turns ISO strings into dates.
    const { schemaVersion: _v, ...exception } = exceptionCodec.encode({
      createdBy: before?.createdBy ?? by,
      createdAt: before?.createdAt ?? now,
      ...input,
    });
    const version = await this.#store.exceptionVersions.put(exception.id, exception, {
      expectedVersion: expectedVersion ?? latest?.version ?? 0,
      by,
      ...(source ? { source } : {}),
    });
    const record = before ? await this.#store.exceptions.update(exception) : await this.#store.exceptions.create(exception);
    const change = before ? ChangeType.UPDATED : ChangeType.CREATED;
    await this.#announce(PolicyKind.EXCEPTION, record.id, version.version, change, by, { before, after: record });
    return { record, change, before: before ?? null, after: record, version: version.version };
  }

  async deleteException(
    id: string,
    by: string,
    expectedVersion?: number,
    source?: VersionSource,
  ): Promise<ChangeResult<PolicyException> & { version: number }> {
    const before = await this.#store.exceptions.get(id);
    if (!before) throw new NotFoundError(`exception ${id} does not exist`);
    const latest = await this.latestExceptionVersion(id);
    refuseIfManagedByKubernetes('exception', id, latest, source);
    let expected = expectedVersion ?? latest?.version ?? 0;
    if (expected === 0 && expectedVersion === undefined) {
      // Made before exceptions had versions: its current form becomes version 1, then the tombstone.
      expected = (await this.#store.exceptionVersions.put(id, before, { expectedVersion: 0, by: before.createdBy })).version;
    }
    const version = await this.#store.exceptionVersions.delete(id, { expectedVersion: expected, by, ...(source ? { source } : {}) });
    if (!(await this.#store.exceptions.delete(id))) throw new NotFoundError(`exception ${id} does not exist`);
    await this.#announce(PolicyKind.EXCEPTION, id, version.version, ChangeType.DELETED, by, { before });
    return { record: before, change: ChangeType.DELETED, before, after: null, version: version.version };
  }
}

function managedKindOf(kind: PolicyKind): ManagedKind {
  return kind === PolicyKind.RUNTIME ? 'runtimePolicy' : kind === PolicyKind.EXCEPTION ? 'exception' : 'policy';
}
