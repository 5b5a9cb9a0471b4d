// CBL-Mariner / Azure Linux distroless images carry no rpm database, only
// `var/lib/rpmmanifest/container-manifest-2`: the output of
//   rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{VENDOR}\t(none)\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t%{SOURCERPM}'
// one package a line (Trivy's rpmqa analyzer reads the same file). The source rpm's name,
// version and release become srcName/srcVersion/srcRelease; the epoch is the binary's, as rpm
// builds both from one spec.
import type { AnalysisFile, AnalysisResult, FileAnalyzer, LayerContext, Package } from '../analyzer.ts';
import { purl } from '../purl.ts';
import { distroQualifier, osPurlNamespace, packageDbResult, type PackageDbContents } from './common.ts';
import { splitSourceRpm } from './rpmheader.ts';

export const RPM_MANIFEST = 'var/lib/rpmmanifest/container-manifest-2';

/** One manifest line → a Package, or the reason it is not one. */
export function parseRpmManifestLine(line: string, ctx: LayerContext): Package | string {
  const cols = line.split('\t');
  if (cols.length !== 10) return `expected 10 tab-separated columns, found ${cols.length}`;
  const [name, verRel, , , , , , arch, epochCol, sourceRpm] = cols.map((c) => c.trim()) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!name) return 'no package name';
  // VERSION and RELEASE cannot contain `-` (rpm forbids it), so exactly one separates them.
  const parts = verRel.split('-');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return `package ${name}: version-release "${verRel}" does not split in two`;
  const [version, release] = parts as [string, string];
  if (!/^\d+$/.test(epochCol)) return `package ${name}: epoch "${epochCol}" is not a number`;
  const epoch = Number(epochCol);
  const src = splitSourceRpm(sourceRpm);
  return {
    name,
    version,
    type: 'rpm',
    purl: purl({
      type: 'rpm',
      // The namespace the walker also writes when it learns the OS later (one place decides it).
      namespace: osPurlNamespace('rpm', ctx.os?.family),
      name,
      version: `${version}-${release}`,
      qualifiers: { arch: arch || undefined, epoch: epoch ? String(epoch) : undefined, distro: distroQualifier(ctx) },
    }),
    ...(epoch ? { epoch } : {}),
    release,
    ...(arch ? { arch } : {}),
    ...(src ? { srcName: src.name, srcVersion: src.version, srcRelease: src.release, ...(epoch ? { srcEpoch: epoch } : {}) } : {}),
  };
}

/** The whole manifest; a line that cannot be read is a warning, the others still count. */
export function parseRpmManifest(text: string, ctx: LayerContext): PackageDbContents {
  const packages: Package[] = [];
  const warnings: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const r = parseRpmManifestLine(line, ctx);
    if (typeof r === 'string') {
      if (warnings.length < 100) warnings.push(`line ${i + 1}: ${r}`);
    } else packages.push(r);
  });
  return { packages, files: [], warnings };
}

export const rpmManifestAnalyzer: FileAnalyzer = {
  kind: 'file',
  // Trivy's name for it: the file is `rpm -qa` output.
  type: 'rpmqa',
  version: 1,
  maxFileSize: 16 * 1024 * 1024,
  required: (path) => path === RPM_MANIFEST,
  analyze(file: AnalysisFile, ctx: LayerContext): AnalysisResult {
    return packageDbResult('rpmqa', file.path, () => parseRpmManifest(file.content.toString('utf8'), ctx));
  },
};
