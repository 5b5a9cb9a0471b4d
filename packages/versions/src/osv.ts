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

function eventOrder(x: OsvEvent, y: OsvEvent, scheme: VersionScheme): number {
  if (isStart(x) || isStart(y)) return isStart(x) === isStart(y) ? 0 : isStart(x) ? -1 : 1;
  return scheme.compare(eventVersion(x), eventVersion(y));
}

function sortEvents(events: readonly OsvEvent[], scheme: VersionScheme): readonly OsvEvent[] {
  // Records list their events in order nearly always (`introduced: 0` first): a list already in
  // order is used as it is (what a stable sort would give) and only an unordered one is copied.
  // Checking costs the comparisons sorting an ordered list would make.
  for (let i = 1; i < events.length; i++) {
    if (eventOrder(events[i - 1] as OsvEvent, events[i] as OsvEvent, scheme) > 0) {
      return [...events].sort((x, y) => eventOrder(x, y, scheme));
    }
  }
  return events;
}

/** Whether `version` falls in one range's events (GIT ranges never match by version). */
export function inRange(version: string, range: OsvRange, scheme: VersionScheme): boolean {
  if (range.type === 'GIT') return false;
  // a SEMVER range is SemVer 2.0.0 whatever the ecosystem's own scheme is
  const s = range.type === 'SEMVER' ? semver : scheme;
  const events = sortEvents(range.events, s);
  // limit events bound the range from above: the version must be below one of them ('*' = no bound)
  // Indexed loops here and below: matching calls this for every candidate of a cold match, before
  // it is optimised, when for…of still allocates an iterator result per step.
  let limited = false;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as OsvEvent;
    if (e.limit === undefined) continue;
    if (e.limit === '*' || s.compare(version, e.limit) < 0) {
      limited = false;
      break;
    }
    limited = true;
  }
  if (limited) return false;
  let affected = false;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as OsvEvent;
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
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as OsvRange;
    if (r.type === 'GIT') continue;
    if (r.type === 'ECOSYSTEM' && !scheme) throw new UnknownEcosystemError(ecosystem);
    if (inRange(version, r, scheme ?? semver)) return true;
  }
  return false;
}
