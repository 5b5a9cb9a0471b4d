// Matching an inventory against an open database (Clair's split: the inventory is an input, so
// a new database re-matches stored inventories without a re-pull). One indexed query per
// (ecosystem key, package name) decides which advisories affect a package; only theirs are then
// read (match-reader.ts). What is read is cached, so the thousands of packages an image shares
// with the previous one cost a map lookup.
import type { OsInfo, Package } from '@assay/inventory';
import { compareVersions, isAffected, type OsvEvent, type OsvRange } from '@assay/versions';
import { DatabaseSync } from 'node:sqlite';
import { displayVersion, type Lookup, lookupsUnder, osEcosystemKeys } from './ecosystems.ts';
import { type Epss, type Intel, IntelReader, type Kev, type OsEol } from './intel.ts';
import { type Advisory, type Candidate, MatchReader } from './match-reader.ts';
import { readMetadata } from './metadata.ts';
import type { DbMetadata } from './schema.ts';
import { SEVERITIES, type Severity, severityRank } from './severity.ts';

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
  /** Cached (ecosystem, package) lookups, and cached advisories; default 50,000 of each. */
  cacheSize?: number;
}

/** The smallest `fixed` event strictly above the installed version. */
export function smallestFixAbove(ranges: readonly OsvRange[], version: string, ecosystem: string): string | undefined {
  let best: string | undefined;
  // Indexed loops: a cold match runs this before it is optimised, when for…of allocates.
  for (let i = 0; i < ranges.length; i++) {
    const events = (ranges[i] as OsvRange).events;
    for (let j = 0; j < events.length; j++) {
      const fixed = (events[j] as OsvEvent).fixed;
      if (fixed === undefined || compareVersions(ecosystem, fixed, version) <= 0) continue;
      if (best === undefined || compareVersions(ecosystem, fixed, best) < 0) best = fixed;
    }
  }
  return best;
}

const NO_INTEL: Intel = Object.freeze({});

const byId = (a: Finding, b: Finding) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Most severe first, then by id; equal ones in the order given (a stable sort by both keys). By
 * severity in buckets, then each bucket sorted by id: thousands of findings, and a comparator
 * looking both severities up on every comparison was a tenth of a warm match.
 */
function bySeverityThenId(findings: Finding[]): Finding[] {
  // severityRank is -1 for a severity outside the scale: such findings come first, as before.
  const buckets: Finding[][] = [[], ...SEVERITIES.map(() => [])];
  for (const f of findings) (buckets[severityRank(f.severity) + 1] as Finding[]).push(f);
  return buckets.flatMap((b) => b.sort(byId));
}

/** A candidate that affects a package, before its advisory is read. */
interface Hit {
  /** Position in the inventory: findings are de-duplicated per package entry. */
  index: number;
  pkg: Package;
  candidate: Candidate;
  fixedVersion: string | undefined;
  /** Set from the cache at once, else after the advisories missing from it are read. */
  advisory: Advisory | undefined;
}

