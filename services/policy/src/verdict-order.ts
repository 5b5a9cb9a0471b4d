// The order the verdict list is browsed in (newest evaluation first, then by digest), its
// continue tokens, and a sorted array of the entries kept in that order as verdicts change.
//
// Why an array kept sorted rather than a pass over the mirror per request: a page starts with a
// binary search for its continue position and stops as soon as it has `limit + 1` matches, so
// the first page of 50,000 images costs microseconds, not a walk of every entry (entries are
// scattered in the heap: a full pass is cache misses, tens of milliseconds). A change costs one
// removal and one insertion (a memmove of the array of pointers).

/** A place in the list: the evaluation time (ms) and the digest (unique, so positions are too). */
export interface Position {
  t: number;
  d: string;
}

/** Negative when `a` is listed before `b`. */
export const compare = (a: Position, b: Position): number => (a.t !== b.t ? b.t - a.t : a.d < b.d ? -1 : a.d > b.d ? 1 : 0);

export class InvalidContinueError extends Error {
  readonly statusCode = 400;
  constructor() {
    super('invalid continue token: pass the one the previous page returned');
  }
}

export function encodeContinue(p: Position): string {
  return Buffer.from(JSON.stringify([p.t, p.d])).toString('base64url');
}

/** The position a `continue` token names; a clear error for anything else. */
export function decodeContinue(token: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Number.isFinite(parsed[0]) || typeof parsed[1] !== 'string') {
    throw new InvalidContinueError();
  }
  return { t: parsed[0] as number, d: parsed[1] as string };
}

/** Entries in list order. */
export class OrderedEntries<E extends { position: Position }> {
  #items: E[];

  /** From entries in any order. */
  constructor(entries: Iterable<E>) {
    this.#items = [...entries].sort((a, b) => compare(a.position, b.position));
  }

  get length(): number {
    return this.#items.length;
  }

  [Symbol.iterator](): Iterator<E> {
    return this.#items[Symbol.iterator]();
  }

  /** The index of the first entry not listed before `p`. */
  #lowerBound(p: Position): number {
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(this.#items[mid]!.position, p) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(e: E): void {
    this.#items.splice(this.#lowerBound(e.position), 0, e);
  }

  /** Removes `e` itself (found by its position; the same object, should two share one). */
  remove(e: E): void {
    const items = this.#items;
    for (let i = this.#lowerBound(e.position); i < items.length && compare(items[i]!.position, e.position) === 0; i++) {
      if (items[i] === e) {
        items.splice(i, 1);
        return;
      }
    }
  }

  /** The first `n` matches listed after `after` (from the start without it). */
  after(after: Position | undefined, match: (e: E) => boolean, n: number): E[] {
    const out: E[] = [];
    let i = after ? this.#lowerBound(after) : 0;
    const items = this.#items;
    if (after && i < items.length && compare(items[i]!.position, after) === 0) i++;
    for (; i < items.length && out.length < n; i++) if (match(items[i]!)) out.push(items[i]!);
    return out;
  }

  /** The last `n` matches listed at or before `p`, in list order. */
  atOrBefore(p: Position, match: (e: E) => boolean, n: number): E[] {
    const out: E[] = [];
    const items = this.#items;
    let i = this.#lowerBound(p);
    if (!(i < items.length && compare(items[i]!.position, p) === 0)) i--;
    for (; i >= 0 && out.length < n; i--) if (match(items[i]!)) out.push(items[i]!);
    return out.reverse();
  }
}
