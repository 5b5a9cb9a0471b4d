// How keys of the KV buckets are spelled: a contract between the services that write them
// (registry-watcher, policy) and the ones that read them (admission). NATS KV keys allow only
// `[-/_=.A-Za-z0-9]` (and no empty dot-separated token), while a reference holds `:` (tag,
// registry port), `@`, and IPv6 brackets. So a reference is stored under a readable,
// reversible key: every other character becomes `=XX` (its UTF-8 bytes in upper-case hex), and
// so does a dot that would start or end the key or touch another dot. `=` never occurs in a
// reference, so decoding is unambiguous:
//   127.0.0.1:5000/team/app:v1  ⇄  127.0.0.1=3A5000/team/app=3Av1

const PLAIN = /[-/_A-Za-z0-9]/;

function escapeChar(c: string): string {
  return [...Buffer.from(c, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** A KV key for any string (see the file comment). */
export function encodeBucketKey(s: string): string {
  let out = '';
  const chars = [...s];
  chars.forEach((c, i) => {
    if (PLAIN.test(c)) out += c;
    else if (c === '.' && i > 0 && i < chars.length - 1 && chars[i - 1] !== '.' && chars[i + 1] !== '.') out += c;
    else out += escapeChar(c);
  });
  return out;
}

export function decodeBucketKey(key: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < key.length;) {
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

/** Key of a canonical reference (`registry/repository:tag`) in the tags bucket. */
export function tagBucketKey(canonicalReference: string): string {
  return encodeBucketKey(canonicalReference);
}

/** Key of a digest in the digest-keyed buckets (verdicts, watcher-seen): `sha256.<hex>`. */
export function digestBucketKey(digest: string): string {
  return digest.replace(':', '.');
}
