// Versioned policies on MongoDB: one document per version, unique on (id, version). A write
// inserts version expectedVersion+1 only after reading that expectedVersion is the latest; two
// writers racing from the same version both insert the same (id, version) and the unique index
// lets exactly one through (the other gets E11000 → ConflictError). No transaction needed.
import type { Db, Document } from 'mongodb';
import { identifier, validate, type VersionedRecord } from '@assay/domain';
import { ConflictError, NotFoundError } from '../errors.ts';
import { decodeCursor, makePage, pageLimit, type Page, type PageRequest } from '../pagination.ts';
import { buildVersion, type VersionedKind, type VersionedRepository, type WriteOptions } from '../versioned.ts';
import { isDuplicateKey } from './connection.ts';

export function mongoVersionedRepository<T>(db: Db, kind: VersionedKind<T>, now: () => Date): VersionedRepository<T> {
  const col = db.collection(kind.collection);
  const decode = (doc: Document): VersionedRecord<T> => {
    const { _id, ...stored } = doc;
    return kind.codec.decode(stored, `${String(stored.id)} v${String(stored.version)}`);
  };
  const latestDoc = (id: string) => col.find({ id }).sort({ version: -1 }).limit(1).next();
  const latestVersion = async (id: string) => ((await latestDoc(id))?.version as number | undefined) ?? 0;
  const checkId = (id: string) => validate(identifier, id, `${kind.root}Id`);

  async function write(id: string, expected: number, stored: Document): Promise<void> {
    const actual = await latestVersion(id);
    if (actual !== expected) throw conflict(id, expected, actual);
    try {
      await col.insertOne(stored);
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(id, expected, await latestVersion(id), err);
      throw err;
    }
  }
  const conflict = (id: string, expected: number, actual: number, cause?: unknown) =>
    new ConflictError(
      `${kind.root} ${id}: version ${expected} is not the latest (latest is ${actual}); re-read and apply the change again`,
      { expected, actual },
      cause === undefined ? undefined : { cause },
    );

  return {
    async current(id) {
      checkId(id);
      const doc = await latestDoc(id);
      if (!doc || doc.deleted === true) return undefined;
      return decode(doc);
    },
    async get(id, version) {
      checkId(id);
      const doc = await col.findOne({ id, version });
      return doc ? decode(doc) : undefined;
    },
    async history(id) {
      checkId(id);
      return (await col.find({ id }).sort({ version: 1 }).toArray()).map(decode);
    },
    async list(page?: PageRequest): Promise<Page<VersionedRecord<T>>> {
      const limit = pageLimit(page);
      const after = decodeCursor(kind.collection, page);
      // Latest version per id: the (id, version) index serves the sort; tombstoned ids drop out after grouping.
      const rows = await col
        .aggregate<{ _id: string; doc: Document }>([
          { $match: after ? { id: { $gt: String(after[0]) } } : {} },
          { $sort: { id: 1, version: -1 } },
          { $group: { _id: '$id', doc: { $first: '$$ROOT' } } },
          { $match: { 'doc.deleted': false } },
          { $sort: { _id: 1 } },
          { $limit: limit + 1 },
        ])
        .toArray();
      return makePage(
        kind.collection,
        rows,
        limit,
        (r) => [r._id],
        (r) => decode(r.doc),
      );
    },
    async put(id, document, options: WriteOptions) {
      const { record, stored } = buildVersion(kind, id, document, options, now());
      await write(id, options.expectedVersion, stored);
      return record;
    },
    async delete(id, options: WriteOptions) {
      const { record, stored } = buildVersion<T>(kind, id, null, options, now());
      const latest = await latestDoc(id);
      if (!latest || latest.deleted === true) throw new NotFoundError(`${kind.root} ${id} does not exist`);
      await write(id, options.expectedVersion, stored);
      return record;
    },
  };
}
