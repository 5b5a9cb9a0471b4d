// Version ranges for required/forbidden packages: `>=1.2.3 <2`, `<1.1.1w`, `=2.0.0`, `1.x`.
// Ecosystem-aware comparison comes from @assay/versions when it offers `compareVersions`
// (dpkg, rpm, apk… order versions differently from SemVer); until then, and for ranges that
// need SemVer's own syntax (`^`, `~`, `x`), the `semver` package.
import semver from 'semver';

type Compare = (ecosystem: string, a: string, b: string) => number;

let ecosystemCompare: Compare | undefined;
try {
  const mod = (await import('@assay/versions')) as { compareVersions?: Compare };
  if (typeof mod.compareVersions === 'function') ecosystemCompare = mod.compareVersions;
} catch {
  // Not there yet: SemVer only.
}

const COMPARATOR = /^(<=|>=|<|>|=|==|!=)?\s*(\S+)$/;

function compare(ecosystem: string, a: string, b: string): number | undefined {
  if (ecosystemCompare) {
    try {
      return Math.sign(ecosystemCompare(ecosystem, a, b));
    } catch {
      // Unknown ecosystem or unparsable version: fall through to SemVer.
    }
  }
  const ca = semver.coerce(a, { loose: true });
  const cb = semver.coerce(b, { loose: true });
  if (!ca || !cb) return a === b ? 0 : undefined;
  return semver.compare(ca, cb);
}

/**
 * Whether `version` lies within `range` for `ecosystem` (the package type). A range is
 * `||`-separated alternatives of space-separated comparators, every comparator must hold.
 * Undefined when the version cannot be compared (the caller decides what that means).
 */
export function satisfiesRange(ecosystem: string, version: string, range: string): boolean | undefined {
  const trimmed = range.trim();
  if (trimmed === '' || trimmed === '*') return true;
  // SemVer sugar (^, ~, x ranges, hyphen ranges): only SemVer can read it.
  if (/[\^~]|\.x\b|\.\*|\s-\s/.test(trimmed)) {
    const v = semver.coerce(version, { loose: true });
    return v ? semver.satisfies(v, trimmed, { loose: true }) : undefined;
  }
  let unknown = false;
  for (const alternative of trimmed.split('||')) {
    let all = true;
    for (const part of alternative.trim().split(/\s+/).filter(Boolean)) {
      const m = COMPARATOR.exec(part);
      if (!m) return undefined;
      const c = compare(ecosystem, version, m[2]!);
      if (c === undefined) {
        unknown = true;
        all = false;
        break;
      }
      const op = m[1] ?? '=';
      const ok =
        op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '!=' ? c !== 0 : c === 0;
      if (!ok) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return unknown ? undefined : false;
}
