// Schema versions of stored documents. Every stored document carries `schemaVersion`; reading
// one written by older code runs the collection's upgraders in order (v1 → v2 → … → current),
// in memory only: a mutable document is stored in the current shape at its next write, and
// immutable ones (old policy versions) stay as written and are upgraded on every read. A document
// newer than this code knows is refused: older code must not guess at a newer shape.
import type { z } from '@assay/config';
import { toValidationIssues, validate } from '@assay/domain';
import { CorruptDocumentError, SchemaVersionError } from './errors.ts';

export type StoredDoc = Record<string, unknown>;

/** Turns a document of version n into version n+1. Must not mutate its argument. */
export type Upgrader = (doc: StoredDoc) => StoredDoc;

interface CollectionVersions {
  readonly current: number;
  readonly upgraders: ReadonlyMap<number, Upgrader>;
}

const registry = new Map<string, CollectionVersions>();

/**
 * Declares a collection's current schema version and its upgraders, keyed by the version they
 * upgrade from. Every step from 1 to current-1 must have one.
 */
export function defineSchemaVersions(collection: string, current: number, upgraders: Record<number, Upgrader> = {}): void {
  if (registry.has(collection)) throw new Error(`schema versions of ${collection} are already defined`);
  const map = new Map<number, Upgrader>();
  for (const [from, fn] of Object.entries(upgraders)) map.set(Number(from), fn);
  for (let v = 1; v < current; v++) {
    if (!map.has(v)) throw new Error(`${collection}: no upgrader from schema version ${v} to ${v + 1}`);
  }
  registry.set(collection, { current, upgraders: map });
}

/** The schema version this code writes for a collection. */
export function currentSchemaVersion(collection: string): number {
  const c = registry.get(collection);
  if (!c) throw new Error(`no schema versions defined for ${collection}`);
  return c.current;
}

/** Collections and their current schema versions. */
export function schemaVersions(): Record<string, number> {
  return Object.fromEntries([...registry].map(([name, c]) => [name, c.current]));
}

/**
 * Brings a stored document to the current version. A document without `schemaVersion` is
 * version 1 (the first shape, from before the field existed). `ref` names the document in errors.
 */
export function upgradeStored(collection: string, doc: StoredDoc, ref: string): StoredDoc {
  const c = registry.get(collection);
  if (!c) throw new Error(`no schema versions defined for ${collection}`);
  const raw = doc.schemaVersion ?? 1;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1) {
    throw new SchemaVersionError(`${collection} document ${ref} has an invalid schemaVersion ${JSON.stringify(raw)}`);
  }
  if (raw > c.current) {
    throw new SchemaVersionError(
      `${collection} document ${ref} has schemaVersion ${raw}, but this version of Assay reads only up to ${c.current}: ` +
        'it was written by newer code (upgrade this service)',
    );
  }
  let out = doc;
  for (let v = raw; v < c.current; v++) {
    out = { ...c.upgraders.get(v)!(out), schemaVersion: v + 1 };
  }
  return out;
}

/** Validation on write and upgrade + validation on read, for one collection's documents. */
export interface DocumentCodec<T> {
  readonly collection: string;
  /** Validates a value about to be written; returns the stored form with `schemaVersion`. */
  encode(value: unknown): T & { schemaVersion: number };
  /** Upgrades a stored document (internal fields already removed) and validates it. */
  decode(stored: StoredDoc, ref: string): T;
}

/** `root` names the document in validation errors (`policy`, `image`…). */
export function documentCodec<S extends z.ZodType>(collection: string, root: string, schema: S): DocumentCodec<z.output<S>> {
  return {
    collection,
    encode(value) {
      const parsed = validate(schema, value, root) as z.output<S>;
      return { schemaVersion: currentSchemaVersion(collection), ...(parsed as object) } as z.output<S> & {
        schemaVersion: number;
      };
    },
    decode(stored, ref) {
      const upgraded = upgradeStored(collection, stored, ref);
      const { schemaVersion: _v, ...body } = upgraded;
      const r = schema.safeParse(body);
      if (r.success) return r.data as z.output<S>;
      const issues = toValidationIssues(root, body, r.error.issues);
      throw new CorruptDocumentError(
        `stored ${collection} document ${ref} does not match its schema: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      );
    },
  };
}