class Matcher implements VulnDb {
  readonly file: string;
  readonly metadata: DbMetadata;
  readonly #db: DatabaseSync;
  readonly #reader: MatchReader;
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
    this.#intel = new IntelReader(this.#db);
    this.#reader = new MatchReader(this.#db, opts.cacheSize ?? 50_000);
  }

  get version(): string {
    return this.metadata.version;
  }

  /** The candidates of one lookup that affect the package, appended to `hits`. */
  #hitsOf(index: number, pkg: Package, l: Lookup, hits: Hit[], missing: Set<number>): void {
    for (const key of l.keys) {
      for (const candidate of this.#reader.candidates(key, l.name)) {
        let affected: boolean;
        try {
          affected = isAffected(l.version, candidate, l.scheme);
        } catch {
          continue; // an ecosystem without a version scheme: nothing can be decided
        }
        if (!affected) continue;
        const advisory = this.#reader.cachedAdvisory(candidate.vid);
        if (!advisory) missing.add(candidate.vid);
        hits.push({ index, pkg, candidate, fixedVersion: smallestFixAbove(candidate.ranges, l.version, l.scheme), advisory });
      }
    }
  }

  #finding(hit: Hit, a: Advisory): Finding {
    const { pkg, candidate: c, fixedVersion } = hit;
    a.intel ??= this.#intel.empty ? NO_INTEL : this.#intel.lookup([a.id, ...a.aliases, ...a.upstream]);
    return {
      id: a.id,
      aliases: a.aliases,
      packageName: pkg.name,
      packageVersion: displayVersion(pkg),
      packageType: pkg.type,
      ...(pkg.purl ? { purl: pkg.purl } : {}),
      ...(fixedVersion ? { fixedVersion } : {}),
      ...(fixedVersion && a.published ? { fixPublishedAt: a.published } : {}),
      severity: c.severity,
      ...(c.cvss !== undefined ? { cvss: c.cvss } : {}),
      ...(c.cvssVector ? { cvssVector: c.cvssVector } : {}),
      ...(a.title ? { title: a.title } : {}),
      source: `osv:${c.ecosystem}`,
      references: a.references,
      ...(pkg.layerDigest ? { layerDigest: pkg.layerDigest } : {}),
      ...(pkg.path ? { path: pkg.path } : {}),
      ...(a.intel.epss ? { epss: a.intel.epss } : {}),
      ...(a.intel.kev ? { kev: a.intel.kev } : {}),
    };
  }

  match(packages: readonly Package[], os?: OsInfo): Finding[] {
    // 1. Which stored entries affect which package: the affected rows alone decide it.
    const hits: Hit[] = [];
    const missing = new Set<number>();
    let osKeys: readonly string[] | undefined;
    const keysOfOs = () => (osKeys ??= osEcosystemKeys(os));
    const lookups = packages.map((pkg) => lookupsUnder(pkg, keysOfOs));
    const pairs: [string, string][] = [];
    for (const ls of lookups) for (const l of ls) for (const key of l.keys) if (!this.#reader.has(key, l.name)) pairs.push([key, l.name]);
    if (pairs.length > 0) this.#reader.prefetch(pairs);
    packages.forEach((pkg, i) => {
      for (const l of lookups[i] as Lookup[]) this.#hitsOf(i, pkg, l, hits, missing);
    });
    // 2. The advisories of those entries not read before, read together.
    if (missing.size > 0) {
      const read = this.#reader.readAdvisories(missing);
      for (const hit of hits) hit.advisory ??= read.get(hit.candidate.vid);
    }
    // 3. One finding per (package, advisory), in the order the hits came.
    const out: Finding[] = [];
    const seen = new Map<string, Finding>();
    let current = -1;
    for (const hit of hits) {
      if (hit.index !== current) {
        current = hit.index;
        seen.clear();
      }
      const a = hit.advisory;
      if (!a || a.withdrawn) continue;
      const prior = seen.get(a.id);
      if (prior) {
        // The same advisory through a second lookup (rpm binary and source): keep one finding.
        if (!prior.fixedVersion && hit.fixedVersion) {
          prior.fixedVersion = hit.fixedVersion;
          if (a.published) prior.fixPublishedAt = a.published;
        }
        continue;
      }
      const f = this.#finding(hit, a);
      seen.set(a.id, f);
      out.push(f);
    }
    return bySeverityThenId(out);
  }

  intel(ids: readonly string[]): Intel {
    return this.#intel.lookup(ids);
  }

  osEol(os: OsInfo | undefined): OsEol | undefined {
    return this.#intel.osEol(os);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
    this.#reader.clear();
  }
}

/** Opens a database file read-only; throws InvalidDatabaseError when it is not one of ours. */
export function openDatabase(file: string, opts: OpenOptions = {}): VulnDb {
  return new Matcher(file, opts);
}
