// The version of a package as its ecosystem orders it. Reports keep deb and rpm versions split
// the way their databases do (epoch, upstream version, release); compared alone, the upstream
// part would put `3.0.11-1~deb12u3` and `3.0.11-1~deb12u2` level. Every caller comparing a
// package's version against a range (custom checks, the policy packages control) uses this.

/** What is needed of a package: its purl type, version and, for deb and rpm, epoch and release. */
export interface VersionedPackage {
  readonly type: string;
  readonly version: string;
  readonly epoch?: unknown;
  readonly release?: unknown;
}

/** The version as its ecosystem orders it: epoch and release put back for deb and rpm. */
export function comparableVersion(p: VersionedPackage): string {
  if (p.type !== 'deb' && p.type !== 'rpm') return p.version;
  // Epoch 0 is no epoch (dpkg and rpm order them alike), so it is not written.
  const hasEpoch = (typeof p.epoch === 'number' || typeof p.epoch === 'string') && Boolean(p.epoch);
  const epoch = hasEpoch && !p.version.includes(':') ? `${String(p.epoch)}:` : '';
  const release = typeof p.release === 'string' && p.release !== '' ? `-${p.release}` : '';
  return `${epoch}${p.version}${release}`;
}
