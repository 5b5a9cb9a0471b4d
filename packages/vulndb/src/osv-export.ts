// A database with data on the first run, with no published database to fetch: osv.dev's
// per-ecosystem exports (`<base>/<Ecosystem>/all.zip`) for the ecosystems wanted, compiled by
// the ordinary builder (build.ts) into a temporary file beside the target, verified and renamed
// into place (install.ts), so a reader sees the old database or the new one, never a mix.
// Every export is downloaded before anything is built: one that cannot be fetched fails the
// update with its URL and reason (DownloadError), and the database already there stays.
import { rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import type { OsInfo, Package } from '@assay/inventory';
import { buildDatabase } from './build.ts';
import { splitEcosystem, lookupsFor } from './ecosystems.ts';
import { commitDatabaseFile, dbPath, tempPathIn } from './install.ts';
import { readMetadata } from './metadata.ts';
import { META, type DbMetadata } from './schema.ts';
import { download } from './sources.ts';

/** osv.dev's public bucket of exports. */
export const OSV_EXPORT_BASE = 'https://osv-vulnerabilities.storage.googleapis.com';

/** The exports a server builds from when none are named: the OS distributions and language registries images hold most. */
export const OSV_DEFAULT_ECOSYSTEMS: readonly string[] = [
  'AlmaLinux',
  'Alpine',
  'Chainguard',
  'crates.io',
  'Debian',
  'Go',
  'Maven',
  'npm',
  'NuGet',
  'Packagist',
  'PyPI',
  'Red Hat',
  'Rocky Linux',
  'RubyGems',
  'SUSE',
  'Ubuntu',
  'Wolfi',
];

/** The export of one ecosystem (its base name: `Debian`, `npm`, `PyPI`, `crates.io`, `Red Hat`). */
export function osvExportUrl(ecosystem: string, base = OSV_EXPORT_BASE): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(ecosystem)}/all.zip`;
}

/**
 * The export names a set of packages needs: each package's lookup ecosystems reduced to their
 * base (`Debian:12` → `Debian`: the base export holds every release), sorted, unique.
 */
export function exportEcosystems(packages: readonly Package[], os?: OsInfo): string[] {
  const out = new Set<string>();
  for (const p of packages) for (const l of lookupsFor(p, os)) for (const k of l.keys) out.add(splitEcosystem(k).base);
  return [...out].sort();
}

/** The ecosystems a database built from exports holds (its sources are export URLs). */
export function exportsIn(metadata: DbMetadata): string[] {
  const out = new Set<string>();
  for (const s of metadata.sources) {
    const m = /\/([^/]+)\/all\.zip$/.exec(s.source);
    if (m) out.add(decodeURIComponent(m[1]!));
  }
  return [...out].sort();
}

export interface OsvUpdateOptions {
  /** Directory of vulndb.sqlite. */
  dir: string;
  ecosystems: readonly string[];
  /** Where the exports are (a mirror, a test server); osv.dev's bucket by default. */
  baseUrl?: string | undefined;
  fetch?: typeof fetch;
  maxDownloadBytes?: number;
}

export interface OsvUpdateResult {
  file: string;
  metadata: DbMetadata;
  urls: string[];
}

/** Downloads every export, builds a database from them and swaps it in atomically. */
export async function updateFromOsvExports(opts: OsvUpdateOptions): Promise<OsvUpdateResult> {
  const ecosystems = [...new Set(opts.ecosystems)].sort();
  if (ecosystems.length === 0) throw new Error('no ecosystem to fetch');
  const urls = ecosystems.map((e) => osvExportUrl(e, opts.baseUrl));
  const files: { file: string; remove(): Promise<void> }[] = [];
  try {
    for (const url of urls)
      files.push(
        await download(url, {
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
          ...(opts.maxDownloadBytes !== undefined ? { maxBytes: opts.maxDownloadBytes } : {}),
        }),
      );
    const tmp = await tempPathIn(opts.dir);
    try {
      await buildDatabase({ sources: files.map((f) => f.file), out: tmp });
      nameSources(tmp, urls);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const metadata = await commitDatabaseFile(tmp, opts.dir);
    return { file: dbPath(opts.dir), metadata, urls };
  } finally {
    await Promise.all(files.map((f) => f.remove()));
  }
}

/** The metadata names the temporary download paths; the URLs are what a person (and exportsIn) reads. */
function nameSources(file: string, urls: readonly string[]): void {
  const db = new DatabaseSync(file);
  try {
    const m = readMetadata(db);
    const sources = m.sources.map((s, i) => ({ ...s, source: urls[i] ?? s.source }));
    db.prepare('UPDATE metadata SET value = ? WHERE key = ?').run(JSON.stringify(sources), META.sources);
  } finally {
    db.close();
  }
}
