// The report stage: what a scan learnt (its ScanState), as the scan report the store keeps and
// every format is made from, for a succeeded scan or a failed one (`error`). Vulnerabilities are
// not here: matching is a step of its own (matching.ts), so a new database re-matches stored
// reports without a new scan.
import { licenceFindings } from '@assay/inventory';
import type { ScanReport } from '@assay/domain';
import { mergePackageLocations } from './package-locations.ts';
import type { ScanState, ScanTarget } from './state.ts';

/** The report's warning when no clamd is configured: malware was not looked for, so nothing is claimed. */
export const MALWARE_DISABLED_WARNING = 'malware scanning disabled (CLAMD_ADDRESS unset)';

const MAX_WARNINGS = 1000;
const MAX_DELETED = 10_000;

function capped(list: string[]): string[] {
  const out = list.slice(0, MAX_WARNINGS).map((w) => (w.length > 1000 ? `${w.slice(0, 997)}...` : w));
  if (list.length > MAX_WARNINGS) out.push(`... and ${list.length - MAX_WARNINGS} more`);
  return out;
}

/** The report of a scan, succeeded (`error` undefined) or failed. */
export function buildReport(target: ScanTarget, versions: Record<string, number>, state: ScanState, error?: string): ScanReport {
  const view = error === undefined ? state.view : undefined;
  const os = view?.os;
  const warnings = [...state.warnings, ...state.analyses.flatMap((a) => a.warnings.map((w) => `layer ${a.layerDigest}: ${w}`))];
  const base = state.config?.baseImage;
  const match = error === undefined ? state.baseImageMatch : undefined;
  const baseImage = match?.name ?? base?.name ?? base?.digest;
  // Every layer's verdicts: malware deleted by an upper layer is still in the image's blobs.
  const malwareOn = state.malwareDb !== undefined;
  const malware = error === undefined && malwareOn ? state.analyses.flatMap((a) => a.malware?.findings ?? []) : [];
  if (state.malwareEnabled === false) warnings.push(state.malwareDisabledWarning ?? MALWARE_DISABLED_WARNING);
  for (const a of state.analyses) {
    for (const k of a.malware?.skipped ?? [])
      warnings.push(`layer ${a.layerDigest}: malware: ${k.path} (${k.size} bytes) not scanned: ${k.reason}`);
  }
  const checks = error === undefined ? state.checks : undefined;
  // A lockfile and the tree installed beside it name the same packages: each is listed once.
  const packages = mergePackageLocations(view?.packages ?? []);
  // Every layer's findings: a secret deleted by an upper layer is still in the image.
  const sensitiveData = error === undefined ? state.analyses.flatMap((a) => a.sensitiveFindings ?? []) : [];
  const licences = licenceFindings(packages);
  const platform = target.platform
    ? {
        os: target.platform.os,
        architecture: target.platform.architecture,
        ...(target.platform.variant ? { variant: target.platform.variant } : {}),
      }
    : undefined;
  const report = {
    reportId: state.reportId,
    image: {
      registry: target.registry,
      repository: target.repository,
      digest: target.digest,
      ...(target.tag ? { tag: target.tag } : {}),
      ...((state.manifestMediaType ?? target.mediaType) ? { mediaType: state.manifestMediaType ?? target.mediaType } : {}),
      ...(platform ? { platform } : {}),
    },
    analyzerVersions: versions,
    scannedAt: new Date(),
    status: error === undefined ? 'succeeded' : 'failed',
    ...(error !== undefined ? { error, errors: [error] } : {}),
    durationMs: Date.now() - state.startedAt.getTime(),
    ...(os
      ? {
          os: {
            family: os.family,
            name: os.name,
            version: os.name,
            ...(os.codename ? { codename: os.codename } : {}),
            ...(os.eol !== undefined ? { eol: os.eol } : {}),
          },
        }
      : {}),
    ...(baseImage ? { baseImage } : {}),
    ...(match ? { baseImageMatch: match } : {}),
    layers: state.layers,
    packages,
    vulnerabilities: [],
    sensitiveData,
    ...(malwareOn && error === undefined ? { malware } : {}),
    ...(malwareOn ? { malwareDb: state.malwareDb } : {}),
    ...(checks ? { checks } : {}),
    licences,
    ...(state.config ? { config: state.config as unknown as Record<string, unknown> } : {}),
    ...(view
      ? {
          deletedFiles: view.deleted.slice(0, MAX_DELETED),
          removedPackageSets: view.removedSets.slice(0, MAX_DELETED),
        }
      : {}),
    warnings: capped(warnings),
    summary: {
      packages: packages.length,
      vulnerabilities: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
      sensitiveFindings: sensitiveData.length,
      malwareFindings: malware.length,
      licenceFindings: licences.filter((l) => !l.known).length,
      ...(os ? { os: `${os.family} ${os.name}` } : {}),
      ...(baseImage ? { baseImage } : {}),
    },
  };
  return JSON.parse(JSON.stringify(report), (k, v) => (k === 'scannedAt' && typeof v === 'string' ? new Date(v) : v)) as ScanReport;
}
