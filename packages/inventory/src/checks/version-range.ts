// Simple version ranges for package checks: space-separated comparators that must all hold
// (`>=1.2.0 <2`), alternatives joined by `||`, a bare version meaning equality. Versions are
// compared with the package ecosystem's own ordering (@assay/versions), never as strings.
import { compareVersions, schemeFor } from '@assay/versions';
import type { Package } from '../analyzer.ts';

type Op = '<' | '<=' | '>' | '>=' | '=' | '!=';
export interface Comparator {
  readonly op: Op;
  readonly version: string;
}
/** Alternatives (any may hold), each a conjunction of comparators. */
export type VersionRange = readonly (readonly Comparator[])[];

const COMPARATOR_RE = /^(<=|>=|<|>|==|=|!=)?\s*(\S+)$/;

/** Parses a range; throws with a reason when it is not one. */
export function parseVersionRange(text: string): VersionRange {
  const alternatives = text.split('||').map((alt) => alt.trim());
  if (alternatives.some((a) => a === '')) throw new Error(`empty alternative in "${text}"`);
  return alternatives.map((alt) => {
    // Allow `>= 1.2` (a space after the operator) by gluing operators to what follows.
    const tokens = alt.replace(/(<=|>=|<|>|==|=|!=)\s+/g, '$1').split(/\s+/);
    return tokens.map((tok) => {
      const m = COMPARATOR_RE.exec(tok);
      if (!m || /[<>=!]/.test(m[2] ?? '')) throw new Error(`"${tok}" is not a comparator like >=1.2.0`);
      const op = (m[1] === '==' || m[1] === undefined ? '=' : m[1]) as Op;
      return { op, version: m[2] ?? '' };
    });
  });
}

/** Package type (purl type) → the ecosystem whose version ordering applies. */
const ECOSYSTEM_BY_TYPE: Readonly<Record<string, string>> = {
  deb: 'Debian',
  rpm: 'Red Hat',
  apk: 'Alpine',
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  go: 'Go',
  maven: 'Maven',
  gem: 'RubyGems',
  cargo: 'crates.io',
  composer: 'Packagist',
  nuget: 'NuGet',
  hex: 'Hex',
  pub: 'Pub',
};

/** The ecosystem used to compare versions of a package type; undefined when none applies. */
export function ecosystemForType(type: string): string | undefined {
  const eco = ECOSYSTEM_BY_TYPE[type];
  return eco !== undefined && schemeFor(eco) ? eco : undefined;
}

/** The version as its ecosystem orders it: epoch and release put back for deb and rpm. */
export function comparableVersion(p: Pick<Package, 'type' | 'version' | 'epoch' | 'release'>): string {
  if (p.type !== 'deb' && p.type !== 'rpm') return p.version;
  const epoch = p.epoch && !p.version.includes(':') ? `${p.epoch}:` : '';
  return `${epoch}${p.version}${p.release ? `-${p.release}` : ''}`;
}

/** Whether `version` lies in the range, under `ecosystem`'s ordering. */
export function inVersionRange(ecosystem: string, version: string, range: VersionRange): boolean {
  return range.some((all) =>
    all.every(({ op, version: bound }) => {
      const c = compareVersions(ecosystem, version, bound);
      switch (op) {
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
      }
    }),
  );
}
