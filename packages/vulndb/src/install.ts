// Putting a database file in place: every path (registry, URL, air-gapped copy) writes to a
// temporary file in the target directory, checks it is a readable database of our schema, and
// renames it over `<dir>/vulndb.sqlite`. rename() is atomic within a filesystem, so a reader
// sees the old file or the new one, never a mix; open handles keep the old inode alive.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { byteLimit, DEFAULT_MAX_DATABASE_BYTES } from './byte-limit.ts';
import { compareDbVersions } from './db-version.ts';
import { InvalidDatabaseError, readMetadata } from './metadata.ts';
import type { DbMetadata } from './schema.ts';
import { download } from './sources.ts';

export const DB_FILE_NAME = 'vulndb.sqlite';

export function dbPath(dir: string): string {
  return join(dir, DB_FILE_NAME);
}

/** A fresh temporary name beside the target, so the final rename stays on one filesystem. */
export async function tempPathIn(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return join(dir, `.${DB_FILE_NAME}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Opens the file read-only and checks schema version and integrity; returns its metadata. */
export function verifyDatabaseFile(file: string, opts: { integrity?: boolean } = {}): DbMetadata {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (err) {
    throw new InvalidDatabaseError(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const metadata = readMetadata(db);
    if (opts.integrity ?? true) {
      const rows = db.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
      if (rows.length !== 1 || rows[0]?.quick_check !== 'ok') throw new InvalidDatabaseError(`${file} fails SQLite's quick_check`);
    }
    return metadata;
  } catch (err) {
    if (err instanceof InvalidDatabaseError) throw err;
    throw new InvalidDatabaseError(`${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}

/** Verifies `tmp` (already in `dir`) and renames it into place; removes it when refused. */
export async function commitDatabaseFile(tmp: string, dir: string, expectVersion?: string): Promise<DbMetadata> {
  try {
    const metadata = verifyDatabaseFile(tmp);
    if (expectVersion !== undefined && metadata.version !== expectVersion) {
      throw new InvalidDatabaseError(`database version ${metadata.version}, expected ${expectVersion}`);
    }
    await rename(tmp, dbPath(dir));
    return metadata;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Copies (gunzipping when needed, at most `maxBytes` out) `src` to a temporary file in `dir`. */
async function stage(src: string, dir: string, maxBytes = DEFAULT_MAX_DATABASE_BYTES): Promise<string> {
  const tmp = await tempPathIn(dir);
  try {
    if (await isGzip(src)) await pipeline(createReadStream(src), createGunzip(), byteLimit(maxBytes, src), createWriteStream(tmp));
    else await pipeline(createReadStream(src), createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return tmp;
}

/** Air-gapped install: a database file (optionally gzipped) copied in after verification. */
export async function installDatabaseFile(
  path: string,
  dir: string,
  opts: { maxBytes?: number } = {},
): Promise<{ version: string; file: string }> {
  const metadata = await commitDatabaseFile(await stage(path, dir, opts.maxBytes), dir);
  return { version: metadata.version, file: dbPath(dir) };
}

/** Downloads a database file (optionally gzipped) from a URL; installs it when newer. */
export async function fetchDatabaseFromUrl(
  url: string,
  dir: string,
  opts: { currentVersion?: string; fetch?: typeof fetch; maxBytes?: number } = {},
): Promise<{ updated: boolean; version: string | undefined }> {
  const dl = await download(url, opts.fetch ? { fetch: opts.fetch } : {});
  try {
    const tmp = await stage(dl.file, dir, opts.maxBytes);
    let metadata: DbMetadata;
    try {
      metadata = verifyDatabaseFile(tmp);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    if (opts.currentVersion !== undefined && compareDbVersions(metadata.version, opts.currentVersion) <= 0) {
      await rm(tmp, { force: true });
      return { updated: false, version: opts.currentVersion };
    }
    await commitDatabaseFile(tmp, dir, metadata.version);
    return { updated: true, version: metadata.version };
  } finally {
    await dl.remove();
  }
}
