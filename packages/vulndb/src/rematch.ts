// Re-matching stored inventories when a new database arrives (no image is pulled again). A
// report counts as changed when its set of (advisory id, package, fixed version) differs, or
// when a finding kept its identity but its severity, CVSS score or vector, or fix-publication
// time differs: a CVE rescored low → critical must reach the severity and CVSS controls (and a
// newly known fix date the grace period). Title and reference wording alone do not re-trigger
// policy evaluation. A report stored before findings carried `fixPublishedAt` is rewritten once,
// by the first new database, to gain it (as are reports gaining KEV or EPSS).
import type { OsInfo, Package } from '@assay/inventory';
import type { Finding, VulnDb } from './match.ts';

type FindingKey = Pick<Finding, 'id' | 'packageName' | 'packageVersion' | 'fixedVersion'> & {
  packageType?: string | undefined;
  severity?: string | undefined;
  cvss?: number | undefined;
  cvssVector?: string | undefined;
  fixPublishedAt?: string | undefined;
  kev?: { dateAdded: string } | undefined;
  epss?: { score: number } | undefined;
};

const keyOf = (f: FindingKey) => `${f.id}\0${f.packageType ?? ''}\0${f.packageName}\0${f.packageVersion}\0${f.fixedVersion ?? ''}`;
/** What policy reads of a finding beyond its identity. */
// KEV and EPSS are read by their controls: a CVE newly in the catalogue must reach them. EPSS moves
// a little every day, so only a change in its second decimal counts, not daily noise.
const detailOf = (f: FindingKey) =>
  `${f.severity ?? ''}\0${f.cvss ?? ''}\0${f.cvssVector ?? ''}\0${f.fixPublishedAt ?? ''}\0${f.kev?.dateAdded ?? ''}\0${f.epss ? f.epss.score.toFixed(2) : ''}`;

/** identity key → its findings' details, sorted (the same identity twice, e.g. two paths, stays comparable). */
function detailsByKey(findings: readonly FindingKey[]): Map<string, string> {
  const m = new Map<string, string[]>();
  for (const f of findings) {
    const k = keyOf(f);
    const list = m.get(k);
    if (list) list.push(detailOf(f));
    else m.set(k, [detailOf(f)]);
  }
  return new Map([...m].map(([k, v]) => [k, v.sort().join('\n')]));
}

export interface RematchDiff {
  changed: boolean;
  added: string[];
  removed: string[];
  /** Findings present before and after whose severity, CVSS or fix-publication time changed. */
  updated: string[];
}

/** Compares two finding lists by id + package + fixed version, then by severity, CVSS and fix date. */
export function rematch(oldFindings: readonly FindingKey[], newFindings: readonly FindingKey[]): RematchDiff {
  const before = detailsByKey(oldFindings);
  const after = detailsByKey(newFindings);
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const updated = [...after].filter(([k, d]) => before.has(k) && before.get(k) !== d).map(([k]) => k);
  const pretty = (k: string) => k.split('\0').filter(Boolean).join(' ');
  return {
    changed: added.length > 0 || removed.length > 0 || updated.length > 0,
    added: added.map(pretty),
    removed: removed.map(pretty),
    updated: updated.map(pretty),
  };
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

export async function rematchReports<R extends RematchableReport>(
  opts: RematchOptions<R>,
): Promise<{ reports: number; changed: number; skipped: number }> {
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
