// Reading one intelligence input (FIRST's EPSS CSV, CISA's KEV JSON): a local file or an http(s)
// URL, gzip-compressed or plain (detected by its magic bytes, as FIRST serves `.csv.gz`). Both
// feeds are a few megabytes, so the input is read whole, bounded by `maxBytes`.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { download } from './sources.ts';

/** Inflated size above which an input is refused (EPSS's full CSV is ~10 MB, KEV's JSON ~1.5 MB). */
export const MAX_INTEL_INPUT_BYTES = 256 * 1024 * 1024;

export interface IntelInput {
  text: string;
  /** sha256 of the bytes as fetched (compressed when the input was). */
  sha256: string;
}

export async function readIntelInput(source: string, maxBytes = MAX_INTEL_INPUT_BYTES): Promise<IntelInput> {
  let raw: Buffer;
  if (/^https?:\/\//i.test(source)) {
    const dl = await download(source);
    try {
      raw = await readBounded(dl.file, source, maxBytes);
    } finally {
      await dl.remove();
    }
  } else raw = await readBounded(source, source, maxBytes);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const gz = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  let data: Buffer;
  try {
    data = gz ? gunzipSync(raw, { maxOutputLength: maxBytes }) : raw;
  } catch (err) {
    throw new Error(`${source}: not readable gzip: ${(err as Error).message}`, { cause: err });
  }
  return { text: data.toString('utf8'), sha256 };
}

async function readBounded(file: string, name: string, maxBytes: number): Promise<Buffer> {
  const st = await stat(file);
  if (st.size > maxBytes) throw new Error(`${name}: ${st.size} bytes, more than the ${maxBytes} allowed`);
  return readFile(file);
}
