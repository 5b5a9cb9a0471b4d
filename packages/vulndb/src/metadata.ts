// Reading and checking a database file's metadata: the gate every open and install goes through.
import type { DatabaseSync } from 'node:sqlite';
import { type DbMetadata, META, SCHEMA_VERSION } from './schema.ts';

/** Schema versions this reader opens: the current one, and 1 (before the intelligence tables). */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, SCHEMA_VERSION];

export class InvalidDatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidDatabaseError';
  }
}

function parseJson<T>(s: string | undefined, fallback: T): T {
  if (s === undefined) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

export function readMetadata(db: DatabaseSync): DbMetadata {
  let rows: { key: string; value: string }[];
  try {
    rows = db.prepare('SELECT key, value FROM metadata').all() as unknown as { key: string; value: string }[];
  } catch (err) {
    throw new InvalidDatabaseError(`not a vulnerability database: ${(err as Error).message}`, { cause: err });
  }
  const m = new Map(rows.map((r) => [r.key, r.value]));
  const schema = Number(m.get(META.schemaVersion));
  // Version 1 (no intelligence tables) is still read: a published or air-gapped database keeps
  // working after an upgrade, its findings simply carry no EPSS, KEV or end-of-life dates.
  if (!READABLE_SCHEMA_VERSIONS.includes(schema))
    throw new InvalidDatabaseError(
      `database schema version ${m.get(META.schemaVersion) ?? '(none)'}, this reader reads ${READABLE_SCHEMA_VERSIONS.join(' and ')}`,
    );
  const version = m.get(META.version);
  if (!version) throw new InvalidDatabaseError('database has no version');
  return {
    schemaVersion: schema,
    version,
    builtAt: m.get(META.builtAt) ?? '',
    sources: parseJson(m.get(META.sources), []),
    countsPerEcosystem: parseJson(m.get(META.counts), {}),
    records: Number(m.get(META.records) ?? 0),
    withdrawn: Number(m.get(META.withdrawn) ?? 0),
    skipped: Number(m.get(META.skipped) ?? 0),
    skippedReasons: parseJson(m.get(META.skippedReasons), {}),
    skippedExamples: parseJson(m.get(META.skippedExamples), []),
    ...(m.has(META.intel) ? { intel: parseJson(m.get(META.intel), {}) } : {}),
  };
}
