// Keys and ids registry-watcher writes. NATS KV keys allow only `[-/_=.A-Za-z0-9]` (and no empty
// dot-separated token), while a reference holds `:` (tag, registry port), `@`, and IPv6 brackets.
// So a reference is stored under a readable, reversible key: every other character becomes
// `=XX` (its UTF-8 bytes in upper-case hex), and so does a dot that would start or end the key
// or touch another dot. `=` never occurs in a reference, so decoding is unambiguous:
//   127.0.0.1:5000/team/app:v1  ⇄  127.0.0.1=3A5000/team/app=3Av1
import { createHash } from 'node:crypto';
import { formatReference, type ImageReference } from '@assay/image-ref';

const PLAIN = /[-/_A-Za-z0-9]/;

function escapeChar(c: string): string {
  return [...Buffer.from(c, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** A KV key for any string (see the file comment). */
export function encodeKey(s: string): string {
  let out = '';
  const chars = [...s];
  chars.forEach((c, i) => {
    if (PLAIN.test(c)) out += c;
    else if (c === '.' && i > 0 && i < chars.length - 1 && chars[i - 1] !== '.' && chars[i + 1] !== '.') out += c;
    else out += escapeChar(c);
  });
  return out;
}

export function decodeKey(key: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < key.length; ) {
    if (key[i] === '=' && /^[0-9A-F]{2}$/.test(key.slice(i + 1, i + 3))) {
      bytes.push(parseInt(key.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(key[i]!, 'utf8'));
      i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Key of `registry/repository:tag` in the tags bucket (its value: the manifest or index digest). */
export function tagKey(ref: Pick<ImageReference, 'registry' | 'repository'> & { tag: string }): string {
  return encodeKey(formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag }));
}

/** The reference `registry/repository:tag` a tags-bucket key stands for. */
export function referenceOfTagKey(key: string): string {
  return decodeKey(key);
}

/** Key of a digest in the watcherSeen bucket: `sha256.<hex>` (as the verdicts bucket keys digests). */
export function seenKey(digest: string): string {
  return digest.replace(':', '.');
}

/**
 * Event id (and so `Nats-Msg-Id`, and the audit `_id`) of the ImageDiscovered event for
 * `digest`: derived from the digest alone, so every replica publishing the same discovery
 * produces the same id and JetStream stores it once. UUID-shaped (v5 layout over SHA-256).
 */
export function discoveryEventId(digest: string): string {
  const h = createHash('sha256').update(`assay.image.discovered\0${digest}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
