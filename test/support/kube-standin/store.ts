// The stand-in's storage: every object of every served resource under one resourceVersion
// counter (as etcd gives the API server), a history of changes for watches (forgotten by
// compact(): a watch or continue token from before is 410), and the write rules the API server
// applies — uid and creationTimestamp set on create, 409 AlreadyExists, 409 Conflict on a stale
// metadata.resourceVersion, the status subresource (a PUT of the object keeps the stored status,
// a PUT of …/status changes only status), metadata.generation moved on by spec changes only, a
// no-op write is no new version, and 422 Invalid from the CRD schema.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { apiVersionOf, qualifiedName, StandinError, type StandinResource } from './resources.ts';
import type { SchemaValidator } from './validate.ts';

export type Obj = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion: string };
};

export interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: StandinResource;
  object: Obj;
}

const keyOf = (r: StandinResource, namespace: string | undefined, name: string) => `${r.plural}/${namespace ?? ''}/${name}`;

export class ObjectStore {
  readonly #objects = new Map<string, Obj>();
  readonly history: Change[] = [];
  /** Versions at or below this are gone from the history. */
  compactedThrough = 0;
  rv = 100;
  readonly #validator: SchemaValidator;
  readonly #onChange: (c: Change) => void;

  constructor(validator: SchemaValidator, onChange: (c: Change) => void) {
    this.#validator = validator;
    this.#onChange = onChange;
  }

  get(r: StandinResource, namespace: string | undefined, name: string): Obj | undefined {
    const o = this.#objects.get(keyOf(r, namespace, name));
    return o && structuredClone(o);
  }

  /** The objects of a resource (in one namespace, or all), sorted by namespace and name. */
  list(r: StandinResource, namespace?: string): Obj[] {
    const prefix = namespace === undefined ? `${r.plural}/` : `${r.plural}/${namespace}/`;
    return [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, o]) => structuredClone(o));
  }

  #notFound(r: StandinResource, name: string): StandinError {
    return new StandinError(404, 'NotFound', `${qualifiedName(r)} "${name}" not found`, { name, group: r.group, kind: r.plural });
  }

  #requireNamespace(r: StandinResource, namespace: string | undefined): void {
    if (!r.namespaced) return;
    if (!namespace) throw new StandinError(400, 'BadRequest', `${r.plural} is namespaced: a namespace is required`);
    if (!this.#objects.has(`namespaces//${namespace}`)) throw new StandinError(404, 'NotFound', `namespaces "${namespace}" not found`);
  }

  /** POST: a new object (status dropped where the resource has the status subresource, unless `keepStatus`). */
  create(r: StandinResource, namespace: string | undefined, body: Record<string, unknown>, keepStatus = false): Obj {
    const meta = typeof body.metadata === 'object' && body.metadata !== null ? (body.metadata as Record<string, unknown>) : {};
    const name = meta.name;
    if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      throw new StandinError(422, 'Invalid', `${r.kind} "${String(name ?? '')}" is invalid: metadata.name: Invalid value`, {
        causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: 'a lowercase RFC 1123 subdomain is required' }],
      });
    }
    this.#requireNamespace(r, namespace);
    if (this.#objects.has(keyOf(r, namespace, name))) {
      throw new StandinError(409, 'AlreadyExists', `${qualifiedName(r)} "${name}" already exists`, {
        name,
        group: r.group,
        kind: r.plural,
      });
    }
    const obj = structuredClone(body) as Obj;
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    if (r.status && !keepStatus) delete obj.status;
    const m = obj.metadata;
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation']) delete m[k];
    if (r.namespaced) m.namespace = namespace;
    else delete m.namespace;
    m.uid = randomUUID();
    m.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    m.generation = 1;
    this.#validator.check(r, obj, name);
    return this.#commit(r, 'ADDED', obj);
  }

  /** PUT of the object (`statusOnly`: PUT …/status). 409 Conflict on a stale resourceVersion. */
  replace(
    r: StandinResource,
    namespace: string | undefined,
    name: string,
    body: Record<string, unknown>,
    statusOnly = false,
    force = false,
  ): Obj {
    const old = this.#objects.get(keyOf(r, namespace, name));
    if (!old) throw this.#notFound(r, name);
    const meta = (typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {}) as Record<string, unknown>;
    if (meta.name !== undefined && meta.name !== name) {
      throw new StandinError(
        400,
        'BadRequest',
        `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
      );
    }
    const rv = meta.resourceVersion;
    if (!force && typeof rv === 'string' && rv !== '' && rv !== old.metadata.resourceVersion) {
      throw new StandinError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedName(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: r.group, kind: r.plural },
      );
    }
    let next: Obj;
    if (statusOnly) {
      next = structuredClone(old);
      if (body.status === undefined) delete next.status;
      else next.status = structuredClone(body.status);
    } else {
      next = structuredClone(body) as Obj;
      next.apiVersion = apiVersionOf(r);
      next.kind = r.kind;
      // The system fields are the server's.
      for (const k of ['uid', 'creationTimestamp', 'generation', 'namespace', 'deletionTimestamp']) {
        if (old.metadata[k] === undefined) delete next.metadata[k];
        else next.metadata[k] = old.metadata[k];
      }
      next.metadata.name = name;
      if (r.status && !force) {
        if (old.status === undefined) delete next.status;
        else next.status = structuredClone(old.status);
      }
      const content = (o: Obj) =>
        Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind'));
      if (!isDeepStrictEqual(content(old), content(next))) next.metadata.generation = Number(old.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    // A write that changes nothing is not a new version (and no watch event).
    if (isDeepStrictEqual(old, next)) return structuredClone(old);
    this.#validator.check(r, next, name);
    return this.#commit(r, 'MODIFIED', next);
  }

  delete(r: StandinResource, namespace: string | undefined, name: string): Obj {
    const old = this.#objects.get(keyOf(r, namespace, name));
    if (!old) throw this.#notFound(r, name);
    return this.#commit(r, 'DELETED', structuredClone(old));
  }

  /** Forgets the history up to now. */
  compact(): void {
    this.compactedThrough = this.rv;
    this.history.length = 0;
  }

  #commit(r: StandinResource, type: Change['type'], obj: Obj): Obj {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    const key = keyOf(r, obj.metadata.namespace, obj.metadata.name);
    if (type === 'DELETED') this.#objects.delete(key);
    else this.#objects.set(key, obj);
    const change: Change = { rv: this.rv, type, resource: r, object: structuredClone(obj) };
    this.history.push(change);
    this.#onChange(change);
    return structuredClone(obj);
  }
}
