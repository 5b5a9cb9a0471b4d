// Writing verdicts into the verdicts bucket with compare-and-set on the previous revision:
// read the current entry, decide against it, write only if nobody wrote in between, else retry.
// Every verdict write goes through here, so this is where a verdict learns since when its
// compliance is what it is (compliance_since): the one place the previous verdict is at hand.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { digestBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import type { KV } from 'nats';
import type { KnownVerdicts } from './known-verdicts.ts';

export interface VerdictWrite {
  written: boolean;
  previous: Verdict | undefined;
  revision?: number;
  /** The verdict as written (encoded), when written. */
  data?: Uint8Array;
}

function isWrongLastSequence(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string } | null;
  return e?.api_error?.err_code === 10071 || /wrong last sequence/i.test(e?.message ?? '');
}

/** The entry of `digest` (its verdict undefined when deleted); with `known`, remembered there. */
export async function readVerdict(
  kv: KV,
  digest: string,
  known?: KnownVerdicts,
): Promise<{ verdict: Verdict | undefined; revision: number } | undefined> {
  const entry = await kv.get(digestBucketKey(digest));
  const live = entry !== null && entry.operation === 'PUT' && entry.value.length > 0;
  // A copy: the value may be a view into a larger buffer of the connection's.
  if (live) known?.set(digest, entry.revision, entry.value.slice());
  else known?.forget(digest);
  if (!entry) return undefined;
  return { verdict: live ? fromBinary(VerdictSchema, entry.value) : undefined, revision: entry.revision };
}

/**
 * `next` with its compliance_since: the previous verdict's while the compliance is unchanged
 * (unset stays unset: a verdict written before it was recorded does not know, and guessing a
 * later time would lengthen a runtime policy's grace), else the time of this evaluation.
 */
export function withComplianceSince(previous: Verdict | undefined, next: Verdict): Verdict {
  if (previous && previous.compliance === next.compliance) {
    if (previous.complianceSince) next.complianceSince = previous.complianceSince;
    else delete next.complianceSince;
  } else {
    next.complianceSince = next.evaluatedAt ?? timestampNow();
  }
  return next;
}

/**
 * `decide(previous)` returns the verdict to write, or undefined to leave the entry as it is.
 * Retried (with a fresh read) when another writer got in first. `decide` runs after the entry
 * is read, so whatever it reads itself is at least as new as the revision it writes over.
 *
 * With `known`, the first attempt starts from the remembered entry instead of reading it (see
 * known-verdicts.ts): the write still names that revision, so it lands only if the entry is
 * still exactly the one `decide` saw; else the entry is read and the write retried as always.
 * A decision to leave the entry as it is is only taken against a fresh read. Every entry read
 * or written is remembered there.
 */
export async function casVerdict(
  kv: KV,
  digest: string,
  decide: (previous: Verdict | undefined) => Verdict | undefined | Promise<Verdict | undefined>,
  opts: { attempts?: number; known?: KnownVerdicts } = {},
): Promise<VerdictWrite> {
  const { attempts = 20, known } = opts;
  const key = digestBucketKey(digest);
  let remembered = known?.get(digest);
  for (let i = 0; i < attempts; i++) {
    const fromMemory = remembered !== undefined;
    const current = remembered
      ? { verdict: fromBinary(VerdictSchema, remembered.data), revision: remembered.revision }
      : await readVerdict(kv, digest, known);
    remembered = undefined;
    const previous = current?.verdict;
    const decided = await decide(previous);
    // Leaving the entry as it is checks nothing: decided against the entry as it is now.
    if (!decided && fromMemory) continue;
    if (!decided) return { written: false, previous };
    const next = withComplianceSince(previous, decided);
    try {
      const data = toBinary(VerdictSchema, next);
      const revision = current ? await kv.update(key, data, current.revision) : await kv.create(key, data);
      known?.set(digest, revision, data);
      return { written: true, previous, revision, data };
    } catch (err) {
      known?.forget(digest);
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  throw new Error(`verdict for ${digest}: still contended after ${attempts} attempts`);
}
