// The verdicts as a list people browse (GET /api/v1/verdicts, `assay images`): an in-memory
// summary of every verdict in the bucket, kept current by a watch, newest evaluation first.
//
// Each entry is a summary, not the verdict: the evidence (the bulk of a verdict) is dropped at
// decode time and only the first reasons' messages are kept, cut short, so memory grows with the
// number of images and not with what their scans found. A page is answered from memory alone
// (no bucket read per request), and only `limit + 1` summaries are held while a page is chosen.
import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { mirrorBucket, type ConnectionState, type KvMirror } from '@assay/bus';
import { judgedUnder } from './kube-status.ts';
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
}

export interface VerdictFilter {
  compliance?: ComplianceName;
  /** A glob over `registry/repository`. */
  repository?: string;
  /** A substring of the reference (case-insensitive). */
  q?: string;
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
  };
}

/** Sort position: newest evaluation first, then by digest (stable for equal times). */
interface Position {
  t: number;
  d: string;
}
const positionOf = (s: VerdictSummary): Position => ({ t: s.evaluatedAt ? Date.parse(s.evaluatedAt) : 0, d: s.digest });
/** Negative when `a` is listed before `b`. */
const compare = (a: Position, b: Position) => (a.t !== b.t ? b.t - a.t : a.d < b.d ? -1 : a.d > b.d ? 1 : 0);

export function encodeContinue(p: Position): string {
  return Buffer.from(JSON.stringify([p.t, p.d])).toString('base64url');
}

/** The position a `continue` token names; a clear error for anything else. */
export function decodeContinue(token: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Number.isFinite(parsed[0]) || typeof parsed[1] !== 'string') {
    throw new InvalidContinueError();
  }
  return { t: parsed[0] as number, d: parsed[1] as string };
}

export class InvalidContinueError extends Error {
  readonly statusCode = 400;
  constructor() {
    super('invalid continue token: pass the one the previous page returned');
  }
}

function matches(s: VerdictSummary, f: VerdictFilter, q: string | undefined): boolean {
  if (f.compliance && s.compliance !== f.compliance) return false;
  if (f.repository && !globMatch(f.repository, `${s.image.registry}/${s.image.repository}`)) return false;
  if (q && !s.reference.toLowerCase().includes(q)) return false;
  return true;
}

/**
 * One page of `summaries` in list order, after the `continue` position. Keeps at most
 * `limit + 1` candidates (a sorted buffer), whatever the number of verdicts.
 */
export function pageOf(
  summaries: Iterable<VerdictSummary>,
  filter: VerdictFilter,
  limit: number = DEFAULT_LIMIT,
  cont?: string,
): VerdictPage {
  const n = Math.min(Math.max(1, Math.trunc(limit)), MAX_LIMIT);
  const after = cont !== undefined ? decodeContinue(cont) : undefined;
  const q = filter.q?.toLowerCase();
  const buf: { p: Position; s: VerdictSummary }[] = [];
  for (const s of summaries) {
    const p = positionOf(s);
    if (after && compare(p, after) <= 0) continue;
    if (buf.length > n && compare(p, buf[buf.length - 1]!.p) >= 0) continue;
    if (!matches(s, filter, q)) continue;
    // Binary insertion into the sorted buffer, dropping what falls past limit + 1.
    let lo = 0;
    let hi = buf.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(buf[mid]!.p, p) < 0) lo = mid + 1;
      else hi = mid;
    }
    buf.splice(lo, 0, { p, s });
    if (buf.length > n + 1) buf.pop();
  }
  const items = buf.slice(0, n);
  const more = buf.length > n;
  return { items: items.map((x) => x.s), ...(more ? { continue: encodeContinue(items[items.length - 1]!.p) } : {}) };
}

export interface VerdictListOptions {
  js: JetStreamClient;
  connection?: ConnectionState;
  logger: Logger;
}

/** How one verdict judges the image under each policy it cites (kube-status.ts judgedUnder). */
export type Judgements = ReadonlyMap<string, 'compliant' | 'nonCompliant'>;

interface Mirrored {
  summary: VerdictSummary;
  judged: Judgements;
}

function mirrored(v: Verdict, digestFallback: string): Mirrored {
  const judged = new Map<string, 'compliant' | 'nonCompliant'>();
  for (const p of v.policies) {
    const j = judgedUnder(v, p.id);
    if (j) judged.set(p.id, j);
  }
  return { summary: summarizeVerdict(v, digestFallback), judged };
}

/**
 * The verdicts bucket, mirrored as summaries (the list) and per-policy judgements (the image
 * counts in policy resources' status): one watch of the bucket serves both.
 */
export class VerdictList {
  readonly #o: VerdictListOptions;
  #mirror: KvMirror<Mirrored> | undefined;
  readonly #listeners = new Set<() => void>();

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
      onChange: () => {
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

  /** One page, newest evaluation first. */
  list(filter: VerdictFilter, limit?: number, cont?: string): VerdictPage {
    const source = this.#mirror
      ? (function* (m: KvMirror<Mirrored>) {
          for (const [, e] of m.entries()) yield e.summary;
        })(this.#mirror)
      : [];
    return pageOf(source, filter, limit, cont);
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
