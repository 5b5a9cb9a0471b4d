// Builders for rpm test databases. The header blobs come from real rpm databases (the vector)
// or from a minimal writer below; the containers (SQLite, NDB) follow rpm's own layouts:
// lib/backend/sqlite.c (table Packages(hnum, blob)) and lib/backend/ndb/rpmpkg.c.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** A minimal rpm header blob: string tags (type 6), string arrays (8) and int32 arrays (4). */
export function buildHeader(tags: Record<number, string | string[] | number[]>): Buffer {
  const entries: Buffer[] = [];
  const data: Buffer[] = [];
  let off = 0;
  for (const [tagS, v] of Object.entries(tags)) {
    const tag = Number(tagS);
    let type: number;
    let bytes: Buffer;
    let count: number;
    if (typeof v === 'string') {
      type = 6;
      bytes = Buffer.from(`${v}\0`);
      count = 1;
    } else if (v.length && typeof v[0] === 'number') {
      type = 4;
      const pad = (4 - (off % 4)) % 4; // int32 data is aligned
      if (pad) {
        data.push(Buffer.alloc(pad));
        off += pad;
      }
      bytes = Buffer.alloc(4 * v.length);
      (v as number[]).forEach((n, i) => bytes.writeInt32BE(n, 4 * i));
      count = v.length;
    } else {
      type = 8;
      bytes = Buffer.from((v as string[]).map((s) => `${s}\0`).join(''));
      count = v.length;
    }
    const e = Buffer.alloc(16);
    e.writeInt32BE(tag, 0);
    e.writeInt32BE(type, 4);
    e.writeInt32BE(off, 8);
    e.writeInt32BE(count, 12);
    entries.push(e);
    data.push(bytes);
    off += bytes.length;
  }
  const head = Buffer.alloc(8);
  head.writeInt32BE(entries.length, 0);
  head.writeInt32BE(off, 4);
  return Buffer.concat([head, ...entries, ...data]);
}

/** An rpmdb.sqlite image with rpm's schema, in WAL mode as rpm leaves it. */
export function buildSqliteDb(blobs: Buffer[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'assay-test-rpmdb-'));
  try {
    const path = join(dir, 'rpmdb.sqlite');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode=WAL');
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    db.exec(
      'CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES Packages(hnum))',
    );
    const ins = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const b of blobs) ins.run(b);
    db.close(); // checkpoints the WAL into the main file
    return readFileSync(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An NDB Packages.db (rpmpkg.c): 32-byte header {magic 'RpmP', version 0, generation,
 * slot pages, next pkgidx}, slots of 16 bytes {'Slot', pkgidx, blkoff, blkcnt} filling the slot
 * pages, then 16-byte blocks; each blob is {'BlbS', pkgidx, adler32, len} + data + tail
 * {'BlbE', len, pkgidx}, padded to whole blocks. `freeSlots` leaves empty slots in between.
 */
export function buildNdb(blobs: Buffer[], opts: { slotPages?: number; freeSlotFirst?: boolean } = {}): Buffer {
  const slotPages = opts.slotPages ?? 1;
  const slotArea = Buffer.alloc(slotPages * 4096);
  slotArea.writeUInt32LE(0x506d7052, 0);
  slotArea.writeUInt32LE(0, 4);
  slotArea.writeUInt32LE(7, 8);
  slotArea.writeUInt32LE(slotPages, 12);
  slotArea.writeUInt32LE(blobs.length + 1, 16);
  for (let o = 32; o < slotArea.length; o += 16) slotArea.writeUInt32LE(0x746f6c53, o); // free slots
  const blocks: Buffer[] = [];
  let blk = (slotPages * 4096) / 16;
  let slot = opts.freeSlotFirst ? 1 : 0;
  blobs.forEach((b, i) => {
    const pkgIdx = i + 1;
    const head = Buffer.alloc(16);
    head.writeUInt32LE(0x53626c42, 0);
    head.writeUInt32LE(pkgIdx, 4);
    head.writeUInt32LE(adler32(b), 8);
    head.writeUInt32LE(b.length, 12);
    const tail = Buffer.alloc(12);
    tail.writeUInt32LE(0x45626c42, 0);
    tail.writeUInt32LE(b.length, 4);
    tail.writeUInt32LE(pkgIdx, 8);
    const raw = Buffer.concat([head, b, tail]);
    const cnt = Math.ceil(raw.length / 16);
    const padded = Buffer.concat([raw, Buffer.alloc(cnt * 16 - raw.length)]);
    const so = 32 + 16 * slot;
    slotArea.writeUInt32LE(pkgIdx, so + 4);
    slotArea.writeUInt32LE(blk, so + 8);
    slotArea.writeUInt32LE(cnt, so + 12);
    blocks.push(padded);
    blk += cnt;
    slot += opts.freeSlotFirst ? 2 : 1;
  });
  return Buffer.concat([slotArea, ...blocks]);
}

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}
