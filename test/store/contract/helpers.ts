// What the contract's parts share: running a test on a fresh store, error predicates, paging
// to the end, a hand-moved clock.
import assert from 'node:assert/strict';
import { ValidationError } from '@assay/domain';
import { ConflictError, NotFoundError, type Page, type StoreOptions } from '@assay/store';
import type { OpenFreshStore, StoreHarness } from './harness.ts';

/** Wraps a test body: opens a fresh store (with `options`), runs it, closes the store. */
export type ContractRun = (fn: (h: StoreHarness) => Promise<void>, options?: StoreOptions) => () => Promise<void>;

export function contractRun(open: OpenFreshStore): ContractRun {
  return (fn, options) => () => withStore(open, fn, options);
}

async function withStore(open: OpenFreshStore, fn: (h: StoreHarness) => Promise<void>, options?: StoreOptions) {
  const h = await open(options);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

export const isConflict = (err: unknown) => {
  assert.ok(err instanceof ConflictError, `expected ConflictError, got ${String(err)}`);
  return true;
};
export const isNotFound = (err: unknown) => {
  assert.ok(err instanceof NotFoundError, `expected NotFoundError, got ${String(err)}`);
  return true;
};
/** A ValidationError whose message names `path` (and matches `message` when given). */
export const isValidation = (path: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
  assert.ok(
    err.issues.some((i) => i.path === path && (message === undefined || message.test(i.message))),
    `expected an issue at ${path}${message ? ` matching ${message}` : ''}, got: ${err.message}`,
  );
  return true;
};

export async function collect<T>(fetch: (page: { limit: number; after?: string }) => Promise<Page<T>>, limit: number) {
  const items: T[] = [];
  let pages = 0;
  let after: string | undefined;
  do {
    const page = await fetch(after === undefined ? { limit } : { limit, after });
    assert.ok(page.items.length <= limit, 'page larger than its limit');
    items.push(...page.items);
    after = page.next;
    pages++;
    assert.ok(pages < 10_000, 'pagination does not end');
  } while (after !== undefined);
  return { items, pages };
}

/** A clock the test moves by hand. */
export function manualClock(start = '2025-06-01T00:00:00.000Z') {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

export const DAY = 86_400_000;
