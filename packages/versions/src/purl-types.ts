// Package types (purl types, as the inventory records them) → the OSV ecosystem of each: the one
// map every caller uses, for advisory lookup (vulndb) and for version ordering (package checks,
// the policy packages control).
import { schemeFor } from './ecosystem.ts';

/** Language package type → OSV ecosystem (the ecosystem is the same whatever the image's OS). */
export const LANGUAGE_ECOSYSTEMS: Readonly<Record<string, string>> = {
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
  swift: 'SwiftURL',
  cran: 'CRAN',
  hackage: 'Hackage',
};

/**
 * OS package type → an ecosystem with its package manager's version ordering. Advisory lookup
 * takes the distribution from the image's OS instead (Ubuntu orders like Debian, Rocky like
 * Red Hat), so this map only says how versions compare.
 */
const OS_PACKAGE_ORDERING: Readonly<Record<string, string>> = {
  deb: 'Debian',
  rpm: 'Red Hat',
  apk: 'Alpine',
};

const own = (map: Readonly<Record<string, string>>, key: string): string | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

/** The OSV ecosystem of a language package type; undefined for OS packages and unknown types. */
export function languageEcosystem(type: string): string | undefined {
  return own(LANGUAGE_ECOSYSTEMS, type);
}

/** The ecosystem whose version ordering applies to a package type; undefined when none does. */
export function ecosystemForType(type: string): string | undefined {
  const eco = own(LANGUAGE_ECOSYSTEMS, type) ?? own(OS_PACKAGE_ORDERING, type);
  return eco !== undefined && schemeFor(eco) ? eco : undefined;
}
