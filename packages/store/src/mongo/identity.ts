// The store identity in MongoDB: one document `{_id: 'store'}` in `store_identity`, inserted by
// whichever client asks first; a lost race is a duplicate key, and everyone reads the winner's.
import type { Db } from 'mongodb';
import { CorruptDocumentError } from '../errors.ts';
import { newStoredIdentity, type StoreIdentity } from '../identity.ts';
import { isDuplicateKey } from './connection.ts';

export const STORE_IDENTITY = 'store_identity';

interface IdentityDoc {
  _id: string;
  id: unknown;
  createdAt: unknown;
}

export async function readMongoIdentity(db: Db, location: string, now: () => Date): Promise<StoreIdentity> {
  const coll = db.collection<IdentityDoc>(STORE_IDENTITY);
  let doc = await coll.findOne({ _id: 'store' });
  if (!doc) {
    try {
      await coll.insertOne({ _id: 'store', ...newStoredIdentity(now()) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    doc = await coll.findOne({ _id: 'store' });
  }
  if (!doc || typeof doc.id !== 'string' || typeof doc.createdAt !== 'string') {
    throw new CorruptDocumentError(`MongoDB ${location} has an unreadable store identity (${STORE_IDENTITY} collection)`);
  }
  return { id: doc.id, kind: 'mongodb', location, createdAt: doc.createdAt };
}
