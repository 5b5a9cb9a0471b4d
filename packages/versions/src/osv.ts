// OSV affected-range evaluation, per the OSV schema's "Evaluation" section:
// https://ossf.github.io/osv-schema/#evaluation
import { schemeFor } from './ecosystem.ts';
import { semver } from './semver.ts';
import { UnknownEcosystemError, type Ecosystem, type VersionScheme } from './types.ts';

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  events: OsvEvent[];
}

export interface OsvAffected {
  ranges?: OsvRange[];
  versions?: string[];
}

function eventVersion(e: OsvEvent): string {
  return e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
}

// introduced '0' means "from the very beginning": it sorts before every version.
function isStart(e: OsvEvent): boolean {
  return e.introduced === '0';
}

function sortEvents(events: readonly OsvEvent[], scheme: VersionScheme): OsvEvent[] {
  return [...events].sort((x, y) => {
    if (isStart(x) || isStart(y)) return isStart(x) === isStart(y) ? 0 : isStart(x) ? -1 : 1;
    return scheme.compare(eventVersion(x), eventVersion(y));
  });
}

/** Whether `version` falls in one range's events (GIT ranges never match by version). */
export function inRange(version: string, range: OsvRange, scheme: VersionScheme): boolean {
  if (range.type === 'GIT') return false;
  // a SEMVER range is SemVer 2.0.0 whatever the ecosystem's own scheme is
  const s = range.type === 'SEMVER' ? semver : scheme;
  const events = sortEvents(range.events, s);
  // limit events bound the range from above: the version must be below one of them ('*' = no bound)
  const limits = events.filter((e) => e.limit !== undefined);
  if (limits.length > 0 && !limits.some((e) => e.limit === '*' || s.compare(version, e.limit!) < 0)) return false;
  let affected = false;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (isStart(e) || s.compare(version, e.introduced) >= 0) affected = true;
    } else if (e.fixed !== undefined) {
      if (s.compare(version, e.fixed) >= 0) affected = false;
    } else if (e.last_affected !== undefined) {
      if (s.compare(version, e.last_affected) > 0) affected = false;
    }
  }
  return affected;
}

/**
 * Is `version` affected by one OSV `affected[]` entry? True when it is listed in `versions`
 * (exact string) or falls in any ECOSYSTEM/SEMVER range. An empty version means "unknown" and
 * counts as affected, as osv-scalibr does, so a package without a version is never silently passed.
 * Throws UnknownEcosystemError when an ECOSYSTEM range must be evaluated for an ecosystem
 * without a scheme.
 */
export function isAffected(version: string, affected: OsvAffected, ecosystem: Ecosystem): boolean {
  if (version === '') return true;
  if (affected.versions?.includes(version)) return true;
  const ranges = affected.ranges ?? [];
  if (ranges.length === 0) return false;
  const scheme = schemeFor(ecosystem);
  for (const r of ranges) {
    if (r.type === 'GIT') continue;
    if (r.type === 'ECOSYSTEM' && !scheme) throw new UnknownEcosystemError(ecosystem);
    if (inRange(version, r, scheme ?? semver)) return true;
  }
  return false;
}
