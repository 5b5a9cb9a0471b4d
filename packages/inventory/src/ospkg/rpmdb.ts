// The three rpm database formats, each yielding raw header blobs (see rpmheader.ts):
//  - SQLite (rpm ≥ 4.16, Fedora/RHEL 9+): table Packages(hnum, blob);
//  - BerkeleyDB hash (RHEL ≤ 8, CentOS, Amazon Linux 2): var/lib/rpm/Packages, values on
//    overflow pages (read by hand, as knqyf263/go-rpmdb does);
//  - NDB (SUSE): usr/lib/sysimage/rpm/Packages.db, slot pages pointing at blobs.
// Every reader is defensive: a corrupt page or slot is reported and the walk goes on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface BlobsResult {
  blobs: Buffer[];
  warnings: string[];
}

// ---------------------------------------------------------------- SQLite

/** Reads every header blob from an rpmdb.sqlite image held in memory. */
export function readSqliteBlobs(buf: Buffer): BlobsResult {
  const warnings: string[] = [];
  if (buf.length < 100 || buf.toString('latin1', 0, 16) !== 'SQLite format 3\0') return { blobs: [], warnings: ['not an SQLite database'] };
  // rpm keeps the database in WAL mode (header bytes 18/19 = 2). A standalone copy without its
  // -wal file must be opened in rollback mode, or SQLite looks for the -wal/-shm files.
  // The header records the page size and count: a shorter file was cut (reads may still work).
  const pageSize = buf.readUInt16BE(16) === 1 ? 65536 : buf.readUInt16BE(16);
  const pageCount = buf.readUInt32BE(28);
  if (pageCount > 0 && pageSize * pageCount > buf.length)
    warnings.push(`sqlite: file truncated (${buf.length} of ${pageSize * pageCount} bytes)`);
  const copy = Buffer.from(buf);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: DatabaseSync | undefined;
  let dir: string | undefined;
  try {
    const mem = new DatabaseSync(':memory:');
    const deserialize = (mem as unknown as { deserialize?: (b: Uint8Array) => void }).deserialize;
    if (typeof deserialize === 'function') {
      deserialize.call(mem, copy);
      db = mem;
    } else {
      // Older Node 24 without deserialize(): DatabaseSync needs a path.
      mem.close();
      dir = mkdtempSync(join(tmpdir(), 'assay-rpmdb-'));
      const file = join(dir, 'rpmdb.sqlite');
      writeFileSync(file, copy);
      db = new DatabaseSync(file, { readOnly: true });
    }
    const blobs: Buffer[] = [];
    // Iterate so one unreadable row (a corrupt b-tree page) keeps the rows before it.
    try {
      for (const row of db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').iterate()) {
        const b = (row as { blob?: unknown }).blob;
        if (b instanceof Uint8Array) blobs.push(Buffer.from(b));
        else warnings.push(`row ${String((row as { hnum?: unknown }).hnum)}: blob is not binary`);
      }
    } catch (e) {
      warnings.push(`sqlite: ${(e as Error).message}`);
    }
    return { blobs, warnings };
  } catch (e) {
    warnings.push(`sqlite: ${(e as Error).message}`);
    return { blobs: [], warnings };
  } finally {
    try {
      db?.close();
    } catch {
      /* already closed */
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- BerkeleyDB hash

const BDB_HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;

/** Reads every value of a BerkeleyDB hash database (rpm's Packages): header blobs. */
export function readBdbBlobs(buf: Buffer): BlobsResult {
  const warnings: string[] = [];
  const blobs: Buffer[] = [];
  if (buf.length < 512) return { blobs, warnings: ['BerkeleyDB: file shorter than a metadata page'] };
  // The file is in the writer's byte order; the magic tells which.
  let le = true;
  if (buf.readUInt32LE(12) !== BDB_HASH_MAGIC) {
    if (buf.readUInt32BE(12) !== BDB_HASH_MAGIC) return { blobs, warnings: ['BerkeleyDB: not a hash database (bad magic)'] };
    le = false;
  }
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const pageSize = u32(20);
  if (buf[25] !== P_HASHMETA) return { blobs, warnings: [`BerkeleyDB: page 0 is type ${buf[25]}, not hash metadata`] };
  if (buf[24] !== 0) return { blobs, warnings: ['BerkeleyDB: encrypted databases are not supported'] };
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    return { blobs, warnings: [`BerkeleyDB: bad page size ${pageSize}`] };
  const pagesInFile = Math.floor(buf.length / pageSize);
  let lastPage = u32(32);
  if (lastPage >= pagesInFile) {
    warnings.push(`BerkeleyDB: file truncated (last page ${lastPage}, ${pagesInFile} pages present)`);
    lastPage = pagesInFile - 1;
  }

  const readOverflow = (start: number, total: number): Buffer | string => {
    const parts: Buffer[] = [];
    let got = 0;
    let pg = start;
    const seen = new Set<number>();
    while (pg !== 0) {
      if (seen.has(pg)) return `overflow chain loops at page ${pg}`;
      seen.add(pg);
      if (pg > lastPage) return `overflow page ${pg} beyond end of file`;
      const o = pg * pageSize;
      if (buf[o + 25] !== P_OVERFLOW) return `page ${pg} is type ${buf[o + 25]}, expected overflow`;
      const len = u16(o + 22); // hf_offset holds the byte count on overflow pages
      if (PAGE_HEADER + len > pageSize) return `overflow page ${pg}: length ${len} exceeds page`;
      parts.push(buf.subarray(o + PAGE_HEADER, o + PAGE_HEADER + len));
      got += len;
      pg = u32(o + 16);
    }
    if (got < total) return `overflow chain from page ${start}: ${got} of ${total} bytes`;
    return Buffer.concat(parts).subarray(0, total);
  };

  for (let pg = 1; pg <= lastPage; pg++) {
    const o = pg * pageSize;
    const type = buf[o + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(o + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      warnings.push(`BerkeleyDB: page ${pg}: ${entries} entries do not fit`);
      continue;
    }
    // Entries alternate key, value; the values are the header blobs.
    for (let i = 1; i < entries; i += 2) {
      const off = u16(o + PAGE_HEADER + 2 * i);
      const item = o + off;
      // Small inline values (rpm's key-0 record holding the next instance number) are not headers.
      if (off < pageSize && buf[item] === H_KEYDATA) continue;
      if (off + 12 > pageSize) {
        warnings.push(`BerkeleyDB: page ${pg} entry ${i}: offset ${off} outside page`);
        continue;
      }
      if (buf[item] !== H_OFFPAGE) {
        // rpm headers are always larger than a quarter page, so they live on overflow pages.
        warnings.push(`BerkeleyDB: page ${pg} entry ${i}: value of type ${buf[item]} skipped`);
        continue;
      }
      const r = readOverflow(u32(item + 4), u32(item + 8));
      if (typeof r === 'string') warnings.push(`BerkeleyDB: ${r}`);
      else blobs.push(r);
    }
  }
  return { blobs, warnings };
}

// ---------------------------------------------------------------- NDB

const NDB_HEADER_MAGIC = 0x506d7052; // 'RpmP' little-endian
const NDB_SLOT_MAGIC = 0x746f6c53; // 'Slot'
const NDB_BLOB_MAGIC = 0x53626c42; // 'BlbS'
const NDB_PAGE = 4096;
const NDB_HEADER_SIZE = 32;
const NDB_SLOT_SIZE = 16;
const NDB_BLK = 16;
const NDB_BLOB_HEADER = 16;

/** Reads every blob of an rpm NDB package database (Packages.db, little-endian). */
export function readNdbBlobs(buf: Buffer): BlobsResult {
  const warnings: string[] = [];
  const blobs: Buffer[] = [];
  if (buf.length < NDB_HEADER_SIZE) return { blobs, warnings: ['NDB: file shorter than its header'] };
  if (buf.readUInt32LE(0) !== NDB_HEADER_MAGIC) return { blobs, warnings: ['NDB: bad magic'] };
  const version = buf.readUInt32LE(4);
  if (version !== 0) return { blobs, warnings: [`NDB: unsupported version ${version}`] };
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages > 2048) return { blobs, warnings: [`NDB: bad slot page count ${slotPages}`] };
  let slotEnd = slotPages * NDB_PAGE;
  if (slotEnd > buf.length) {
    warnings.push(`NDB: file truncated inside the slot pages`);
    slotEnd = buf.length - (buf.length % NDB_SLOT_SIZE);
  }
  // Slots follow the 32-byte header (slot 0 and 1 are the header's room).
  for (let o = NDB_HEADER_SIZE; o + NDB_SLOT_SIZE <= slotEnd; o += NDB_SLOT_SIZE) {
    const magic = buf.readUInt32LE(o);
    const pkgIndex = buf.readUInt32LE(o + 4);
    const blkOffset = buf.readUInt32LE(o + 8);
    const blkCount = buf.readUInt32LE(o + 12);
    if (magic !== NDB_SLOT_MAGIC) {
      warnings.push(`NDB: slot at ${o}: bad magic`);
      continue;
    }
    if (pkgIndex === 0) continue; // free slot
    const at = blkOffset * NDB_BLK;
    if (at + NDB_BLOB_HEADER > buf.length) {
      warnings.push(`NDB: package ${pkgIndex}: blob beyond end of file`);
      continue;
    }
    if (buf.readUInt32LE(at) !== NDB_BLOB_MAGIC || buf.readUInt32LE(at + 4) !== pkgIndex) {
      warnings.push(`NDB: package ${pkgIndex}: bad blob header`);
      continue;
    }
    const len = buf.readUInt32LE(at + 12);
    if (len > blkCount * NDB_BLK || at + NDB_BLOB_HEADER + len > buf.length) {
      warnings.push(`NDB: package ${pkgIndex}: blob length ${len} overruns its blocks or the file`);
      continue;
    }
    blobs.push(buf.subarray(at + NDB_BLOB_HEADER, at + NDB_BLOB_HEADER + len));
  }
  return { blobs, warnings };
}
