// Server-side cursors: a find or aggregate computes its result once, then hands it out in
// batches. Batches follow mongod's bounds: a first batch of at most 101 documents unless the
// client asks otherwise, and no batch (first or later) above 16 MiB of documents, though a
// batch always carries at least one document so a maximum-size document can still be read.
import { BSON, Long, type Document } from 'bson';
import { Code, CommandError } from './errors.ts';
import { MAX_BSON_OBJECT_SIZE } from './values.ts';

export const DEFAULT_FIRST_BATCH = 101;

interface OpenCursor {
  id: bigint;
  ns: string;
  /** Results not yet returned, rendered to their output form lazily. */
  items: unknown[];
  position: number;
  render: (item: unknown) => Document;
}

export class CursorRegistry {
  private readonly open = new Map<bigint, OpenCursor>();
  // Ids look like mongod's: positive, 63-bit, not guessable from one another.
  private nextId = BigInt(Math.floor(Math.random() * 2 ** 40)) << 20n;

  /**
   * Returns the first batch and the cursor id (0 when everything fit, as mongod closes
   * exhausted cursors at once). `batchSize` undefined means the default first batch.
   */
  start(
    ns: string,
    items: unknown[],
    render: (item: unknown) => Document,
    batchSize: number | undefined,
    singleBatch = false,
  ): { id: Long; batch: Document[] } {
    const cursor: OpenCursor = { id: 0n, ns, items, position: 0, render };
    const batch = this.take(cursor, batchSize ?? DEFAULT_FIRST_BATCH);
    if (singleBatch || cursor.position >= items.length) return { id: Long.ZERO, batch };
    this.nextId += BigInt(1 + Math.floor(Math.random() * 1000));
    cursor.id = this.nextId;
    this.open.set(cursor.id, cursor);
    return { id: Long.fromBigInt(cursor.id), batch };
  }

  /** The next batch of an open cursor; `batchSize` undefined means only the 16 MiB bound. */
  more(id: Long, ns: string | undefined, batchSize: number | undefined): { id: Long; ns: string; batch: Document[] } {
    const key = id.toBigInt();
    const cursor = this.open.get(key);
    if (!cursor) throw new CommandError(Code.CursorNotFound, `cursor id ${key} not found`);
    if (ns !== undefined && ns !== cursor.ns) {
      throw new CommandError(13, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    }
    const batch = this.take(cursor, batchSize ?? Number.POSITIVE_INFINITY);
    if (cursor.position >= cursor.items.length) {
      this.open.delete(key);
      return { id: Long.ZERO, ns: cursor.ns, batch };
    }
    return { id, ns: cursor.ns, batch };
  }

  kill(id: Long): boolean {
    return this.open.delete(id.toBigInt());
  }

  clear(): void {
    this.open.clear();
  }

  private take(cursor: OpenCursor, batchSize: number): Document[] {
    const batch: Document[] = [];
    let bytes = 0;
    while (cursor.position < cursor.items.length && batch.length < batchSize) {
      const doc = cursor.render(cursor.items[cursor.position]);
      const size = BSON.calculateObjectSize(doc);
      if (batch.length > 0 && bytes + size > MAX_BSON_OBJECT_SIZE) break;
      batch.push(doc);
      bytes += size;
      cursor.items[cursor.position] = undefined; // release what was sent
      cursor.position++;
    }
    return batch;
  }
}
