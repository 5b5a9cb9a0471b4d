// OSV ecosystems on both sides of a match. At build time every OSV ecosystem string is reduced to
// a lookup key (`Debian:12`, `Ubuntu:22.04`, `Alpine:v3.20`, `Red Hat:9`, `npm`); at match time a
// package (with the image's OS) is mapped to the keys to look up, the name to look up and the
// version to compare. Both sides use the same key function, so they cannot drift apart.
import type { OsInfo, Package } from '@assay/inventory';
import { languageEcosystem } from '@assay/versions';

/** Where to look a package up, and what to compare. */
export interface Lookup {
  /** Ecosystem keys (the `eco_key` column) to query. */
  readonly keys: readonly string[];
  /** Package name as advisories key it (normalised). */
  readonly name: string;
  /** The installed version to compare with the advisory's ranges. */
  readonly version: string;
  /** Ecosystem name handed to @assay/versions (`Debian`, `npm`…). */
  readonly scheme: string;
}

/** Ecosystems whose release part is part of the key (OS distributions). */
const DISTRO_BASES = new Set([
  'Debian',
  'Ubuntu',
  'Alpine',
  'Red Hat',
  'Rocky Linux',
  'AlmaLinux',
  'SUSE',
  'openSUSE',
  'Mageia',
  'openEuler',
  'Photon OS',
]);

export function splitEcosystem(ecosystem: string): { base: string; release: string } {
  const i = ecosystem.indexOf(':');
  return i < 0 ? { base: ecosystem, release: '' } : { base: ecosystem.slice(0, i), release: ecosystem.slice(i + 1) };
}

const major = (v: string): string => /^(\d+)/.exec(v)?.[1] ?? v;

/**
 * Lookup key of an OSV ecosystem string. Language ecosystems drop any suffix (`Maven:<repo>`),
 * distributions keep the release in the form OS detection can produce: Debian and RHEL clones
 * by major release, Ubuntu without the `:LTS` tag (Pro streams kept apart), Red Hat's CPE-like
 * stream (`enterprise_linux:9::appstream`) reduced to its major release.
 */
export function ecosystemKey(ecosystem: string): string {
  const { base, release } = splitEcosystem(ecosystem.trim());
  if (!DISTRO_BASES.has(base) || release === '') return base;
  switch (base) {
    case 'Debian':
    case 'Rocky Linux':
    case 'AlmaLinux':
      return `${base}:${major(release)}`;
    case 'Ubuntu':
      return `Ubuntu:${release.replace(/:LTS$/i, '')}`;
    case 'Red Hat': {
      // `enterprise_linux:9::appstream` → 9; other products (rhel_eus:8.6…) keep their stream.
      const [product = '', version = ''] = release.split(':');
      return product === 'enterprise_linux' ? `Red Hat:${major(version)}` : `Red Hat:${product}:${version}`;
    }
    default:
      return `${base}:${release}`;
  }
}

/** Package names as OSV keys them: PyPI per PEP 503, everything else as given. */
export function normalisePackageName(base: string, name: string): string {
  if (base === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  return name;
}

/** The ecosystem keys a detected OS's packages are looked up under (empty when unknown). */
export function osEcosystemKeys(os: OsInfo | undefined): string[] {
  if (!os) return [];
  const family = os.family.toLowerCase();
  const name = os.name.trim();
  switch (family) {
    case 'debian':
      return [`Debian:${major(name)}`];
    case 'ubuntu': {
      const m = /^(\d+\.\d+)/.exec(name);
      return m?.[1] ? [`Ubuntu:${m[1]}`] : [];
    }
    case 'alpine': {
      const m = /^v?(\d+\.\d+)/.exec(name);
      return m?.[1] ? [`Alpine:v${m[1]}`] : [];
    }
    case 'redhat':
    case 'rhel':
    case 'centos':
      return [`Red Hat:${major(name)}`];
    case 'rocky':
      return [`Rocky Linux:${major(name)}`];
    case 'alma':
    case 'almalinux':
      return [`AlmaLinux:${major(name)}`];
    case 'suse':
    case 'sles': {
      // os-release `15.5` → `Linux Enterprise Server 15 SP5` (SP0 is just `15`).
      const [maj, sp] = name.split('.');
      return [`SUSE:Linux Enterprise Server ${maj}${sp && sp !== '0' ? ` SP${sp}` : ''}`];
    }
    case 'opensuse':
    case 'opensuse-leap':
      return [`openSUSE:Leap ${name}`];
    case 'opensuse-tumbleweed':
      return ['openSUSE:Tumbleweed'];
    case 'wolfi':
      return ['Wolfi'];
    case 'chainguard':
      return ['Chainguard'];
    default:
      return [];
  }
}

/** dpkg's `[epoch:]upstream[-revision]` from the inventory's split fields. */
function debVersion(epoch: number | undefined, version: string, release: string | undefined): string {
  return `${epoch ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

/** rpm's `[epoch:]version-release`. */
const rpmVersion = debVersion;

/**
 * Where to look the package up. OS packages need the OS; dpkg and apk are matched by source
 * package (Debian, Ubuntu and Alpine advisories name source packages) with the source version;
 * rpm advisories name binary packages (Red Hat, SUSE, Rocky, Alma), so the binary name is looked
 * up and the source name as a second lookup.
 */
export function lookupsFor(pkg: Package, os?: OsInfo): Lookup[] {
  return lookupsUnder(pkg, () => osEcosystemKeys(os));
}

/**
 * `lookupsFor` with the OS's keys computed by the caller: a match asks for every package of one
 * image, so it computes them once (`osKeys` is only called for OS packages).
 */
export function lookupsUnder(pkg: Package, osKeys: () => readonly string[]): Lookup[] {
  const type = pkg.type.toLowerCase();
  const lang = languageEcosystem(type);
  if (lang) return [{ keys: [lang], name: normalisePackageName(lang, pkg.name), version: pkg.version, scheme: lang }];
  const keys = osKeys();
  const first = keys[0];
  if (!first) return [];
  const scheme = splitEcosystem(first).base;
  if (type === 'deb') {
    const name = pkg.srcName ?? pkg.name;
    const version = pkg.srcName
      ? debVersion(pkg.srcEpoch, pkg.srcVersion ?? pkg.version, pkg.srcRelease)
      : debVersion(pkg.epoch, pkg.version, pkg.release);
    return [{ keys, name, version, scheme }];
  }
  if (type === 'apk') {
    return [{ keys, name: pkg.srcName ?? pkg.name, version: pkg.srcName && pkg.srcVersion ? pkg.srcVersion : pkg.version, scheme }];
  }
  if (type === 'rpm') {
    const out: Lookup[] = [{ keys, name: pkg.name, version: rpmVersion(pkg.epoch, pkg.version, pkg.release), scheme }];
    if (pkg.srcName && pkg.srcName !== pkg.name) {
      out.push({ keys, name: pkg.srcName, version: rpmVersion(pkg.srcEpoch, pkg.srcVersion ?? pkg.version, pkg.srcRelease), scheme });
    }
    return out;
  }
  return [];
}

/** The installed version as reports show it (dpkg/rpm: with epoch and revision). */
export function displayVersion(pkg: Package): string {
  const type = pkg.type.toLowerCase();
  if (type === 'deb' || type === 'rpm') return debVersion(pkg.epoch, pkg.version, pkg.release);
  return pkg.version;
}
