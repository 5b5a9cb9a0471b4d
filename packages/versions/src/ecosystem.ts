// Which version scheme each OSV ecosystem uses (https://ossf.github.io/osv-schema/#affectedpackage-field).
import { apk } from './apk.ts';
import { composer } from './composer.ts';
import { dpkg } from './dpkg.ts';
import { golang } from './golang.ts';
import { maven } from './maven.ts';
import { nuget } from './nuget.ts';
import { pep440 } from './pep440.ts';
import { rpm } from './rpm.ts';
import { rubygems } from './rubygems.ts';
import { semver } from './semver.ts';
import { UnknownEcosystemError, type Ecosystem, type VersionScheme } from './types.ts';

const BY_ECOSYSTEM: ReadonlyMap<string, VersionScheme> = new Map<string, VersionScheme>([
  ['debian', dpkg],
  ['ubuntu', dpkg],
  ['red hat', rpm],
  ['rocky linux', rpm],
  ['almalinux', rpm],
  ['suse', rpm],
  ['opensuse', rpm],
  ['mageia', rpm],
  ['openeuler', rpm],
  ['photon os', rpm],
  ['azure linux', rpm],
  ['mariner', rpm],
  ['alpine', apk],
  ['wolfi', apk],
  ['chainguard', apk],
  ['alpaquita', apk],
  ['bellsoft hardened containers', apk],
  ['minimos', apk],
  // SemVer-versioned ecosystems (Hex, Pub, Bitnami, SwiftURL publish SemVer too)
  ['npm', semver],
  ['crates.io', semver],
  ['hex', semver],
  ['pub', semver],
  ['bitnami', semver],
  ['swifturl', semver],
  ['pypi', pep440],
  ['go', golang],
  ['maven', maven],
  ['rubygems', rubygems],
  ['nuget', nuget],
  ['packagist', composer],
]);

/** 'Debian:12' → 'Debian', 'Alpine:v3.20' → 'Alpine'. */
export function baseEcosystem(ecosystem: Ecosystem): string {
  const i = ecosystem.indexOf(':');
  return (i >= 0 ? ecosystem.slice(0, i) : ecosystem).trim();
}

export function schemeFor(ecosystem: Ecosystem): VersionScheme | undefined {
  return BY_ECOSYSTEM.get(baseEcosystem(ecosystem).toLowerCase());
}

/** Compare two versions of a package in the given ecosystem; throws UnknownEcosystemError. */
export function compareVersions(ecosystem: Ecosystem, a: string, b: string): number {
  const scheme = schemeFor(ecosystem);
  if (!scheme) throw new UnknownEcosystemError(ecosystem);
  return scheme.compare(a, b);
}

// Red Hat-family OSV records write epochs into their versions ('1:5.1-7'); other rpm
// ecosystems (openEuler, SUSE, ...) leave them out, so an installed epoch must not be added there.
const EPOCH_IN_OSV = new Set(['red hat', 'almalinux', 'rocky linux']);

/**
 * The version string to evaluate against OSV data for an installed package whose epoch is kept
 * apart from its version (as rpm headers do): '1:5.1-6' for Red Hat with epoch 1, '5.1-6' for
 * openEuler or with epoch 0/absent.
 */
export function osvVersion(ecosystem: Ecosystem, version: string, epoch?: number): string {
  if (!epoch || version.includes(':')) return version;
  return EPOCH_IN_OSV.has(baseEcosystem(ecosystem).toLowerCase()) ? `${epoch}:${version}` : version;
}
