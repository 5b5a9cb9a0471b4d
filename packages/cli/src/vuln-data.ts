// Where `assay scan` gets vulnerability data without --vulndb: a database kept in the user's cache
// directory, built on first need from osv.dev's per-ecosystem exports for the ecosystems of the
// packages just found (Trivy's first run), and rebuilt when it lacks one of them or is a day old.
// Without network (or with --offline) the scan still completes: an existing database is used as
// it is, and with none the report says plainly that vulnerabilities were not checked and why.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ScanReport } from '@assay/domain';
import { matchReport, osOfReport, withFindings } from '@assay/scan-engine';
import {
  dbPath,
  DownloadError,
  exportEcosystems,
  exportsIn,
  OSV_EXPORT_BASE,
  openDatabase,
  updateFromOsvExports,
  verifyDatabaseFile,
  type DbMetadata,
} from '@assay/vulndb';
import { CliError } from './io.ts';

/** A database built from exports is rebuilt after this long (osv.dev re-exports continuously). */
export const OSV_REFRESH_MS = 24 * 3600 * 1000;

type Env = Record<string, string | undefined>;

/** `$ASSAY_CACHE_DIR/vulndb`, else `$XDG_CACHE_HOME/assay/vulndb`, else `~/.cache/assay/vulndb`. */
export function vulnDbCacheDir(env: Env = process.env): string {
  if (env.ASSAY_CACHE_DIR) return join(env.ASSAY_CACHE_DIR, 'vulndb');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'assay', 'vulndb');
}

/** The exports' base URL: --osv-url, else $ASSAY_OSV_URL, else osv.dev; plain HTTP only to a loopback host. */
export function osvBaseUrl(flag: string | undefined, env: Env = process.env): string {
  const url = flag ?? env.ASSAY_OSV_URL ?? OSV_EXPORT_BASE;
  if (!/^https?:\/\//.test(url)) throw new CliError(`--osv-url must be an http(s) URL, got ${JSON.stringify(url)}`);
  if (url.startsWith('http:') && !/^http:\/\/(127\.|localhost[:/]|\[::1\])/.test(url))
    throw new CliError(`--osv-url ${url} is plain HTTP: use https:// (plain HTTP is accepted for a loopback host only)`);
  return url;
}

export interface VulnDataOptions {
  /** Cache directory of the database (vulnDbCacheDir by default). */
  dir: string;
  baseUrl: string;
  /** Never download: use the cached database as it is, or none. */
  offline: boolean;
  now?: () => Date;
  fetch?: typeof fetch;
}

function cachedMetadata(dir: string): DbMetadata | undefined {
  const file = dbPath(dir);
  if (!existsSync(file)) return undefined;
  try {
    return verifyDatabaseFile(file, { integrity: false });
  } catch {
    return undefined; // an unreadable file is rebuilt
  }
}

function matchWith(report: ScanReport, file: string): ScanReport {
  const db = openDatabase(file);
  try {
    return matchReport(report, db);
  } finally {
    db.close();
  }
}

/**
 * The report matched against the cached database, fetched or rebuilt first when it lacks the
 * report's ecosystems or is stale; `note` gets one line for stderr about what happened.
 */
export async function matchWithCachedData(report: ScanReport, opts: VulnDataOptions, note: (line: string) => void): Promise<ScanReport> {
  const file = dbPath(opts.dir);
  const meta = cachedMetadata(opts.dir);
  const needed = exportEcosystems(report.packages as never, osOfReport(report));
  const have = meta ? exportsIn(meta) : [];
  const now = (opts.now ?? (() => new Date()))().getTime();
  const stale = meta !== undefined && have.length > 0 && now - Date.parse(meta.builtAt) > OSV_REFRESH_MS;
  const missing = needed.filter((e) => !have.includes(e));
  // A database not built from exports (a published one, an air-gapped copy) is used as it is, never replaced.
  if (meta && have.length === 0) return matchWith(report, file);
  if (needed.length === 0 && !meta) {
    note('assay scan: note: no vulnerability matching was done (no package of an ecosystem osv.dev exports)');
    return withFindings(report, undefined, undefined);
  }
  if ((missing.length > 0 || stale) && !opts.offline) {
    // What the cache had is kept in the new database: one cache serves every image scanned.
    const ecosystems = [...new Set([...have, ...needed])].sort();
    try {
      const r = await updateFromOsvExports({
        dir: opts.dir,
        ecosystems,
        baseUrl: opts.baseUrl,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      note(`assay scan: vulnerability data for ${ecosystems.join(', ')} from ${opts.baseUrl} (version ${r.metadata.version}, ${r.file})`);
      return matchWith(report, r.file);
    } catch (err) {
      const why = err instanceof DownloadError ? err.message : `could not build the database: ${(err as Error).message}`;
      if (!meta) {
        note(`assay scan: no vulnerability data: not checked — ${why} (no vulnerability matching was done; --vulndb <file> uses a copy)`);
        return withFindings(report, undefined, undefined);
      }
      note(
        `assay scan: ${why}; using the database built ${meta.builtAt} (${file})${missing.length ? `, which has no data for ${missing.join(', ')}` : ''}`,
      );
      return matchWith(report, file);
    }
  }
  if (!meta) {
    note('assay scan: note: no vulnerability matching was done (--offline and no database in the cache; give --vulndb)');
    return withFindings(report, undefined, undefined);
  }
  if (missing.length > 0) note(`assay scan: note: the cached database (${file}) has no data for ${missing.join(', ')} (--offline)`);
  return matchWith(report, file);
}
