// The scanner's side of the store: whether a stored report can answer a scan job, storing a
// finished scan's report (matched), and the image inventory's scan status.
import { analyzerVersionsKey, type ScanReport } from '@assay/domain';
import { NotFoundError, type Store } from '@assay/store';
import type { ClamdClient } from '@assay/clamav';
import type { ScanTarget, Versions } from '@assay/scan-engine';

/** What scan jobs need of the vulnerability database (VulnDbManager). */
export interface ScanMatcher {
  readonly version: string | undefined;
  /** The report with the current database's findings (or the no-database warning). */
  match(report: ScanReport): Promise<ScanReport>;
  /** An existing report brought up to the current database (stored again when it changed). */
  refresh(report: ScanReport): Promise<ScanReport>;
}

/**
 * The stored report of a digest, when it succeeded with these report versions (cache-keys.ts of
 * @assay/scan-engine) and, with malware scanning, the same clamd signature database.
 */
export async function reusableReport(
  store: Store,
  digest: string,
  versions: Versions,
  malware: ClamdClient | undefined,
): Promise<ScanReport | undefined> {
  const meta = await store.reports.meta(digest);
  if (!meta || meta.analyzerVersionsKey !== analyzerVersionsKey(versions)) return undefined;
  const report = await store.reports.get(digest);
  if (!report || (report as { status?: unknown }).status !== 'succeeded') return undefined;
  if (malware) {
    // A verdict from another signature database (or one clamd cannot version) is not reused;
    // clamd unreachable means a scan, which then fails as it should.
    const v = await malware.version().catch(() => undefined);
    if (!v || v.databaseVersion === undefined || v.raw !== report['malwareDb']) return undefined;
  }
  return report;
}

/**
 * Matches and stores a succeeded scan's report. A database swapped in meanwhile may have been
 * re-matched over the stored reports before this one was stored: match again, so no report is
 * left behind on the older database.
 */
export async function storeMatched(store: Store, matcher: ScanMatcher | undefined, built: ScanReport): Promise<ScanReport> {
  let report = matcher ? await matcher.match(built) : built;
  await store.reports.put(report);
  for (let i = 0; matcher && i < 3 && matcher.version !== undefined && report.vulnDbVersion !== matcher.version; i++) {
    report = await matcher.match(report);
    await store.reports.put(report);
  }
  return report;
}

/** The image inventory's scan status; an image the inventory has not seen yet is recorded first. */
export async function setScanStatus(
  store: Store,
  target: ScanTarget,
  status: 'scanning' | 'succeeded' | 'failed',
  details: { reportId?: string; error?: string },
): Promise<void> {
  const inv = store.inventory;
  const at = new Date();
  try {
    await inv.setScanStatus(target.digest, status, at, details);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    await inv.upsertSeen(imageOf(target) as never, at);
    await inv.setScanStatus(target.digest, status, at, details);
  }
}

/** The image a target (or a report's image) names, without the fields it leaves empty. */
export function imageOf(image: ScanTarget): ScanTarget {
  return {
    registry: image.registry,
    repository: image.repository,
    digest: image.digest,
    ...(image.tag ? { tag: image.tag } : {}),
    ...(image.mediaType ? { mediaType: image.mediaType } : {}),
    ...(image.platform ? { platform: image.platform } : {}),
  };
}
