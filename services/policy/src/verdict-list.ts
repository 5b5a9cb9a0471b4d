// The verdicts as a list people browse (GET /api/v1/verdicts, `assay images`): an in-memory
// summary of every verdict in the bucket, kept current by a watch, newest evaluation first.
//
// Each entry is a summary, not the verdict: the evidence (the bulk of a verdict) is dropped at
// decode time and only the first reasons' messages (cut short), the failing controls and the
// first vulnerability ids are kept, so memory grows with the number of images and not with what
// their scans found. A page is answered from memory alone (no bucket read per request), from the
// entries kept in list order (verdict-order.ts). The console's counts (count, stats) are computed
// from the same memory, once per change.
import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { mirrorBucket, type ConnectionState, type KvMirror } from '@assay/bus';
import { judgedUnder } from './kube-status.ts';
import { decodeContinue, encodeContinue, OrderedEntries, type Position } from './verdict-order.ts';
import { Buckets, Compliance, digestBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import { globMatch } from '@assay/runtime-policy';
import type { Logger } from '@assay/telemetry';
import type { JetStreamClient } from 'nats';

/** The compliance values the API names (the enum's lower-case words). */
export const COMPLIANCE_NAMES = ['compliant', 'non_compliant', 'pending', 'error'] as const;
export type ComplianceName = (typeof COMPLIANCE_NAMES)[number] | 'unspecified';

/** Reasons whose messages a summary keeps, and how long each message may be. */
export const SUMMARY_REASONS = 3;
export const SUMMARY_MESSAGE_CHARS = 200;
/** Vulnerability ids a summary keeps (what a search by CVE and the top CVEs see). */
export const SUMMARY_VULNERABILITY_IDS = 20;
/** Entries of each top list in stats(). */
export const TOP_ENTRIES = 10;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface VerdictSummary {
  digest: string;
  image: { registry: string; repository: string; tag: string; digest: string; mediaType: string };
  /** `registry/repository[:tag]@digest`: what `q` searches. */
  reference: string;
  compliance: ComplianceName;
  evaluatedAt?: string;
  scannedAt?: string;
  complianceSince?: string;
  policies: { id: string; version: number }[];
  reasonCount: number;
  /** The first reasons (policy, control, message cut to SUMMARY_MESSAGE_CHARS). */
  reasons: { policy: string; control: string; message: string; auditOnly: boolean }[];
  /** Platform manifests of an index digest. */
  platforms: number;
  /** The distinct controls of its blocking (not audit-only) reasons, in reason order. */
  controls: string[];
  /**
   * Distinct vulnerability ids of its blocking `vulnerabilities` reasons (their evidence items,
   * so most severe first), at most SUMMARY_VULNERABILITY_IDS.
   */
  vulnerabilityIds: string[];
}

export interface VerdictFilter {
  compliance?: ComplianceName;
  /** A glob over `registry/repository`. */
  repository?: string;
  /** A substring of the reference, or of one of its vulnerability ids (case-insensitive). */
  q?: string;
  /** Only images with a blocking reason of this control. */
  control?: string;
}

export interface VerdictPage {
  items: VerdictSummary[];
  /** Opaque: pass as `continue` for the next page; absent on the last. */
  continue?: string;
}

const COMPLIANCE_BY_ENUM: Record<number, ComplianceName> = {
  [Compliance.UNSPECIFIED]: 'unspecified',
  [Compliance.COMPLIANT]: 'compliant',
  [Compliance.NON_COMPLIANT]: 'non_compliant',
  [Compliance.PENDING]: 'pending',
  [Compliance.ERROR]: 'error',
};

const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : undefined);
const cut = (s: string) => (s.length > SUMMARY_MESSAGE_CHARS ? `${s.slice(0, SUMMARY_MESSAGE_CHARS - 1)}…` : s);

/** The summary of a verdict (what the list shows; the evidence is left out). */
export function summarizeVerdict(v: Verdict, digestFallback = ''): VerdictSummary {
  const img = v.image;
  const digest = img?.digest || digestFallback;
  const name = img ? `${img.registry}/${img.repository}` : '';
  const reference = `${name}${img?.tag ? `:${img.tag}` : ''}@${digest}`;
  const evaluatedAt = iso(v.evaluatedAt);
  const scannedAt = iso(v.scannedAt);
  const complianceSince = iso(v.complianceSince);
  return {
    digest,
    image: {
      registry: img?.registry ?? '',
      repository: img?.repository ?? '',
      tag: img?.tag ?? '',
      digest,
      mediaType: img?.mediaType ?? '',
    },
    reference,
    compliance: COMPLIANCE_BY_ENUM[v.compliance] ?? 'unspecified',
    ...(evaluatedAt ? { evaluatedAt } : {}),
    ...(scannedAt ? { scannedAt } : {}),
    ...(complianceSince ? { complianceSince } : {}),
    policies: v.policies.map((p) => ({ id: p.id, version: p.version })),
    reasonCount: v.reasons.length,
    reasons: v.reasons
      .slice(0, SUMMARY_REASONS)
      .map((r) => ({ policy: r.policy, control: r.control, message: cut(r.message), auditOnly: r.auditOnly })),
    platforms: v.platforms.length,
    ...blockingFindings(v),
  };
}

