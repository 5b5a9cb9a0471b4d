// Re-matching stored inventories when a new database arrives (no image is pulled again). A
// report counts as changed when its set of (advisory id, package, fixed version) differs;
// severity or wording changes alone do not re-trigger policy evaluation.
import type { OsInfo, Package } from '@assay/inventory';
import type { Finding, VulnDb } from './match.ts';

type FindingKey = Pick<Finding, 'id' | 'packageName' | 'packageVersion' | 'fixedVersion'> & { packageType?: string | undefined };

const keyOf = (f: FindingKey) => `${f.id}\0${f.packageType ?? ''}\0${f.packageName}\0${f.packageVersion}\0${f.fixedVersion ?? ''}`;

export interface RematchDiff {
  changed: boolean;
  added: string[];
  removed: string[];
}

/** Compares two finding lists by id + package + fixed version. */
export function rematch(oldFindings: readonly FindingKey[], newFindings: readonly FindingKey[]): RematchDiff {
  const before = new Set(oldFindings.map(keyOf));
  const after = new Set(newFindings.map(keyOf));
  const added = [...after].filter((k) => !before.has(k));
  const removed = [...before].filter((k) => !after.has(k));
  const pretty = (k: string) => k.split('\0').filter(Boolean).join(' ');
  return { changed: added.length > 0 || removed.length > 0, added: added.map(pretty), removed: removed.map(pretty) };
}

/** The parts of a stored scan report re-matching reads. */
export interface RematchableReport {
  packages: readonly Package[];
  vulnerabilities: readonly FindingKey[];
  os?: { family: string; name?: string; version?: string } | undefined;
  vulnDbVersion?: string | undefined;
}

export interface RematchOptions<R extends RematchableReport> {
  listReports: AsyncIterable<R> | Iterable<R>;
  db: VulnDb;
  /** Called for each report whose findings changed; awaited (store, then publish). */
  onChanged(report: R, findings: Finding[], diff: RematchDiff): Promise<void> | void;
  /** Skip reports already matched against this database version (default true). */
  skipCurrent?: boolean;
}

function osOf(r: RematchableReport): OsInfo | undefined {
  if (!r.os) return undefined;
  const name = r.os.version ?? r.os.name;
  return name ? { family: r.os.family, name } : undefined;
}

export async function rematchReports<R extends RematchableReport>(opts: RematchOptions<R>): Promise<{ reports: number; changed: number; skipped: number }> {
  let reports = 0;
  let changed = 0;
  let skipped = 0;
  for await (const report of opts.listReports) {
    reports++;
    if ((opts.skipCurrent ?? true) && report.vulnDbVersion === opts.db.version) {
      skipped++;
      continue;
    }
    const findings = opts.db.match(report.packages, osOf(report));
    const diff = rematch(report.vulnerabilities, findings);
    if (diff.changed) {
      changed++;
      await opts.onChanged(report, findings, diff);
    }
  }
  return { reports, changed, skipped };
}
