// FIRST's Exploit Prediction Scoring System feed (https://www.first.org/epss/data_stats): a daily
// CSV, `epss_scores-YYYY-MM-DD.csv.gz`, whose first line is a comment naming the model and the
// score date (`#model_version:v2023.03.01,score_date:2023-03-08T00:00:00+0000`), then the header
// `cve,epss,percentile` and one row per CVE with both numbers in 0..1.

export interface EpssRow {
  cve: string;
  score: number;
  percentile: number;
}

export interface EpssFeed {
  modelVersion?: string;
  scoreDate?: string;
  rows: EpssRow[];
  /** Lines that were neither comment, header nor a valid row (counted, never fatal). */
  invalid: number;
}

export const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

const unit = (s: string | undefined): number | undefined => {
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
};

export function parseEpssCsv(text: string): EpssFeed {
  const feed: EpssFeed = { rows: [], invalid: 0 };
  let columns: { cve: number; epss: number; percentile: number } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      for (const part of line.slice(1).split(',')) {
        const i = part.indexOf(':');
        if (i < 0) continue;
        const k = part.slice(0, i).trim();
        const v = part.slice(i + 1).trim();
        if (k === 'model_version') feed.modelVersion = v;
        else if (k === 'score_date') feed.scoreDate = v;
      }
      continue;
    }
    const cells = line.split(',');
    if (!columns) {
      // The header names the columns; older files had only `cve,epss` (no percentile): refused below.
      const lower = cells.map((c) => c.trim().toLowerCase());
      if (lower.includes('cve') && lower.includes('epss')) {
        columns = { cve: lower.indexOf('cve'), epss: lower.indexOf('epss'), percentile: lower.indexOf('percentile') };
        continue;
      }
      throw new Error('EPSS CSV: no `cve,epss,percentile` header before the first row');
    }
    const cve = cells[columns.cve]?.trim();
    const score = unit(cells[columns.epss]);
    const percentile = columns.percentile >= 0 ? unit(cells[columns.percentile]) : undefined;
    if (!cve || !CVE_ID.test(cve) || score === undefined || percentile === undefined) {
      feed.invalid++;
      continue;
    }
    feed.rows.push({ cve, score, percentile });
  }
  if (!columns) throw new Error('EPSS CSV: no `cve,epss,percentile` header');
  return feed;
}
