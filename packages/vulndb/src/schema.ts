// The database file's layout. `affected` is clustered on (eco_key, name): one lookup per
// package reads adjacent rows, and no separate index is needed. Bump SCHEMA_VERSION whenever a
// reader of the old layout would misread the new one; readers refuse other versions.
// 2: the intelligence tables (epss, kev, os_eol), which a reader of version 2 queries.
export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE metadata (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE vulnerabilities (
  vid         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  modified    TEXT NOT NULL,
  published   TEXT,
  withdrawn   TEXT,
  summary     TEXT,
  severity    TEXT,  -- OSV severity[] as JSON
  db_severity TEXT,  -- database_specific.severity (GHSA)
  aliases     TEXT,  -- JSON array (CVE ids…)
  upstream    TEXT,  -- JSON array (Debian/Ubuntu upstream ids)
  refs        TEXT   -- JSON array of URLs, advisory first
);

CREATE TABLE affected (
  eco_key     TEXT NOT NULL,   -- lookup key: Debian:12, Ubuntu:22.04, Alpine:v3.20, npm…
  name        TEXT NOT NULL,   -- package name, normalised per ecosystem
  vid         INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  ecosystem   TEXT NOT NULL,   -- as the record states it (Ubuntu:22.04:LTS)
  eco_base    TEXT NOT NULL,   -- Debian
  eco_release TEXT NOT NULL,   -- 12
  ranges      TEXT,            -- JSON: ECOSYSTEM/SEMVER ranges only
  versions    TEXT,            -- JSON array, or NULL when empty
  severity    TEXT NOT NULL,   -- critical|high|medium|low|negligible|unknown
  cvss        REAL,
  cvss_vector TEXT,
  PRIMARY KEY (eco_key, name, vid, seq)
) WITHOUT ROWID;

-- FIRST's Exploit Prediction Scoring System, one row per CVE (daily CSV).
CREATE TABLE epss (
  cve        TEXT PRIMARY KEY,
  score      REAL NOT NULL,   -- probability of exploitation in the next 30 days, 0..1
  percentile REAL NOT NULL    -- 0..1
) WITHOUT ROWID;

-- CISA's Known Exploited Vulnerabilities catalogue, one row per CVE.
CREATE TABLE kev (
  cve         TEXT PRIMARY KEY,
  date_added  TEXT NOT NULL,   -- YYYY-MM-DD
  due_date    TEXT,            -- YYYY-MM-DD (federal agencies' remediation deadline)
  ransomware  INTEGER NOT NULL,-- 1 when knownRansomwareCampaignUse is Known
  name        TEXT
) WITHOUT ROWID;

-- End of security support per OS release (data/eol.json, from endoflife.date).
CREATE TABLE os_eol (
  family  TEXT NOT NULL,   -- inventory's OS family (debian, ubuntu, alpine, redhat…)
  release TEXT NOT NULL,   -- release cycle (12, 22.04, 3.20, 2023…)
  eol     TEXT NOT NULL,   -- YYYY-MM-DD
  PRIMARY KEY (family, release)
) WITHOUT ROWID;
`;

/** Metadata keys. */
export const META = {
  schemaVersion: 'schema_version',
  version: 'db_version',
  builtAt: 'built_at',
  sources: 'sources',
  counts: 'counts_per_ecosystem',
  records: 'records',
  withdrawn: 'withdrawn',
  skipped: 'skipped',
  skippedReasons: 'skipped_reasons',
  skippedExamples: 'skipped_examples',
  intel: 'intel',
} as const;

/** What the intelligence tables hold and where from (absent parts were not given to the build). */
export interface IntelMetadata {
  epss?: { source: string; modelVersion?: string; scoreDate?: string; count: number };
  kev?: { source: string; catalogVersion?: string; dateReleased?: string; count: number };
  eol?: { source: string; count: number };
}

export interface DbMetadata {
  schemaVersion: number;
  version: string;
  builtAt: string;
  sources: { source: string; kind: string; sha256: string }[];
  countsPerEcosystem: Record<string, number>;
  records: number;
  withdrawn: number;
  skipped: number;
  skippedReasons: Record<string, number>;
  skippedExamples: { source: string; name: string; reason: string }[];
  intel?: IntelMetadata;
}
