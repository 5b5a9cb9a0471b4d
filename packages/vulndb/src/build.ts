// Compiles OSV records into the database file. Records stream in one at a time and are written
// in transactions of `batchSize`; a malformed record is counted (with its reason) and skipped,
// never fatal. The file is written under a temporary name, vacuumed, and renamed into place,
// so `out` is never a half-built database.
import { rename, rm } from 'node:fs/promises';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { newDbVersion } from './db-version.ts';
import { type IntelSources, writeIntel } from './intel-build.ts';
import { type VulnRow, parseOsvRecord } from './osv-record.ts';
import { META, SCHEMA_SQL, SCHEMA_VERSION, type DbMetadata } from './schema.ts';
import { readSource, type SourceChecksum } from './sources.ts';

export interface BuildOptions extends IntelSources {
  /** Directories of `*.json`, zip files, single JSON files, or http(s) URLs to zip/JSON. */
  sources?: readonly string[];
  /** Records handed over directly (already parsed, or JSON text), after `sources`. */
  records?: AsyncIterable<unknown> | Iterable<unknown>;
  out: string;
  /** Database version; default: the build time (`20261126T153351Z`). */
  version?: string;
  batchSize?: number;
  now?: () => Date;
  /** Called for each skipped record (the build continues). */
  onSkip?: (s: { source: string; name: string; reason: string }) => void;
}

export interface BuildResult {
  file: string;
  metadata: DbMetadata;
  seconds: number;
}

const MAX_EXAMPLES = 100;

class Writer {
  readonly #db: DatabaseSync;
  readonly #findVuln: StatementSync;
  readonly #insertVuln: StatementSync;
  readonly #updateVuln: StatementSync;
  readonly #deleteAffected: StatementSync;
  readonly #insertAffected: StatementSync;
  readonly #batchSize: number;
  #pending = 0;

  constructor(db: DatabaseSync, batchSize: number) {
    this.#db = db;
    this.#batchSize = batchSize;
    this.#findVuln = db.prepare('SELECT vid, modified FROM vulnerabilities WHERE id = ?');
    const cols = 'modified, published, withdrawn, summary, severity, db_severity, aliases, upstream, refs';
    this.#insertVuln = db.prepare(`INSERT INTO vulnerabilities (id, ${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#updateVuln = db.prepare(`UPDATE vulnerabilities SET (${cols}) = (?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE vid = ?`);
    this.#deleteAffected = db.prepare('DELETE FROM affected WHERE vid = ?');
    this.#insertAffected = db.prepare(
      'INSERT OR IGNORE INTO affected (eco_key, name, vid, seq, ecosystem, eco_base, eco_release, ranges, versions, severity, cvss, cvss_vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    db.exec('BEGIN');
  }

  /** Writes a record; returns a skip reason when an equal or newer record is already stored. */
  write(r: VulnRow): string | undefined {
    const values = [
      r.modified,
      r.published ?? null,
      r.withdrawn ?? null,
      r.summary ?? null,
      r.severityJson ?? null,
      r.dbSeverity ?? null,
      r.aliases.length ? JSON.stringify(r.aliases) : null,
      r.upstream.length ? JSON.stringify(r.upstream) : null,
      r.references.length ? JSON.stringify(r.references) : null,
    ] as const;
    const existing = this.#findVuln.get(r.id) as { vid: number; modified: string } | undefined;
    let vid: number;
    if (existing) {
      // Several exports carry the same advisory (a GHSA in npm and Maven): keep the newest.
      if (existing.modified >= r.modified) return 'duplicate id (same or older modified)';
      this.#updateVuln.run(...values, existing.vid);
      this.#deleteAffected.run(existing.vid);
      vid = existing.vid;
    } else {
      vid = Number(this.#insertVuln.run(r.id, ...values).lastInsertRowid);
    }
    // A withdrawn record is kept (its id stays known) but gets no affected rows: never matched.
    if (!r.withdrawn) {
      r.affected.forEach((a, seq) => {
        this.#insertAffected.run(
          a.key,
          a.name,
          vid,
          seq,
          a.ecosystem,
          a.base,
          a.release,
          a.ranges.length ? JSON.stringify(a.ranges) : null,
          a.versions.length ? JSON.stringify(a.versions) : null,
          a.severity.severity,
          a.severity.cvss ?? null,
          a.severity.cvssVector ?? null,
        );
      });
    }
    if (++this.#pending >= this.#batchSize) {
      this.#db.exec('COMMIT');
      this.#db.exec('BEGIN');
      this.#pending = 0;
    }
    return undefined;
  }

