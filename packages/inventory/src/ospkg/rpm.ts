// rpm analyzers, one per database format (separate types, so each format's cache entries are
// versioned on their own). Each reads header blobs (rpmdb.ts) and turns them into packages
// (rpmheader.ts); installed files from BASENAMES/DIRNAMES feed systemInstalledFiles.
import type { AnalysisFile, AnalysisResult, FileAnalyzer, LayerContext, Package } from '../analyzer.ts';
import { packageDbResult, type PackageDbContents } from './common.ts';
import { type BlobsResult, readBdbBlobs, readNdbBlobs, readSqliteBlobs } from './rpmdb.ts';
import { rpmHeaderToPackage } from './rpmheader.ts';

/** rpm databases reach hundreds of MiB on large hosts' images. */
const RPM_MAX = 512 * 1024 * 1024;

/** Blobs → packages; a corrupt header is a warning, the rest still count. */
export function rpmPackagesFromBlobs(r: BlobsResult, ctx: LayerContext): PackageDbContents {
  const packages: Package[] = [];
  const files: string[] = [];
  const warnings = [...r.warnings];
  r.blobs.forEach((blob, i) => {
    try {
      const { pkg, files: f } = rpmHeaderToPackage(blob, ctx);
      if (!pkg) return;
      packages.push(pkg);
      for (const x of f) files.push(x);
    } catch (e) {
      warnings.push(`header ${i}: ${(e as Error).message}`);
    }
  });
  return { packages, files, warnings };
}

function rpmAnalyzer(type: string, paths: readonly string[], read: (b: Buffer) => BlobsResult): FileAnalyzer {
  const wanted = new Set(paths);
  return {
    kind: 'file',
    type,
    version: 1,
    maxFileSize: RPM_MAX,
    required: (path) => wanted.has(path),
    analyze(file: AnalysisFile, ctx: LayerContext): AnalysisResult {
      return packageDbResult(type, file.path, () => rpmPackagesFromBlobs(read(file.content), ctx));
    },
  };
}

export const rpmSqliteAnalyzer = rpmAnalyzer(
  'rpm-sqlite',
  ['usr/lib/sysimage/rpm/rpmdb.sqlite', 'var/lib/rpm/rpmdb.sqlite'],
  readSqliteBlobs,
);
export const rpmBdbAnalyzer = rpmAnalyzer('rpm-bdb', ['var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/Packages'], readBdbBlobs);
export const rpmNdbAnalyzer = rpmAnalyzer('rpm-ndb', ['usr/lib/sysimage/rpm/Packages.db', 'var/lib/rpm/Packages.db'], readNdbBlobs);
