// What matching reads from the database file, in two steps so that a cold match touches as
// little of the file as it can. A package's `affected` rows (clustered on (eco_key, name): one
// B-tree descent, adjacent rows, a few pages) carry all that decides whether it is affected.
// The advisory's own row in `vulnerabilities` (title, aliases, references, publication) is only
// needed for the candidates that do affect a package, and it sits on a page of its own: those
// rows are read afterwards, all in one statement, in vid order. Reading them for every candidate
// was most of a cold match (a page read and five JSON.parse calls per row, for the ~half of the
// rows that never match). Both steps keep what they read, so a warm match reads nothing.
import type { OsvRange } from '@assay/versions';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Intel } from './intel.ts';
import type { Severity } from './severity.ts';

/** One `affected[]` entry of an advisory under one (ecosystem key, name): what decides a match. */
export interface Candidate {
  vid: number;
  ecosystem: string;
  ranges: OsvRange[];
  versions: string[];
  severity: Severity;
  cvss: number | undefined;
  cvssVector: string | undefined;
}

/** The advisory a matching candidate belongs to: what its findings show. */
export interface Advisory {
  id: string;
  /** Withdrawn advisories are never reported (builds store none of their affected rows). */
  withdrawn: boolean;
  title: string | undefined;
  aliases: string[];
  references: string[];
  /** The record's `published`, normalised to ISO-8601 (see Finding.fixPublishedAt). */
  published: string | undefined;
  /** Upstream ids (Debian/Ubuntu records' CVE): with `id` and `aliases`, where its CVEs are found. */
  upstream: string[];
  /** EPSS/KEV, looked up the first time the advisory matches, then kept with it. */
  intel?: Intel;
}

// Rows come as arrays (no object with named properties per row), in the statements' column order.
type AffectedRow = [
  vid: number,
  ecosystem: string,
  ranges: string | null,
  versions: string | null,
  severity: string,
  cvss: number | null,
  cvssVector: string | null,
];
type VulnerabilityRow = [
  vid: number,
  id: string,
  summary: string | null,
  published: string | null,
  withdrawn: string | null,
  aliases: string | null,
  upstream: string | null,
  refs: string | null,
];

const parseList = (s: string | null): string[] => (s ? (JSON.parse(s) as string[]) : []);

/** A candidate's `versions` when it lists none (most): shared, never written to. */
const NO_VERSIONS: string[] = Object.freeze([]) as unknown as string[];

const NVD = /^https?:\/\/nvd\.nist\.gov\//;
const CVE_ID = /^CVE-\d{4}-\d+$/;

/** The record's own advisory page: GHSA's, else its first non-NVD reference, else osv.dev. */
function advisoryUrl(id: string, refs: readonly string[]): string {
  if (id.startsWith('GHSA-')) return `https://github.com/advisories/${id}`;
  return refs.find((r) => !NVD.test(r)) ?? `https://osv.dev/vulnerability/${id}`;
}

/** Advisory link first, then the NVD page of each CVE id, each once. */
function referencesOf(id: string, aliases: readonly string[], upstream: readonly string[], refs: readonly string[]): string[] {
  const out = [advisoryUrl(id, refs)];
  // Plain loops, no spread or Set: one call per matching advisory, thousands in a cold match.
  const add = (x: string) => {
    if (!CVE_ID.test(x)) return;
    const url = `https://nvd.nist.gov/vuln/detail/${x}`;
    if (!out.includes(url)) out.push(url);
  };
  add(id);
  for (let i = 0; i < aliases.length; i++) add(aliases[i] as string);
  for (let i = 0; i < upstream.length; i++) add(upstream[i] as string);
  return out;
}

const CANONICAL_UTC = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{3})?Z$/;

