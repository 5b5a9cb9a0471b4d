// Version ranges: the one language of package rules (the policy packages control, custom package
// checks).
//   - alternatives joined by `||`, any of which may hold;
//   - each a space-separated list of comparators that must all hold (`>=1.2.0 <2`, `!=3.0.1`); a
//     bare version means equality, and `>= 1.2` (a space after the operator) reads as `>=1.2`;
//   - SemVer's shorthands (`^1.2`, `~1.2`, x-ranges `1.x` and `1.2.*`, hyphen ranges `1.2 - 1.4`)
//     are SemVer's own: read by SemVer rules, with the version coerced to SemVer. `*` holds always.
// Plain comparators use the ecosystem's own ordering (dpkg, rpm, apk, PEP 440…), never string or
// SemVer order: `1.0~rc1` sorts before `1.0` in Debian, `2.31` equals `2.31.0` in PyPI. With no
// ordering for the ecosystem (a package type no scheme covers) a comparator cannot be decided:
// the answer is undefined and the caller says what that means (refusing is the safe side).
import semver from 'semver';
import { schemeFor } from './ecosystem.ts';

/** `semver`: `version` holds a SemVer shorthand range, read by SemVer rules. */
export type RangeOp = '<' | '<=' | '>' | '>=' | '=' | '!=' | 'semver';
export interface Comparator {
  readonly op: RangeOp;
  readonly version: string;
}
/** Alternatives (any may hold), each a conjunction of comparators. */
export type VersionRange = readonly (readonly Comparator[])[];

const COMPARATOR_RE = /^(<=|>=|<|>|==|=|!=)?\s*(\S+)$/;
const HYPHEN_RE = /^(\S+)\s+-\s+(\S+)$/;
/** `1.x`, `1.2.*`, `x`: a version with a wildcard part. */
const X_RANGE_RE = /^v?(?:\d+|[xX*])(?:\.(?:\d+|[xX*])){0,2}$/;

function semverComparator(text: string): Comparator {
  if (semver.validRange(text, { loose: true }) === null) throw new Error(`"${text}" is not a SemVer range`);
  return { op: 'semver', version: text };
}

function comparator(tok: string): Comparator | undefined {
  if (tok === '*') return undefined;
  if (tok.startsWith('^') || tok.startsWith('~') || (X_RANGE_RE.test(tok) && /[xX*]/.test(tok))) return semverComparator(tok);
  const m = COMPARATOR_RE.exec(tok);
  if (!m || /[<>=!]/.test(m[2] ?? '')) throw new Error(`"${tok}" is not a comparator like >=1.2.0`);
  const op = (m[1] === '==' || m[1] === undefined ? '=' : m[1]) as RangeOp;
  return { op, version: m[2] ?? '' };
}

/** Parses a range; throws with a reason when it is not one. */
export function parseVersionRange(text: string): VersionRange {
  const alternatives = text.split('||').map((alt) => alt.trim());
  if (alternatives.some((a) => a === '')) throw new Error(`empty alternative in "${text}"`);
  return alternatives.map((alt) => {
    if (HYPHEN_RE.test(alt)) return [semverComparator(alt)];
    // Operators glued to what follows, so `>= 1.2` is one comparator.
    const tokens = alt.replace(/(<=|>=|<|>|==|=|!=)\s+/g, '$1').split(/\s+/);
    return tokens.map(comparator).filter((c): c is Comparator => c !== undefined);
  });
}

function holds(c: Comparator, ecosystem: string | undefined, version: string): boolean | undefined {
  if (c.op === 'semver') {
    const v = semver.coerce(version, { loose: true });
    return v ? semver.satisfies(v, c.version, { loose: true }) : undefined;
  }
  const scheme = ecosystem === undefined ? undefined : schemeFor(ecosystem);
  if (!scheme) return undefined;
  const order = scheme.compare(version, c.version);
  switch (c.op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
  }
}

/**
 * Whether `version` lies in `range` under `ecosystem`'s ordering: true when an alternative holds,
 * false when every one fails, undefined when none holds but some could not be decided.
 */
export function rangeIncludes(ecosystem: string | undefined, version: string, range: VersionRange): boolean | undefined {
  let undecided = false;
  for (const all of range) {
    let alternative: boolean | undefined = true;
    for (const c of all) {
      const h = holds(c, ecosystem, version);
      if (h === false) {
        alternative = false;
        break;
      }
      if (h === undefined) alternative = undefined;
    }
    if (alternative === true) return true;
    if (alternative === undefined) undecided = true;
  }
  return undecided ? undefined : false;
}

/** `rangeIncludes` for a range as written; undefined too when the text is not a range. */
export function satisfiesRange(ecosystem: string | undefined, version: string, range: string): boolean | undefined {
  let parsed: VersionRange;
  try {
    parsed = parseVersionRange(range);
  } catch {
    return undefined;
  }
  return rangeIncludes(ecosystem, version, parsed);
}
