// Writing the intelligence tables into a database being built: FIRST's EPSS CSV and CISA's KEV
// JSON when given (a file or URL each), and always the shipped OS end-of-life table. Each part's
// provenance (source, sha256, the feed's own version and date, row count) lands in the metadata.
import type { DatabaseSync } from 'node:sqlite';
import { parseEpssCsv } from './epss.ts';
import { DEFAULT_EOL_TABLE, eolRows, readEolTable } from './eol.ts';
import { readIntelInput } from './intel-input.ts';
import { parseKevJson } from './kev.ts';
import type { IntelMetadata } from './schema.ts';

export interface IntelSources {
  /** FIRST's EPSS CSV (`epss_scores-YYYY-MM-DD.csv.gz` or plain): a file or http(s) URL. */
  epss?: string;
  /** CISA's `known_exploited_vulnerabilities.json`: a file or http(s) URL. */
  kev?: string;
  /** The end-of-life table; default the one shipped with this package. */
  eolTable?: string | URL;
}

export type IntelBuildMetadata = IntelMetadata & {
  epss?: IntelMetadata['epss'] & { sha256: string; invalid: number };
  kev?: IntelMetadata['kev'] & { sha256: string; invalid: number };
};

export async function writeIntel(db: DatabaseSync, src: IntelSources): Promise<IntelBuildMetadata> {
  const meta: IntelBuildMetadata = {};
  // Inputs are read and parsed before the transaction: a bad feed fails the build, not half a table.
  const epssIn = src.epss ? await readIntelInput(src.epss) : undefined;
  const epss = epssIn ? wrap(src.epss!, () => parseEpssCsv(epssIn.text)) : undefined;
  const kevIn = src.kev ? await readIntelInput(src.kev) : undefined;
  const kev = kevIn ? wrap(src.kev!, () => parseKevJson(kevIn.text)) : undefined;
  const eolTable = await readEolTable(src.eolTable ?? DEFAULT_EOL_TABLE);
  const eol = eolRows(eolTable);

  db.exec('BEGIN');
  try {
    if (epss && epssIn) {
      // A CVE listed twice keeps its last row (the feed is one row per CVE; this only guards).
      const put = db.prepare('INSERT OR REPLACE INTO epss (cve, score, percentile) VALUES (?, ?, ?)');
      for (const r of epss.rows) put.run(r.cve, r.score, r.percentile);
      meta.epss = {
        source: src.epss!,
        sha256: epssIn.sha256,
        ...(epss.modelVersion ? { modelVersion: epss.modelVersion } : {}),
        ...(epss.scoreDate ? { scoreDate: epss.scoreDate } : {}),
        count: countOf(db, 'epss'),
        invalid: epss.invalid,
      };
    }
    if (kev && kevIn) {
      const put = db.prepare('INSERT OR REPLACE INTO kev (cve, date_added, due_date, ransomware, name) VALUES (?, ?, ?, ?, ?)');
      for (const r of kev.rows) put.run(r.cve, r.dateAdded, r.dueDate ?? null, r.ransomware ? 1 : 0, r.name ?? null);
      meta.kev = {
        source: src.kev!,
        sha256: kevIn.sha256,
        ...(kev.catalogVersion ? { catalogVersion: kev.catalogVersion } : {}),
        ...(kev.dateReleased ? { dateReleased: kev.dateReleased } : {}),
        count: countOf(db, 'kev'),
        invalid: kev.invalid,
      };
    }
    const put = db.prepare('INSERT OR REPLACE INTO os_eol (family, release, eol) VALUES (?, ?, ?)');
    for (const r of eol) put.run(r.family, r.release, r.eol);
    meta.eol = { source: eolTable.source, count: eol.length };
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  return meta;
}

function wrap<T>(source: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`, { cause: err });
  }
}

function countOf(db: DatabaseSync, table: 'epss' | 'kev'): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}
