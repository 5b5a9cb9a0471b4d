// Re-evaluating many images at once (a policy change, an expiry, a database update, the catch-up
// at start): reports read in batches, each judged, its verdict written, with the reading and the
// writing bounded apart. Reading and judging a report is local work, bounded by what memory
// holds: `batch` reports at a time, read in one store query. Writing a verdict is round trips to
// the server (compare-and-set, announce a changed outcome): up to WRITE_WINDOW are under way at
// once. Requests issued together leave in one socket write and their answers come back together,
// so a wide window costs far less per verdict than a round trip each. Every write is still
// awaited and its result checked.
import { Semaphore } from '@assay/kit';
import type { ScanReport } from '@assay/domain';

/** Verdicts being written at once (each a few small requests in flight). */
export const WRITE_WINDOW = 256;

export interface ReevaluationSteps<J> {
  /** The stored reports of `digests` (absent ones left out). */
  read(digests: string[]): Promise<Map<string, ScanReport>>;
  /** What to write for `digest` (its report undefined when none is stored), or nothing. */
  judge(digest: string, report: ScanReport | undefined): J | undefined;
  write(digest: string, judged: J): Promise<{ written: boolean }>;
  /** Checked before each batch: true ends the work early (shutdown). */
  stopped(): boolean;
}

/**
 * Judges and writes every digest; returns how many were evaluated and how many verdicts written.
 * The first failure stops further work and is thrown once the writes under way have ended.
 */
export async function reevaluateAll<J>(
  digests: readonly string[],
  batch: number,
  steps: ReevaluationSteps<J>,
): Promise<{ evaluated: number; written: number }> {
  const slots = new Semaphore(WRITE_WINDOW);
  const writing = new Set<Promise<void>>();
  let failed: { err: unknown } | undefined;
  let evaluated = 0;
  let written = 0;
  for (let i = 0; i < digests.length && !steps.stopped() && !failed; i += batch) {
    const some = digests.slice(i, i + batch);
    const reports = await steps.read(some);
    for (const d of some) {
      const judged = steps.judge(d, reports.get(d));
      evaluated++;
      if (judged === undefined) continue;
      // Taken synchronously while free: the writes of a batch then start in the same tick and
      // their requests leave together (awaiting each slot would space them a tick apart).
      const release = slots.tryAcquire() ?? (await slots.acquire());
      if (failed) {
        release();
        break;
      }
      const w: Promise<void> = steps
        .write(d, judged)
        .then(
          (r) => {
            if (r.written) written++;
          },
          (err: unknown) => {
            failed ??= { err };
          },
        )
        .finally(() => {
          release();
          writing.delete(w);
        });
      writing.add(w);
    }
  }
  await Promise.all(writing);
  if (failed) throw failed.err;
  return { evaluated, written };
}
