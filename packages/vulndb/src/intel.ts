// Reading the intelligence tables of an open database: EPSS and KEV by CVE id, for an advisory
// through every CVE it names (its id, aliases and upstream ids: a GHSA whose alias is a CVE gets
// that CVE's EPSS and KEV entry), and the end of life of an OS release.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { eolFamily, releaseCandidates } from './eol.ts';

export interface Epss {
  /** Probability of exploitation in the next 30 days (0..1). */
  score: number;
  /** Rank among all scored CVEs (0..1). */
  percentile: number;
  /** The CVE the score is for. */
  cve: string;
}

export interface Kev {
  cve: string;
  /** When CISA added the CVE to the catalogue (YYYY-MM-DD). */
  dateAdded: string;
  dueDate?: string;
  /** Known to be used in ransomware campaigns. */
  ransomware?: true;
}

export interface Intel {
  epss?: Epss;
  kev?: Kev;
}

export interface OsEol {
  family: string;
  release: string;
  /** YYYY-MM-DD */
  eol: string;
}

/** `CVE-2024-1234`, or the CVE a distribution's id is named after (`DEBIAN-CVE-2024-1234`, `UBUNTU-CVE-…`). */
const CVE_IN_ID = /(?:^|-)(CVE-\d{4}-\d{4,})$/;

export function cveIdsOf(ids: readonly string[]): string[] {
  const out = new Set<string>();
  for (const id of ids) {
    const m = CVE_IN_ID.exec(id);
    if (m?.[1]) out.add(m[1]);
  }
  return [...out];
}

export class IntelReader {
  /** Undefined when the table is empty (a database built without that feed): no query per finding. */
  readonly #epss: StatementSync | undefined;
  readonly #kev: StatementSync | undefined;
  readonly #eol: StatementSync | undefined;

  constructor(db: DatabaseSync) {
    // A schema-1 database has none of the tables: it is read as one built without the feeds.
    const exists = (table: string) =>
      db.prepare("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?) AS x").get(table)?.x === 1;
    const has = (table: 'epss' | 'kev') => exists(table) && db.prepare(`SELECT EXISTS (SELECT 1 FROM ${table}) AS x`).get()?.x === 1;
    this.#epss = has('epss') ? db.prepare('SELECT score, percentile FROM epss WHERE cve = ?') : undefined;
    this.#kev = has('kev') ? db.prepare('SELECT date_added, due_date, ransomware FROM kev WHERE cve = ?') : undefined;
    this.#eol = exists('os_eol') ? db.prepare('SELECT eol FROM os_eol WHERE family = ? AND release = ?') : undefined;
  }

  /** True when the database has neither EPSS nor KEV entries: every lookup answers nothing. */
  get empty(): boolean {
    return !this.#epss && !this.#kev;
  }

  /**
   * Intel for an advisory named by these ids. Several CVEs (an advisory fixing a few): the
   * highest EPSS score, and the earliest KEV entry (the longest known to be exploited).
   */
  lookup(ids: readonly string[]): Intel {
    const out: Intel = {};
    if (!this.#epss && !this.#kev) return out;
    for (const cve of cveIdsOf(ids)) {
      const e = this.#epss?.get(cve) as { score: number; percentile: number } | undefined;
      if (e && (!out.epss || e.score > out.epss.score)) out.epss = { score: e.score, percentile: e.percentile, cve };
      const k = this.#kev?.get(cve) as { date_added: string; due_date: string | null; ransomware: number } | undefined;
      if (k && (!out.kev || k.date_added < out.kev.dateAdded))
        out.kev = {
          cve,
          dateAdded: k.date_added,
          ...(k.due_date ? { dueDate: k.due_date } : {}),
          ...(k.ransomware ? { ransomware: true } : {}),
        };
    }
    return out;
  }

  /** The end of security support of an OS release, when the table knows it. */
  osEol(os: { family: string; name: string } | undefined): OsEol | undefined {
    if (!os || !os.name || !this.#eol) return undefined;
    const family = eolFamily(os.family);
    for (const release of releaseCandidates(os.name)) {
      const row = this.#eol.get(family, release) as { eol: string } | undefined;
      if (row) return { family, release, eol: row.eol };
    }
    return undefined;
  }
}
