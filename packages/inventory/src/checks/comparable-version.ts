// The version of a package as its ecosystem orders it. Ranges themselves, and which ecosystem's
// ordering a package type uses, are @assay/versions' (parseVersionRange, ecosystemForType).
import type { Package } from '../analyzer.ts';

/** The version as its ecosystem orders it: epoch and release put back for deb and rpm. */
export function comparableVersion(p: Pick<Package, 'type' | 'version' | 'epoch' | 'release'>): string {
  if (p.type !== 'deb' && p.type !== 'rpm') return p.version;
  const epoch = p.epoch && !p.version.includes(':') ? `${p.epoch}:` : '';
  return `${epoch}${p.version}${p.release ? `-${p.release}` : ''}`;
}