/** The controls and vulnerability ids of a verdict's blocking reasons (bounded). */
function blockingFindings(v: Verdict): { controls: string[]; vulnerabilityIds: string[] } {
  const controls = new Set<string>();
  const ids = new Set<string>();
  for (const r of v.reasons) {
    if (r.auditOnly) continue;
    controls.add(r.control);
    if (r.control !== 'vulnerabilities') continue;
    for (const e of r.evidence) {
      if (ids.size >= SUMMARY_VULNERABILITY_IDS) break;
      if (e.item) ids.add(e.item);
    }
  }
  return { controls: [...controls], vulnerabilityIds: [...ids] };
}

/** What `q` is looked for in: the reference and the vulnerability ids, lower-cased, NUL-separated. */
function searchTextOf(s: VerdictSummary): string {
  return [s.reference, ...s.vulnerabilityIds].join('\u0000').toLowerCase();
}

const positionOf = (s: VerdictSummary): Position => ({ t: s.evaluatedAt ? Date.parse(s.evaluatedAt) : 0, d: s.digest });

/** A summary with the text `q` searches (computed once per verdict in the mirror). */
interface Searchable {
  summary: VerdictSummary;
  search: string;
  /** Its place in the list (parsing the time per entry per request would cost more than the rest). */
  position: Position;
  /** `registry/repository`, what the repository glob is matched against. */
  name: string;
}

/**
 * The filter as a predicate: `q` lower-cased once, and the glob tested once per repository name
 * (many images share a repository; a glob test is what a full pass over 50,000 spends most on).
 */
function matcher(f: VerdictFilter): (e: Searchable) => boolean {
  const q = f.q?.toLowerCase();
  const repo = f.repository;
  const globbed = new Map<string, boolean>();
  const inRepository = (name: string) => {
    let m = globbed.get(name);
    if (m === undefined) globbed.set(name, (m = globMatch(repo!, name)));
    return m;
  };
  return (e) => {
    const s = e.summary;
    if (f.compliance && s.compliance !== f.compliance) return false;
    if (f.control && !s.controls.includes(f.control)) return false;
    if (repo && !inRepository(e.name)) return false;
    // A NUL never appears in what people search for: it only separates the searched texts.
    if (q && (q.includes('\u0000') || !e.search.includes(q))) return false;
    return true;
  };
}

const searchableOf = (summary: VerdictSummary): Searchable => ({
  summary,
  search: searchTextOf(summary),
  position: positionOf(summary),
  name: `${summary.image.registry}/${summary.image.repository}`,
});

const clampLimit = (limit: number) => Math.min(Math.max(1, Math.trunc(limit)), MAX_LIMIT);

export type TopEntry<K extends string> = { [P in K]: string } & { images: number };

export interface VerdictStats {
  total: number;
  byCompliance: Record<ComplianceName, number>;
  /** The controls failing the most non-compliant images, most first (TOP_ENTRIES). */
  topControls: TopEntry<'control'>[];
  /** The vulnerability ids in the most non-compliant images, most first (TOP_ENTRIES). */
  topVulnerabilities: TopEntry<'id'>[];
}

function top<K extends string>(counts: Map<string, number>, key: K): TopEntry<K>[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, TOP_ENTRIES)
    .map(([k, images]) => ({ [key]: k, images }) as TopEntry<K>);
}

/** The counts of the overview, over every summary. */
export function statsOf(summaries: Iterable<VerdictSummary>): VerdictStats {
  const byCompliance: Record<ComplianceName, number> = { compliant: 0, non_compliant: 0, pending: 0, error: 0, unspecified: 0 };
  const controls = new Map<string, number>();
  const vulns = new Map<string, number>();
  let total = 0;
  for (const s of summaries) {
    total++;
    byCompliance[s.compliance]++;
    if (s.compliance !== 'non_compliant') continue;
    for (const c of s.controls) controls.set(c, (controls.get(c) ?? 0) + 1);
    for (const id of s.vulnerabilityIds) vulns.set(id, (vulns.get(id) ?? 0) + 1);
  }
  return { total, byCompliance, topControls: top(controls, 'control'), topVulnerabilities: top(vulns, 'id') };
}

export { decodeContinue, encodeContinue, InvalidContinueError } from './verdict-order.ts';

export interface VerdictListOptions {
  js: JetStreamClient;
  connection?: ConnectionState;
  logger: Logger;
}

/** How one verdict judges the image under each policy it cites (kube-status.ts judgedUnder). */
export type Judgements = ReadonlyMap<string, 'compliant' | 'nonCompliant'>;

interface Mirrored extends Searchable {
  judged: Judgements;
}

