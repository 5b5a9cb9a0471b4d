// One OSV record checked and reduced to what the database stores. A record that does not hold
// together (no id, ranges without events, events of unknown kind) is refused with a short reason
// the build counts; it never throws. Fields the matcher does not need (details, credits, GIT
// ranges, which name commits rather than versions) are dropped to keep the file small.
import { isObject } from '@assay/kit';
import { ecosystemKey, normalisePackageName, splitEcosystem } from './ecosystems.ts';
import { type SeverityResult, severityFromOsv, severityFromText } from './severity.ts';

export interface StoredRange {
  type: string;
  events: Record<string, string>[];
}

export interface AffectedRow {
  ecosystem: string;
  base: string;
  release: string;
  key: string;
  name: string;
  ranges: StoredRange[];
  versions: string[];
  severity: SeverityResult;
}

export interface VulnRow {
  id: string;
  modified: string;
  published: string | undefined;
  withdrawn: string | undefined;
  summary: string | undefined;
  severityJson: string | undefined;
  dbSeverity: string | undefined;
  aliases: string[];
  upstream: string[];
  references: string[];
  affected: AffectedRow[];
}

export type ParseResult = { ok: true; record: VulnRow } | { ok: false; reason: string };

const EVENT_KINDS = new Set(['introduced', 'fixed', 'last_affected', 'limit']);
const VERSION_RANGES = new Set(['ECOSYSTEM', 'SEMVER']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function stringArray(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return undefined;
  return v as string[];
}

function parseRanges(v: unknown): StoredRange[] | string {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return 'bad ranges: not an array';
  const out: StoredRange[] = [];
  for (const r of v) {
    if (!isObject(r) || typeof r.type !== 'string') return 'bad ranges: range without type';
    if (!Array.isArray(r.events) || r.events.length === 0) return 'bad ranges: range without events';
    const events: Record<string, string>[] = [];
    for (const e of r.events) {
      if (!isObject(e)) return 'bad ranges: event is not an object';
      const keys = Object.keys(e);
      const kind = keys[0];
      if (keys.length !== 1 || kind === undefined || !EVENT_KINDS.has(kind) || typeof e[kind] !== 'string' || e[kind] === '') {
        return 'bad ranges: event must have exactly one of introduced/fixed/last_affected/limit';
      }
      events.push({ [kind]: e[kind] as string });
    }
    if (!VERSION_RANGES.has(r.type)) continue; // GIT: commit hashes, nothing to compare a version with
    if (!events.some((e) => 'introduced' in e)) return 'bad ranges: no introduced event';
    out.push({ type: r.type, events });
  }
  return out;
}

function referenceUrls(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const refs = v.filter(isObject).filter((r) => typeof r.url === 'string');
  // Advisories first: the first reference becomes the finding's advisory link.
  refs.sort((a, b) => Number(b.type === 'ADVISORY') - Number(a.type === 'ADVISORY'));
  return refs.slice(0, 8).map((r) => r.url as string);
}

/** Severity of one affected entry: its own CVSS, the record's, then textual ratings. */
function affectedSeverity(
  a: Record<string, unknown>,
  recordSeverity: SeverityResult | undefined,
  dbSeverity: string | undefined,
): SeverityResult {
  const own = severityFromOsv(a.severity);
  if (own?.cvss !== undefined) return own;
  if (recordSeverity?.cvss !== undefined) return recordSeverity;
  if (own) return own;
  if (recordSeverity) return recordSeverity;
  const db = severityFromText(dbSeverity);
  if (db) return { severity: db };
  const eco = isObject(a.ecosystem_specific) ? a.ecosystem_specific : {};
  const dbs = isObject(a.database_specific) ? a.database_specific : {};
  const text =
    severityFromText(eco.urgency) ?? severityFromText(eco.severity) ?? severityFromText(dbs.severity) ?? severityFromText(dbs.urgency);
  return { severity: text ?? 'unknown' };
}

/** Checks and reduces one parsed JSON value. */
export function parseOsvRecord(json: unknown): ParseResult {
  if (!isObject(json)) return { ok: false, reason: 'not an object' };
  const id = str(json.id);
  if (!id) return { ok: false, reason: 'missing id' };
  if (json.modified !== undefined && typeof json.modified !== 'string') return { ok: false, reason: 'bad modified' };
  const allAliases = stringArray(json.aliases);
  if (!allAliases) return { ok: false, reason: 'bad aliases' };
  // Reports bound ids to 100 characters; an alias beyond that is not an id anyone looks up.
  const aliases = allAliases.filter((a) => a.length > 0 && a.length <= 100);
  const upstream = stringArray(json.upstream) ?? [];
  if (json.affected !== undefined && json.affected !== null && !Array.isArray(json.affected))
    return { ok: false, reason: 'bad affected: not an array' };
  const dbSpecific = isObject(json.database_specific) ? json.database_specific : {};
  const dbSeverity = str(dbSpecific.severity);
  const recordSeverity = severityFromOsv(json.severity);
  const affected: AffectedRow[] = [];
  for (const a of (json.affected as unknown[] | undefined) ?? []) {
    if (!isObject(a)) return { ok: false, reason: 'bad affected: entry is not an object' };
    const ranges = parseRanges(a.ranges);
    if (typeof ranges === 'string') return { ok: false, reason: ranges };
    const versions = stringArray(a.versions);
    if (!versions) return { ok: false, reason: 'bad affected: versions is not a list of strings' };
    // An entry without a package (GIT-only, upstream source) cannot match an installed package.
    if (!isObject(a.package)) continue;
    const ecosystem = str(a.package.ecosystem);
    const name = str(a.package.name);
    if (!ecosystem || !name) return { ok: false, reason: 'bad affected: package without ecosystem or name' };
    if (ranges.length === 0 && versions.length === 0) continue;
    const { base, release } = splitEcosystem(ecosystem);
    affected.push({
      ecosystem,
      base,
      release,
      key: ecosystemKey(ecosystem),
      name: normalisePackageName(base, name),
      ranges,
      versions,
      severity: affectedSeverity(a, recordSeverity, dbSeverity),
    });
  }
  const summary = str(json.summary) ?? firstLine(json.details);
  return {
    ok: true,
    record: {
      id,
      modified: str(json.modified) ?? '',
      published: str(json.published),
      withdrawn: str(json.withdrawn),
      summary,
      severityJson: Array.isArray(json.severity) && json.severity.length ? JSON.stringify(json.severity) : undefined,
      dbSeverity,
      aliases,
      upstream,
      references: referenceUrls(json.references),
      affected,
    },
  };
}

function firstLine(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const line = v.trim().split('\n')[0]?.trim();
  return line ? line.slice(0, 300) : undefined;
}