  finish(): void {
    this.#db.exec('COMMIT');
  }
}

function* recordsOf(json: unknown): Iterable<unknown> {
  // A JSON file may hold one record or an array of them.
  if (Array.isArray(json)) yield* json;
  else yield json;
}

export async function buildDatabase(opts: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const now = opts.now ?? (() => new Date());
  const version = opts.version ?? newDbVersion(now());
  const tmp = `${opts.out}.building-${process.pid}`;
  await rm(tmp, { force: true });
  const db = new DatabaseSync(tmp);
  const skippedReasons: Record<string, number> = {};
  const skippedExamples: DbMetadata['skippedExamples'] = [];
  const checksums: SourceChecksum[] = [];
  let skipped = 0;
  try {
    // No WAL, no journal: the build file is private until renamed, a crash just discards it.
    db.exec(
      'PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;',
    );
    db.exec(SCHEMA_SQL);
    // Build-only index: finding a replaced record's rows; dropped before VACUUM.
    db.exec('CREATE INDEX affected_vid ON affected (vid)');
    const writer = new Writer(db, opts.batchSize ?? 5000);

    const skip = (source: string, name: string, reason: string) => {
      skipped++;
      skippedReasons[reason] = (skippedReasons[reason] ?? 0) + 1;
      if (skippedExamples.length < MAX_EXAMPLES) skippedExamples.push({ source, name, reason });
      opts.onSkip?.({ source, name, reason });
    };
    const handle = (source: string, name: string, value: unknown) => {
      const parsed = parseOsvRecord(value);
      if (!parsed.ok) return skip(source, name, parsed.reason);
      const dup = writer.write(parsed.record);
      if (dup) skip(source, name, dup);
    };

    for (const source of opts.sources ?? []) {
      for await (const entry of readSource(source, (c) => checksums.push(c))) {
        if (entry.error || !entry.data) {
          skip(source, entry.name, entry.error ?? 'unreadable');
          continue;
        }
        let json: unknown;
        try {
          json = JSON.parse(Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString('utf8'));
        } catch {
          skip(source, entry.name, 'invalid JSON');
          continue;
        }
        for (const r of recordsOf(json)) handle(source, entry.name, r);
      }
    }
    if (opts.records) {
      let i = 0;
      for await (const r of opts.records as AsyncIterable<unknown>) {
        const name = `record ${i++}`;
        if (typeof r === 'string') {
          let json: unknown;
          try {
            json = JSON.parse(r);
          } catch {
            skip('records', name, 'invalid JSON');
            continue;
          }
          handle('records', name, json);
        } else handle('records', name, r);
      }
    }
    writer.finish();
    db.exec('DROP INDEX affected_vid');
    const intel = await writeIntel(db, opts);

    const counts: Record<string, number> = {};
    for (const row of db.prepare('SELECT eco_key AS k, COUNT(DISTINCT vid) AS n FROM affected GROUP BY eco_key ORDER BY eco_key').all() as {
      k: string;
      n: number;
    }[]) {
      counts[row.k] = row.n;
    }
    const records = (db.prepare('SELECT COUNT(*) AS n FROM vulnerabilities').get() as { n: number }).n;
    const withdrawn = (db.prepare('SELECT COUNT(*) AS n FROM vulnerabilities WHERE withdrawn IS NOT NULL').get() as { n: number }).n;
    const metadata: DbMetadata = {
      schemaVersion: SCHEMA_VERSION,
      version,
      builtAt: now().toISOString(),
      sources: checksums,
      countsPerEcosystem: counts,
      records,
      withdrawn,
      skipped,
      skippedReasons,
      skippedExamples,
      intel,
    };
    const put = db.prepare('INSERT INTO metadata (key, value) VALUES (?, ?)');
    put.run(META.schemaVersion, String(SCHEMA_VERSION));
    put.run(META.version, version);
    put.run(META.builtAt, metadata.builtAt);
    put.run(META.sources, JSON.stringify(checksums));
    put.run(META.counts, JSON.stringify(counts));
    put.run(META.records, String(records));
    put.run(META.withdrawn, String(withdrawn));
    put.run(META.skipped, String(skipped));
    put.run(META.skippedReasons, JSON.stringify(skippedReasons));
    put.run(META.skippedExamples, JSON.stringify(skippedExamples));
    put.run(META.intel, JSON.stringify(intel));
    db.exec('ANALYZE');
    db.exec('VACUUM');
    db.close();
    await rename(tmp, opts.out);
    return { file: opts.out, metadata, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    if (db.isOpen) db.close();
    await rm(tmp, { force: true });
    throw err;
  }
}
