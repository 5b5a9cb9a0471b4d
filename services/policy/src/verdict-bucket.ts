// Writing verdicts into the verdicts bucket with compare-and-set on the previous revision:
// read the current entry, decide against it, write only if nobody wrote in between, else retry.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { digestBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import type { KV } from 'nats';

export interface VerdictWrite {
  written: boolean;
  previous: Verdict | undefined;
  revision?: number;
}

function isWrongLastSequence(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string } | null;
  return e?.api_error?.err_code === 10071 || /wrong last sequence/i.test(e?.message ?? '');
}

export async function readVerdict(kv: KV, digest: string): Promise<{ verdict: Verdict | undefined; revision: number } | undefined> {
  const entry = await kv.get(digestBucketKey(digest));
  if (!entry) return undefined;
  const live = entry.operation === 'PUT' && entry.value.length > 0;
  return { verdict: live ? fromBinary(VerdictSchema, entry.value) : undefined, revision: entry.revision };
}

/**
 * `decide(previous)` returns the verdict to write, or undefined to leave the entry as it is.
 * Retried (with a fresh read) when another writer got in first. `decide` runs after the entry
 * is read, so whatever it reads itself is at least as new as the revision it writes over.
 */
export async function casVerdict(
  kv: KV,
  digest: string,
  decide: (previous: Verdict | undefined) => Verdict | undefined | Promise<Verdict | undefined>,
  attempts = 20,
): Promise<VerdictWrite> {
  const key = digestBucketKey(digest);
  for (let i = 0; i < attempts; i++) {
    const current = await readVerdict(kv, digest);
    const previous = current?.verdict;
    const next = await decide(previous);
    if (!next) return { written: false, previous };
    try {
      const data = toBinary(VerdictSchema, next);
      const revision = current ? await kv.update(key, data, current.revision) : await kv.create(key, data);
      return { written: true, previous, revision };
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  throw new Error(`verdict for ${digest}: still contended after ${attempts} attempts`);
}