/** A stored timestamp as ISO-8601, so equal instants compare equal (re-matching compares them as text). */
function isoOf(s: string | null): string | undefined {
  if (!s) return undefined;
  // Most records' times are already ISO-8601 in UTC: only the milliseconds may be missing. Fields
  // that Date would roll over (day 29-31 of a month, hour 24) take the general path below.
  if (CANONICAL_UTC.test(s)) return s.length === 24 ? s : `${s.slice(0, 19)}.000Z`;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function toCandidate([vid, ecosystem, ranges, versions, severity, cvss, cvssVector]: AffectedRow): Candidate {
  return {
    vid,
    ecosystem,
    ranges: ranges ? (JSON.parse(ranges) as OsvRange[]) : [],
    versions: versions ? (JSON.parse(versions) as string[]) : NO_VERSIONS,
    severity: severity as Severity,
    cvss: cvss ?? undefined,
    cvssVector: cvssVector ?? undefined,
  };
}

function toAdvisory([, id, summary, published, withdrawn, aliasesJson, upstreamJson, refs]: VulnerabilityRow): Advisory {
  const aliases = parseList(aliasesJson);
  const upstream = parseList(upstreamJson);
  return {
    id,
    withdrawn: withdrawn !== null,
    title: summary ? summary.slice(0, 2000) : undefined,
    aliases,
    references: referencesOf(id, aliases, upstream, parseList(refs)),
    published: isoOf(published),
    upstream,
  };
}

/** Map insertion order is age: past `max` entries the oldest tenth goes (not one per miss). */
function remember<K, V>(cache: Map<K, V>, max: number, key: K, value: V): void {
  if (cache.size >= max) {
    let n = Math.ceil(max / 10);
    for (const old of cache.keys()) {
      if (n-- <= 0) break;
      cache.delete(old);
    }
  }
  cache.set(key, value);
}

// Pairs (or vids) per statement. node:sqlite hands a statement's rows over all at once: in
// chunks, the rows of one are garbage before the next is read, so a scavenge during a cold match
// copies a few hundred rows, not all of them (and a huge inventory never holds all its rows).
const CHUNK = 256;

export class MatchReader {
  readonly #affected: StatementSync;
  readonly #affectedBatch: StatementSync;
  readonly #vulnerabilities: StatementSync;
  readonly #candidates = new Map<string, Candidate[]>();
  readonly #advisories = new Map<number, Advisory>();
  readonly #cacheSize: number;

  constructor(db: DatabaseSync, cacheSize: number) {
    this.#cacheSize = cacheSize;
    // The primary key's prefix: rows come in (vid, seq) order, as the former join gave them.
    this.#affected = db.prepare(
      'SELECT vid, ecosystem, ranges, versions, severity, cvss, cvss_vector FROM affected WHERE eco_key = ? AND name = ?',
    );
    // The same for many (key, name) pairs at once, each row followed by its pair's position in
    // the JSON array: one statement instead of one per package (a third less work in SQLite and
    // node:sqlite for a 2,000-package inventory).
    this.#affectedBatch = db.prepare(
      `SELECT a.vid, a.ecosystem, a.ranges, a.versions, a.severity, a.cvss, a.cvss_vector, j.key
         FROM json_each(?) j JOIN affected a ON a.eco_key = j.value ->> 0 AND a.name = j.value ->> 1`,
    );
    // One statement for a whole match: SQLite sorts the ids and reads the rows in rowid order.
    // `published` and `withdrawn` have been in the layout since schema 1.
    this.#vulnerabilities = db.prepare(
      'SELECT vid, id, summary, published, withdrawn, aliases, upstream, refs FROM vulnerabilities WHERE vid IN (SELECT value FROM json_each(?))',
    );
    this.#affected.setReturnArrays(true);
    this.#affectedBatch.setReturnArrays(true);
    this.#vulnerabilities.setReturnArrays(true);
  }

  /** The affected entries stored under (ecosystem key, name), in (vid, seq) order. */
  candidates(key: string, name: string): Candidate[] {
    const k = `${key}\0${name}`;
    let hit = this.#candidates.get(k);
    if (hit) return hit;
    hit = (this.#affected.all(key, name) as unknown as AffectedRow[]).map(toCandidate);
    remember(this.#candidates, this.#cacheSize, k, hit);
    return hit;
  }

  /** Whether the candidates of (ecosystem key, name) are cached. */
  has(key: string, name: string): boolean {
    return this.#candidates.has(`${key}\0${name}`);
  }

  /**
   * Reads and caches the candidates of every (ecosystem key, name) pair not cached yet, in one
   * statement; `candidates()` then answers from the cache.
   */
  prefetch(pairs: readonly (readonly [key: string, name: string])[]): void {
    // Position of each wanted pair's cache key; a pair listed twice is read once.
    const wanted = new Map<string, number>();
    const params: (readonly [string, string])[] = [];
    for (const pair of pairs) {
      const k = `${pair[0]}\0${pair[1]}`;
      if (this.#candidates.has(k) || wanted.has(k)) continue;
      wanted.set(k, params.length);
      params.push(pair);
    }
    if (params.length === 0) return;
    const found: Candidate[][] = params.map(() => []);
    for (let from = 0; from < params.length; from += CHUNK) {
      const rows = this.#affectedBatch.all(JSON.stringify(params.slice(from, from + CHUNK))) as unknown as [...AffectedRow, number][];
      for (const row of rows) (found[from + row[7]] as Candidate[]).push(toCandidate(row as unknown as AffectedRow));
    }
    // A pair without rows is cached too (as no candidates): it is not asked again.
    for (const [k, i] of wanted) remember(this.#candidates, this.#cacheSize, k, found[i] as Candidate[]);
  }

  /** The advisory with this vid when it has been read before. */
  cachedAdvisory(vid: number): Advisory | undefined {
    return this.#advisories.get(vid);
  }

  /** Reads the advisories with these vids (a vid not in the file is absent from the answer). */
  readAdvisories(vids: Iterable<number>): Map<number, Advisory> {
    const out = new Map<number, Advisory>();
    const all = [...vids];
    for (let from = 0; from < all.length; from += CHUNK) {
      const rows = this.#vulnerabilities.all(JSON.stringify(all.slice(from, from + CHUNK))) as unknown as VulnerabilityRow[];
      for (const row of rows) {
        const a = toAdvisory(row);
        out.set(row[0], a);
        remember(this.#advisories, this.#cacheSize, row[0], a);
      }
    }
    return out;
  }

  clear(): void {
    this.#candidates.clear();
    this.#advisories.clear();
  }
}
