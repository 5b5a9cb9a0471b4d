// Listings in `_id` order, the way every MongoDB listing keyed by its id pages: the next
// `limit` documents after the cursor's id, plus one that only says there is more.
import type { Collection, Filter } from 'mongodb';
import { decodeCursor, makePage, pageLimit, type Page, type PageRequest } from '../pagination.ts';
import type { KeyedDoc } from './connection.ts';

/** A page of the documents of `col` matching `filter`, by `_id`; `listing` names its cursors. */
export async function pageById<T>(
  col: Collection<KeyedDoc>,
  filter: Filter<KeyedDoc>,
  listing: string,
  page: PageRequest | undefined,
  decode: (doc: KeyedDoc) => T,
): Promise<Page<T>> {
  const limit = pageLimit(page);
  const after = decodeCursor(listing, page);
  const rows = await col
    .find(after ? { $and: [filter, { _id: { $gt: String(after[0]) } }] } : filter)
    .sort({ _id: 1 })
    .limit(limit + 1)
    .toArray();
  return makePage(listing, rows, limit, (r) => [String(r._id)], decode);
}
