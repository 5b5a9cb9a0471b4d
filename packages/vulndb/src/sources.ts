// Inputs of a build, read one record file at a time so memory stays flat however large the
// input: a directory tree of `*.json`, a zip (osv.dev's per-ecosystem `all.zip`) inflated as a
// stream, a single JSON file, or an http(s) URL to a zip or JSON file (downloaded to a temporary
// file first). Each source's sha256 is computed on the way and lands in the metadata.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Unzip, UnzipInflate, UnzipPassThrough } from 'fflate';
import { byteLimit } from './byte-limit.ts';

/** Largest zip member inflated (one OSV record is a few KiB; the largest are under 1 MiB). */
export const MAX_ZIP_MEMBER_BYTES = 32 * 1024 ** 2;
/** Most bytes one zip may inflate to in total (every osv.dev export is far below). */
export const MAX_ZIP_INFLATED_BYTES = 16 * 1024 ** 3;
/** Largest download accepted (osv.dev's largest export is a few hundred MiB). */
export const MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;

/** A source URL could not be fetched: the URL and the reason, as a person reads them. */
export class DownloadError extends Error {
  readonly url: string;
  readonly reason: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`could not download ${url}: ${reason}`, options);
    this.name = 'DownloadError';
    this.url = url;
    this.reason = reason;
  }
}

/** fetch's own "fetch failed" hides the reason in its cause (ENOTFOUND, ECONNREFUSED…). */
function reasonOf(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.message || e.cause?.code || e.message || String(err);
}

export interface SourceEntry {
  /** Path within the source (file path or zip member). */
  readonly name: string;
  readonly data?: Uint8Array;
  /** Set when the entry could not be read (a corrupt zip member). */
  readonly error?: string;
}

export interface SourceChecksum {
  source: string;
  kind: 'directory' | 'zip' | 'json';
  sha256: string;
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile() && e.name.endsWith('.json')) yield p;
  }
}

/** Directory: files in sorted order; the checksum covers every file's path and content. */
async function* readDirectory(dir: string, done: (sha: string) => void): AsyncGenerator<SourceEntry> {
  const h = createHash('sha256');
  for await (const file of walk(dir)) {
    const name = relative(dir, file);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      yield { name, error: `unreadable: ${(err as Error).message}` };
      continue;
    }
    h.update(`${name}\0${createHash('sha256').update(data).digest('hex')}\n`);
    yield { name, data };
  }
  done(h.digest('hex'));
}

/** Zip: inflated as it streams from disk, one member at a time. */
async function* readZip(file: string, done: (sha: string) => void): AsyncGenerator<SourceEntry> {
  const h = createHash('sha256');
  const ready: SourceEntry[] = [];
  let total = 0;
  let bomb: string | undefined;
  const unzip = new Unzip((member) => {
    if (!member.name.endsWith('.json')) return;
    // Refused by the size the archive declares before inflating, and by what actually comes out.
    if (member.originalSize !== undefined && member.originalSize > MAX_ZIP_MEMBER_BYTES) {
      ready.push({
        name: member.name,
        error: `zip member declares ${member.originalSize} bytes, more than ${MAX_ZIP_MEMBER_BYTES}; refused`,
      });
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    let failed = false;
    member.ondata = (err, data, final) => {
      if (failed) return;
      if (err) {
        failed = true;
        ready.push({ name: member.name, error: `zip member unreadable: ${err.message}` });
        return;
      }
      size += data.length;
      total += data.length;
      if (size > MAX_ZIP_MEMBER_BYTES || total > MAX_ZIP_INFLATED_BYTES) {
        failed = true;
        member.terminate();
        if (total > MAX_ZIP_INFLATED_BYTES) bomb = `${file} inflates to more than ${MAX_ZIP_INFLATED_BYTES} bytes; refused`;
        ready.push({ name: member.name, error: `zip member inflates to more than ${MAX_ZIP_MEMBER_BYTES} bytes; refused` });
        return;
      }
      chunks.push(data);
      if (final) ready.push({ name: member.name, data: Buffer.concat(chunks) });
    };
    try {
      member.start();
    } catch (err) {
      ready.push({ name: member.name, error: `zip member unreadable: ${(err as Error).message}` });
    }
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    unzip.push(chunk as Buffer);
    while (ready.length) yield ready.shift() as SourceEntry;
    if (bomb) throw new Error(bomb);
  }
  unzip.push(new Uint8Array(0), true);
  while (ready.length) yield ready.shift() as SourceEntry;
  if (bomb) throw new Error(bomb);
  done(h.digest('hex'));
}

async function isZip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50;
  } finally {
    await fh.close();
  }
}

/** Downloads a URL to a temporary file (streamed, at most `maxBytes`), returning its path and cleanup; failures are DownloadErrors. */
export async function download(
  url: string,
  opts: { fetch?: typeof fetch; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'assay-vulndb-dl-'));
  const file = join(dir, 'download');
  try {
    let res: Response;
    try {
      res = await (opts.fetch ?? fetch)(url, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      throw new DownloadError(url, reasonOf(err), { cause: err });
    }
    if (!res.ok || !res.body) throw new DownloadError(url, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    const max = opts.maxBytes ?? MAX_DOWNLOAD_BYTES;
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), byteLimit(max, url), createWriteStream(file));
    } catch (err) {
      throw new DownloadError(url, reasonOf(err), { cause: err });
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Every record file of one source; `checksum` is called once the source is fully read. */
export async function* readSource(source: string, checksum: (c: SourceChecksum) => void): AsyncGenerator<SourceEntry> {
  if (/^https?:\/\//i.test(source)) {
    const dl = await download(source);
    try {
      const zip = await isZip(dl.file);
      yield* zip
        ? readZip(dl.file, (sha) => checksum({ source, kind: 'zip', sha256: sha }))
        : readJsonFile(dl.file, source, (sha) => checksum({ source, kind: 'json', sha256: sha }));
    } finally {
      await dl.remove();
    }
    return;
  }
  const st = await stat(source);
  if (st.isDirectory()) yield* readDirectory(source, (sha) => checksum({ source, kind: 'directory', sha256: sha }));
  else if (await isZip(source)) yield* readZip(source, (sha) => checksum({ source, kind: 'zip', sha256: sha }));
  else yield* readJsonFile(source, source, (sha) => checksum({ source, kind: 'json', sha256: sha }));
}

async function* readJsonFile(file: string, name: string, done: (sha: string) => void): AsyncGenerator<SourceEntry> {
  const data = await readFile(file);
  done(createHash('sha256').update(data).digest('hex'));
  yield { name, data };
}
