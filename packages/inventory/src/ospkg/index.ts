// OS package analyzers: dpkg, apk, rpm (SQLite, BerkeleyDB, NDB), opkg, and the rpm manifest of
// CBL-Mariner / Azure Linux distroless images.
import type { Analyzer } from '../analyzer.ts';
import { osReleaseAnalyzer } from '../os/release.ts';
import { apkAnalyzer } from './apk.ts';
import { dpkgAnalyzer } from './dpkg.ts';
import { opkgAnalyzer } from './opkg.ts';
import { rpmManifestAnalyzer } from './rpm-manifest.ts';
import { rpmBdbAnalyzer, rpmNdbAnalyzer, rpmSqliteAnalyzer } from './rpm.ts';

export { APK_INSTALLED, apkAnalyzer, parseApkInstalled } from './apk.ts';
export { virtualFs, type PackageDbContents } from './common.ts';
export { debFullVersion, dep5Licences, dpkgAnalyzer, parseDebVersion, parseDpkgStatus, type DebVersion } from './dpkg.ts';
export { opkgAnalyzer, opkgListedFiles, opkgPackage, parseOpkgStatus } from './opkg.ts';
export { rpmBdbAnalyzer, rpmNdbAnalyzer, rpmSqliteAnalyzer } from './rpm.ts';
export { RPM_MANIFEST, parseRpmManifest, parseRpmManifestLine, rpmManifestAnalyzer } from './rpm-manifest.ts';
export { readBdbBlobs, readNdbBlobs, readSqliteBlobs, type BlobsResult } from './rpmdb.ts';
export { RPMTAG, rpmHeaderToPackage, splitSourceRpm } from './rpmheader.ts';

/** OS detection and every OS package analyzer, ready for an AnalyzerRegistry. */
export function osAnalyzers(): Analyzer[] {
  return [
    osReleaseAnalyzer,
    dpkgAnalyzer,
    apkAnalyzer,
    rpmSqliteAnalyzer,
    rpmBdbAnalyzer,
    rpmNdbAnalyzer,
    rpmManifestAnalyzer,
    opkgAnalyzer,
  ];
}
