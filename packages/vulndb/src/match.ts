// Matching an inventory against an open database (Clair's split: the inventory is an input, so
// a new database re-matches stored inventories without a re-pull). One indexed query per
// (ecosystem key, package name); the rows with their parsed ranges are cached, so the thousands
// of packages an image shares with the previous one cost a map lookup.
import type { OsInfo, Package } from '@assay/inventory';
import { compareVersions, isAffected, type OsvRange } from '@assay/versions';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { displayVersion, type Lookup, lookupsFor } from './ecosystems.ts';
import { type Epss, type Intel, IntelReader, type Kev, type OsEol } from './intel.ts';
import { readMetadata } from './metadata.ts';
import type { DbMetadata } from './schema.ts';
import { type Severity, severityRank } from './severity.ts';

/** One advisory applying to one installed package (the report's Vulnerability shape). */
export interface Finding {
  id: string;
  aliases: string[];
  packageName: string;
  packageVersion: string;
  packageType: string;
  purl?: string;
  /** Smallest fixed version above the installed one; absent when no fix is known. */
  fixedVersion?: string;
  /**
   * When the fix became available (ISO-8601), for a policy's grace period; only with a
   * `fixedVersion`. OSV has no per-fix date, so this is the advisory record's `published` time:
   * distribution advisories (DSA/DLA/GHSA…) are published with their fix, and for CVE-tracker
   * records whose fix came later it errs early, i.e. toward the stricter side (the grace ends
   * sooner). Absent when the record has no (parseable) `published`: then no grace applies.
   */
  fixPublishedAt?: string;
  severity: Severity;
  cvss?: number;
  cvssVector?: string;
  title?: string;
  /** Where the advisory came from: `osv:<ecosystem>`. */
  source: string;
  /** Advisory link first, then NVD pages of the CVE ids. */
  references: string[];
  layerDigest?: string;
  path?: string;
  /** FIRST's EPSS for the advisory's CVE (the highest, when it names several). */
  epss?: Epss;
  /** The advisory's CVE in CISA's Known Exploited Vulnerabilities catalogue. */
  kev?: Kev;
}

export interface VulnDb {
  readonly file: string;
  readonly version: string;
  readonly metadata: DbMetadata;
  match(packages: readonly Package[], os?: OsInfo): Finding[];
  /** EPSS and KEV for an advisory named by these ids (CVE ids among them, or ids named after a CVE). */
  intel(ids: readonly string[]): Intel;
  /** The end of security support of the OS release, when the database's table knows it. */
  osEol(os: OsInfo | undefined): OsEol | undefined;
  close(): void;
}

export interface OpenOptions {
  /** Cached (ecosystem, package) lookups; default 50,000. */
  cacheSize?: number;
}

interface Candidate {
  id: string;
  ecosystem: string;
  ranges: OsvRange[];
  versions: string[];
  severity: Severity;
  cvss: number | undefined;
  cvssVector: string | undefined;
  title: string | undefined;
  aliases: string[];
  references: string[];
  /** The record's `published`, normalised to ISO-8601 (see Finding.fixPublishedAt). */
  published: string | undefined;
  /** Every id the record goes by (its own, aliases, upstream): where its CVEs are found. */
  ids: string[];
  /** EPSS/KEV, looked up the first time the candidate matches (most never do), then kept with it. */
  intel?: Intel;
}

interface Row {
  id: string;
  ecosystem: string;
  ranges: string | null;
  versions: string | null;
  severity: string;
  cvss: number | null;
  cvss_vector: string | null;
  summary: string | null;
  published: string | null;
  aliases: string | null;
  upstream: string | null;
  refs: string | null;
}

const parseList = (s: string | null): string[] => (s ? (JSON.parse(s) as string[]) : []);

const NVD = /^https?:\/\/nvd\.nist\.gov\//;

/** The record's own advisory page: GHSA's, else its first non-NVD reference, else osv.dev. */
function advisoryUrl(id: string, refs: readonly string[]): string {
  if (id.startsWith('GHSA-')) return `https://github.com/advisories/${id}`;
  return refs.find((r) => !NVD.test(r)) ?? `https://osv.dev/vulnerability/${id}`;
}

function referencesOf(id: string, aliases: readonly string[], upstream: readonly string[], refs: readonly string[]): string[] {
  const out = [advisoryUrl(id, refs)];
  for (const x of [id, ...aliases, ...upstream]) if (/^CVE-\d{4}-\d+$/.test(x)) out.push(`https://nvd.nist.gov/vuln/detail/${x}`);
  return [...new Set(out)];
}

/** A stored timestamp as ISO-8601, so equal instants compare equal (re-matching compares them as text). */
function isoOf(s: string | null): string | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function toCandidate(r: Row): Candidate {
  const aliases = parseList(r.aliases);
  const upstream = parseList(r.upstream);
  return {
    id: r.id,
    ecosystem: r.ecosystem,
    ranges: r.ranges ? (JSON.parse(r.ranges) as OsvRange[]) : [],
    versions: parseList(r.versions),
    severity: r.severity as Severity,
    cvss: r.cvss ?? undefined,
    cvssVector: r.cvss_vector ?? undefined,
    title: r.summary ? r.summary.slice(0, 2000) : undefined,
    aliases,
    references: referencesOf(r.id, aliases, upstream, parseList(r.refs)),
    published: isoOf(r.published),
    ids: [r.id, ...aliases, ...upstream],
  };
}

