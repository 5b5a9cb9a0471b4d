// The differences between two versions of a versioned document: the JSON paths that changed
// (GET …/:id/diff, `assay policy diff`) and a line diff of the two versions' YAML (the console's
// versions page), both from the same two stored versions.
import { stringify } from 'yaml';
import type { VersionedRecord } from '@assay/domain';
import { jsonDiff, type DiffEntry } from '@assay/policy-engine';
import { NotFoundError, type VersionedRepository } from '@assay/store';

export interface VersionDiff<T> {
  id: string;
  from: number;
  to: number;
  changes: DiffEntry[];
  before: VersionedRecord<T>;
  after: VersionedRecord<T>;
}

/** Versions `from` and `to` of `id` and the paths that differ; NotFoundError naming a version that does not exist. */
export async function versionDiff<T>(repo: VersionedRepository<T>, id: string, from: number, to: number): Promise<VersionDiff<T>> {
  const [before, after] = await Promise.all([repo.get(id, from), repo.get(id, to)]);
  if (!before) throw new NotFoundError(`${id} has no version ${from}`);
  if (!after) throw new NotFoundError(`${id} has no version ${to}`);
  return { id, from, to, changes: jsonDiff(before.document, after.document), before, after };
}

/**
 * A document as YAML people read and diff: keys sorted (two versions written in a different key
 * order show no difference), dates as timestamps, no line folding; a tombstone is empty.
 */
export function documentYaml(document: unknown): string {
  if (document === null || document === undefined) return '';
  return stringify(document, { sortMapEntries: true, lineWidth: 0, customTags: ['timestamp'] });
}

export interface DiffLine {
  /** ' ' the same in both, '-' only in the old text, '+' only in the new. */
  op: ' ' | '-' | '+';
  text: string;
}

/** Above this many lines on a side the diff is not aligned (its table would be too large): all old lines out, all new lines in. */
const MAX_ALIGNED_LINES = 3000;

/** A line diff of two texts (longest common subsequence), in order. */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b === '' ? [] : b.replace(/\n$/, '').split('\n');
  // The common head and tail need no table (most versions change a few lines).
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail);
  const ys = y.slice(head, y.length - tail);
  const out: DiffLine[] = x.slice(0, head).map((text) => ({ op: ' ', text }));
  if (xs.length > MAX_ALIGNED_LINES || ys.length > MAX_ALIGNED_LINES) {
    out.push(...xs.map((text) => ({ op: '-' as const, text })), ...ys.map((text) => ({ op: '+' as const, text })));
  } else {
    // lcs[i][j]: the longest common subsequence of xs[i..] and ys[j..].
    const w = ys.length + 1;
    const lcs = new Uint32Array((xs.length + 1) * w);
    for (let i = xs.length - 1; i >= 0; i--) {
      for (let j = ys.length - 1; j >= 0; j--) {
        lcs[i * w + j] = xs[i] === ys[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < xs.length || j < ys.length) {
      if (i < xs.length && j < ys.length && xs[i] === ys[j]) {
        out.push({ op: ' ', text: xs[i]! });
        i++;
        j++;
      } else if (i < xs.length && (j === ys.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        // Removed lines before added ones, as diff(1) shows them.
        out.push({ op: '-', text: xs[i]! });
        i++;
      } else {
        out.push({ op: '+', text: ys[j]! });
        j++;
      }
    }
  }
  out.push(...x.slice(x.length - tail).map((text) => ({ op: ' ' as const, text })));
  return out;
}
