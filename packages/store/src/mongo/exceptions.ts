// Exceptions on MongoDB: `_id` is the exception id (unique by construction); expiry queries
// walk the (expiresAt, _id) index in order.
import type { Db, Document, Filter } from 'mongodb';
import { identifier, timestamp, validate, type PolicyException } from '@assay/domain';
import type { KeyedDoc } from './connection.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { exceptionCodec, type ExceptionRepository } from '../exceptions.ts';
import { decodeCursor, makePage, pageLimit, type PageRequest } from '../pagination.ts';
import { isDuplicateKey } from './connection.ts';
import { pageById } from './paging.ts';

export function mongoExceptionRepository(db: Db): ExceptionRepository {
  const col = db.collection<KeyedDoc>('exceptions');
  const decode = (doc: Document): PolicyException => {
    const { _id, ...stored } = doc;
    return exceptionCodec.decode(stored, String(_id));
  };

  /** Ordered by (expiresAt, id): the cursor carries both, as many exceptions may share an expiry. */
  async function byExpiry(filter: Filter<KeyedDoc>, listing: string, page: PageRequest | undefined) {
    const limit = pageLimit(page);
    const after = decodeCursor(listing, page);
    const resume = after
      ? {
          $or: [
            { expiresAt: { $gt: new Date(Number(after[0])) } },
            { expiresAt: new Date(Number(after[0])), _id: { $gt: String(after[1]) } },
          ],
        }
      : undefined;
    const rows = await col
      .find(resume ? { $and: [filter, resume] } : filter)
      .sort({ expiresAt: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return makePage(listing, rows, limit, (r) => [(r.expiresAt as Date).getTime(), String(r._id)], decode);
  }

  return {
    async create(exception) {
      const stored = exceptionCodec.encode(exception);
      try {
        await col.insertOne({ _id: stored.id, ...stored });
      } catch (err) {
        if (isDuplicateKey(err)) throw new ConflictError(`exception ${stored.id} already exists`, {}, { cause: err });
        throw err;
      }
      return exceptionCodec.decode(stored, stored.id);
    },
    async get(id) {
      validate(identifier, id, 'exceptionId');
      const doc = await col.findOne({ _id: id });
      return doc ? decode(doc) : undefined;
    },
    async update(exception) {
      const stored = exceptionCodec.encode(exception);
      const r = await col.replaceOne({ _id: stored.id }, { _id: stored.id, ...stored });
      if (r.matchedCount === 0) throw new NotFoundError(`exception ${stored.id} does not exist`);
      return exceptionCodec.decode(stored, stored.id);
    },
    async delete(id) {
      validate(identifier, id, 'exceptionId');
      return (await col.deleteOne({ _id: id })).deletedCount === 1;
    },
    list: (page) => pageById(col, {}, 'exceptions', page, decode),
    listActive(now, page) {
      validate(timestamp, now, 'now');
      return pageById(col, { expiresAt: { $gt: now } }, 'exceptions.active', page, decode);
    },
    listExpiringBefore(t, now, page) {
      validate(timestamp, t, 't');
      validate(timestamp, now, 'now');
      return byExpiry({ expiresAt: { $gt: now, $lte: t } }, 'exceptions.expiring', page);
    },
    expired(now, page) {
      validate(timestamp, now, 'now');
      return byExpiry({ expiresAt: { $lte: now } }, 'exceptions.expired', page);
    },
  };
}