/** The smallest `fixed` event strictly above the installed version. */
export function smallestFixAbove(ranges: readonly OsvRange[], version: string, ecosystem: string): string | undefined {
  let best: string | undefined;
  for (const r of ranges) {
    for (const e of r.events) {
      const fixed = e.fixed;
      if (fixed === undefined || compareVersions(ecosystem, fixed, version) <= 0) continue;
      if (best === undefined || compareVersions(ecosystem, fixed, best) < 0) best = fixed;
    }
  }
  return best;
}

class Matcher implements VulnDb {
  readonly file: string;
  readonly metadata: DbMetadata;
  readonly #db: DatabaseSync;
  readonly #query: StatementSync;
  readonly #cache = new Map<string, Candidate[]>();
  readonly #cacheSize: number;
  readonly #intel: IntelReader;

  constructor(file: string, opts: OpenOptions) {
    this.file = file;
    this.#db = new DatabaseSync(file, { readOnly: true });
    try {
      this.metadata = readMetadata(this.#db);
    } catch (err) {
      this.#db.close();
      throw err;
    }
    this.#cacheSize = opts.cacheSize ?? 50_000;
    this.#intel = new IntelReader(this.#db);
    this.#query = this.#db.prepare(
      // `published` has been in the layout since schema 1, so every database this reader opens has it.
      `SELECT v.id, a.ecosystem, a.ranges, a.versions, a.severity, a.cvss, a.cvss_vector, v.summary, v.published, v.aliases, v.upstream, v.refs
         FROM affected a JOIN vulnerabilities v ON v.vid = a.vid
        WHERE a.eco_key = ? AND a.name = ? AND v.withdrawn IS NULL`,
    );
  }

  get version(): string {
    return this.metadata.version;
  }

  #candidates(key: string, name: string): Candidate[] {
    const k = `${key}\0${name}`;
    let hit = this.#cache.get(k);
    if (hit) return hit;
    hit = (this.#query.all(key, name) as unknown as Row[]).map(toCandidate);
    if (this.#cache.size >= this.#cacheSize) {
      // Oldest first (Map keeps insertion order): drop a tenth rather than one per miss.
      let n = Math.ceil(this.#cacheSize / 10);
      for (const old of this.#cache.keys()) {
        if (n-- <= 0) break;
        this.#cache.delete(old);
      }
    }
    this.#cache.set(k, hit);
    return hit;
  }

  #matchLookup(pkg: Package, l: Lookup, seen: Map<string, Finding>, out: Finding[]): void {
    for (const key of l.keys) {
      for (const c of this.#candidates(key, l.name)) {
        let affected: boolean;
        try {
          affected = isAffected(l.version, { ranges: c.ranges, versions: c.versions }, l.scheme);
        } catch {
          continue; // an ecosystem without a version scheme: nothing can be decided
        }
        if (!affected) continue;
        const fixedVersion = smallestFixAbove(c.ranges, l.version, l.scheme);
        const prior = seen.get(c.id);
        if (prior) {
          // The same advisory through a second lookup (rpm binary and source): keep one finding.
          if (!prior.fixedVersion && fixedVersion) {
            prior.fixedVersion = fixedVersion;
            if (c.published) prior.fixPublishedAt = c.published;
          }
          continue;
        }
        c.intel ??= this.#intel.lookup(c.ids);
        const f: Finding = {
          id: c.id,
          aliases: c.aliases,
          packageName: pkg.name,
          packageVersion: displayVersion(pkg),
          packageType: pkg.type,
          ...(pkg.purl ? { purl: pkg.purl } : {}),
          ...(fixedVersion ? { fixedVersion } : {}),
          ...(fixedVersion && c.published ? { fixPublishedAt: c.published } : {}),
          severity: c.severity,
          ...(c.cvss !== undefined ? { cvss: c.cvss } : {}),
          ...(c.cvssVector ? { cvssVector: c.cvssVector } : {}),
          ...(c.title ? { title: c.title } : {}),
          source: `osv:${c.ecosystem}`,
          references: c.references,
          ...(pkg.layerDigest ? { layerDigest: pkg.layerDigest } : {}),
          ...(pkg.path ? { path: pkg.path } : {}),
          ...(c.intel.epss ? { epss: c.intel.epss } : {}),
          ...(c.intel.kev ? { kev: c.intel.kev } : {}),
        };
        seen.set(c.id, f);
        out.push(f);
      }
    }
  }

  match(packages: readonly Package[], os?: OsInfo): Finding[] {
    const out: Finding[] = [];
    for (const pkg of packages) {
      const seen = new Map<string, Finding>();
      for (const l of lookupsFor(pkg, os)) this.#matchLookup(pkg, l, seen, out);
    }
    return out.sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  intel(ids: readonly string[]): Intel {
    return this.#intel.lookup(ids);
  }

  osEol(os: OsInfo | undefined): OsEol | undefined {
    return this.#intel.osEol(os);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
    this.#cache.clear();
  }
}

/** Opens a database file read-only; throws InvalidDatabaseError when it is not one of ours. */
export function openDatabase(file: string, opts: OpenOptions = {}): VulnDb {
  return new Matcher(file, opts);
}
