// @assay/versions: version comparison for every ecosystem Assay matches OSV advisories in.
export { UnknownEcosystemError, type Ecosystem, type VersionScheme } from './types.ts';
export { dpkg, compareDpkg, parseDpkg, verrevcmp } from './dpkg.ts';
export { rpm, compareRpm, rpmvercmp, parseEvr } from './rpm.ts';
export { apk, compareApk, apkMatch } from './apk.ts';
export { semver, parseLooseSemver } from './semver.ts';
export { pep440 } from './pep440.ts';
export { maven, canonicalMaven } from './maven.ts';
export { rubygems } from './rubygems.ts';
export { golang } from './golang.ts';
export { nuget } from './nuget.ts';
export { composer, phpVersionCompare } from './composer.ts';
export { schemeFor, compareVersions, baseEcosystem, osvVersion } from './ecosystem.ts';
export { isAffected, inRange, type OsvRange, type OsvEvent, type OsvAffected } from './osv.ts';
export { parseVersionRange, rangeIncludes, satisfiesRange, type Comparator, type RangeOp, type VersionRange } from './range.ts';
export { ecosystemForType, languageEcosystem, LANGUAGE_ECOSYSTEMS } from './purl-types.ts';
export { comparableVersion, type VersionedPackage } from './package-version.ts';

import { semver } from './semver.ts';
/** Cargo (crates.io) versions are SemVer. */
export const cargo = semver;
