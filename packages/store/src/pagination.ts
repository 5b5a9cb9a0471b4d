// Cursor pagination. Every listing has a total order on a unique key (id, digest, or
// (expiresAt, id)); a page holds the next `limit` items after the cursor's key, so inserts or
// deletes between pages never cause a duplicate, and nothing that existed throughout is skipped.
import { ValidationError } from '@assay/domain';
import { isObject } from '@assay/kit';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  /** Items per page, 1..MAX_PAGE_SIZE (default DEFAULT_PAGE_SIZE). */
  limit?: number;
  /** The `next` token of the previous page. */
  after?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque token for the following page; absent on the last page. */
  next?: string;
}

export function pageLimit(page: PageRequest | undefined): number {
  const limit = page?.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError([{ path: 'page.limit', message: `expected an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(limit)}` }]);
  }
  return limit;
}

/** The cursor names its listing, so a token from one listing cannot be replayed on another. */
export function encodeCursor(listing: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify({ l: listing, k: key }), 'utf8').toString('base64url');
}

/** The sort key after which the page starts, or undefined for the first page. */
export function decodeCursor(listing: string, page: PageRequest | undefined): (string | number)[] | undefined {
  const token = page?.after;
  if (token === undefined) return undefined;
  const bad = () => new ValidationError([{ path: 'page.after', message: `not a cursor of this listing (${listing})` }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !isObject(parsed) ||
    parsed.l !== listing ||
    !Array.isArray(parsed.k) ||
    !parsed.k.every((x) => typeof x === 'string' || typeof x === 'number')
  ) {
    throw bad();
  }
  return parsed.k as (string | number)[];
}

/**
 * Builds a page from up to `limit + 1` rows fetched in order: the extra row only says there is
 * more, and the cursor is the key of the last item returned.
 */
export function makePage<R, T>(
  listing: string,
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => readonly (string | number)[],
  toItem: (row: R) => T,
): Page<T> {
  const shown = rows.slice(0, limit);
  const items = shown.map(toItem);
  const last = shown[shown.length - 1];
  return rows.length > limit && last !== undefined ? { items, next: encodeCursor(listing, keyOf(last)) } : { items };
}

/** Every item of a paged listing, page after page. */
export async function* allPages<T>(fetch: (page: PageRequest) => Promise<Page<T>>, limit = MAX_PAGE_SIZE): AsyncGenerator<T> {
  let after: string | undefined;
  do {
    const page = await fetch(after === undefined ? { limit } : { limit, after });
    yield* page.items;
    after = page.next;
  } while (after !== undefined);
}