function mirrored(v: Verdict, digestFallback: string): Mirrored {
  const judged = new Map<string, 'compliant' | 'nonCompliant'>();
  for (const p of v.policies) {
    const j = judgedUnder(v, p.id);
    if (j) judged.set(p.id, j);
  }
  return { ...searchableOf(summarizeVerdict(v, digestFallback)), judged };
}

/**
 * The verdicts bucket, mirrored as summaries (the list) and per-policy judgements (the image
 * counts in policy resources' status): one watch of the bucket serves both.
 */
export class VerdictList {
  readonly #o: VerdictListOptions;
  #mirror: KvMirror<Mirrored> | undefined;
  readonly #listeners = new Set<() => void>();
  /** The entries in list order: built at the first page asked for, then kept in step with each change. */
  #ordered: OrderedEntries<Mirrored> | undefined;
  /** stats() as of the last change; dropped at the next one. */
  #stats: VerdictStats | undefined;
  /** count() by filter as of the last change (paging through one filter counts it once). */
  readonly #counts = new Map<string, number>();

  constructor(o: VerdictListOptions) {
    this.#o = o;
  }

  /** Loads every verdict and follows the bucket; resolves once the load is whole. */
  async start(): Promise<void> {
    this.#mirror = await mirrorBucket<Mirrored>({
      js: this.#o.js,
      bucket: Buckets.verdicts.name,
      // The key is `sha256.<hex>`: the digest when a verdict has no image (never expected).
      decode: (b, key) => mirrored(fromBinary(VerdictSchema, b), key.replace('.', ':')),
      onChange: (c) => {
        if (this.#ordered) {
          if (c.previous) this.#ordered.remove(c.previous);
          if (c.op === 'put') this.#ordered.insert(c.value);
        }
        this.#stats = undefined;
        this.#counts.clear();
        for (const l of this.#listeners) l();
      },
      ...(this.#o.connection ? { connection: this.#o.connection } : {}),
      logger: this.#o.logger,
    });
    await this.#mirror.synced;
  }

  get size(): number {
    return this.#mirror?.size ?? 0;
  }

  #order(): OrderedEntries<Mirrored> {
    if (this.#ordered) return this.#ordered;
    const entries = (function* (m: KvMirror<Mirrored> | undefined) {
      if (m) for (const [, e] of m.entries()) yield e;
    })(this.#mirror);
    // Before start() there is nothing to keep in step with: not kept.
    const ordered = new OrderedEntries(entries);
    if (this.#mirror) this.#ordered = ordered;
    return ordered;
  }

  /** One page, newest evaluation first. */
  list(filter: VerdictFilter, limit: number = DEFAULT_LIMIT, cont?: string): VerdictPage {
    const n = clampLimit(limit);
    const after = cont !== undefined ? decodeContinue(cont) : undefined;
    const found = this.#order().after(after, matcher(filter), n + 1);
    const items = found.slice(0, n);
    return {
      items: items.map((e) => e.summary),
      ...(found.length > n ? { continue: encodeContinue(items[items.length - 1]!.position) } : {}),
    };
  }

  /**
   * The continue token of the page before the one `cont` starts, or `{}` when that is the first
   * page. The page before ends at the position `cont` names: it is the `limit` matches at or
   * before it, and its token is the position of the match before those.
   */
  previous(filter: VerdictFilter, limit: number, cont: string): { continue?: string } {
    const n = clampLimit(limit);
    const found = this.#order().atOrBefore(decodeContinue(cont), matcher(filter), n + 1);
    return found.length > n ? { continue: encodeContinue(found[0]!.position) } : {};
  }

  /** How many verdicts match `filter` (cached by filter until a verdict changes). */
  count(filter: VerdictFilter): number {
    const key = JSON.stringify([filter.compliance, filter.repository, filter.q, filter.control]);
    let n = this.#counts.get(key);
    if (n === undefined) {
      const match = matcher(filter);
      n = 0;
      for (const e of this.#order()) if (match(e)) n++;
      // Bounded: a burst of distinct searches between two changes must not grow it for long.
      if (this.#counts.size >= 100) this.#counts.clear();
      this.#counts.set(key, n);
    }
    return n;
  }

  /** Counts by compliance and the top failing controls and vulnerabilities; cached until a verdict changes. */
  stats(): VerdictStats {
    this.#stats ??= statsOf(
      (function* (entries: Iterable<Mirrored>) {
        for (const e of entries) yield e.summary;
      })(this.#order()),
    );
    return this.#stats;
  }

  /** How the digest's current verdict judges it under `policyId`; undefined when not judged under it. */
  judgedUnder(digest: string, policyId: string): 'compliant' | 'nonCompliant' | undefined {
    return this.#mirror?.get(digestBucketKey(digest))?.judged.get(policyId);
  }

  /** Calls `listener` on every verdict change; returns how to stop. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    await this.#mirror?.stop();
  }
}
