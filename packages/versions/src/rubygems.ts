// RubyGems versions (Gem::Version) through @renovatebot/ruby-semver.
import { Version } from '@renovatebot/ruby-semver/dist/ruby/version.js';
import { sign, type VersionScheme } from './types.ts';

function parse(v: string): Version | null {
  return Version.isCorrect(v) ? Version.create(v) : null;
}

// Malformed versions are not Gem::Versions at all; they sort after every valid one (as osv.dev
// does), among themselves by string.
export function compareRubygems(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) return sign(pa.compare(pb));
  if (!pa && !pb) return a === b ? 0 : a < b ? -1 : 1;
  return pa ? -1 : 1;
}

export const rubygems: VersionScheme = {
  name: 'rubygems',
  compare: compareRubygems,
  isValid: (v) => Version.isCorrect(v),
};
