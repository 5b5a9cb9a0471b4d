// `assay vulndb build|update|info`: the vulnerability database file the scanner matches with,
// built from OSV records, fetched from its OCI artifact or a URL, described from its metadata.
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  buildDatabase,
  dbPath,
  fetchDatabase,
  fetchDatabaseFromUrl,
  updateFromOsvExports,
  verifyDatabaseFile,
  type DbMetadata,
} from '@assay/vulndb';
import { parseCommandArgs } from './args.ts';
import { CliError, EXIT_ALLOWED, EXIT_ERROR, type CliIo } from './io.ts';
import { osvBaseUrl, vulnDbCacheDir } from './vuln-data.ts';

export const VULNDB_USAGE = `Usage: assay vulndb <build|update|info> [options]

  build --out <file|dir/> <source…>  compile OSV records into a database file (a directory,
                                 made when missing, gets vulndb.sqlite); a source is a
                                 directory of *.json, a zip (osv.dev all.zip), a JSON file or an
                                 http(s) URL to one  [--version <v>]
                                 [--epss <csv>: FIRST's EPSS CSV (.csv.gz or plain), file or URL]
                                 [--kev <json>: CISA's known_exploited_vulnerabilities.json, file or URL]
                                 [--eol-table <json>: OS end-of-life dates instead of the shipped table]
  update --source <src> --dir <d>  install the published database into <d>/vulndb.sqlite when
                                 it is newer; <src> is oci://registry/repository:tag or an
                                 https:// URL to a database file  [--insecure]
  update --ecosystem <e,…> [--dir <d>]  build the database from osv.dev's exports of these
                                 ecosystems (npm, PyPI, Go, Maven, crates.io, Debian, Alpine,
                                 Ubuntu…) and swap it in; <d> defaults to the cache \`assay scan\`
                                 uses ($ASSAY_CACHE_DIR/vulndb, else ~/.cache/assay/vulndb)
                                 [--osv-url <url>: where the exports are, also ASSAY_OSV_URL]
  info <file|dir>                the database's version, build time, sources and counts  [--output json]

Exit status: 0 done, 2 error (one line on stderr).
`;

export function metadataText(file: string, m: DbMetadata): string {
  const counts = Object.entries(m.countsPerEcosystem).sort(([a], [b]) => a.localeCompare(b));
  return [
    `File: ${file}`,
    `Version: ${m.version}`,
    `Built: ${m.builtAt}`,
    `Schema: ${m.schemaVersion}`,
    `Records: ${m.records} (${m.withdrawn} withdrawn, ${m.skipped} skipped)`,
    ...(m.sources.length ? ['Sources:', ...m.sources.map((s) => `  ${s.kind} ${s.source} sha256:${s.sha256}`)] : []),
    ...(counts.length ? ['Per ecosystem:', ...counts.map(([k, n]) => `  ${k}: ${n}`)] : []),
    ...(Object.keys(m.skippedReasons).length ? ['Skipped:', ...Object.entries(m.skippedReasons).map(([r, n]) => `  ${r}: ${n}`)] : []),
    ...intelLines(m.intel),
    '',
  ].join('\n');
}

/** The intelligence the file carries: EPSS and KEV with their feed's own version and date, the end-of-life table's source. */
function intelLines(intel: DbMetadata['intel']): string[] {
  if (!intel) return [];
  const lines = ['Intelligence:'];
  if (intel.epss)
    lines.push(
      `  EPSS: ${intel.epss.count} CVEs (model ${intel.epss.modelVersion ?? '?'}, scores of ${intel.epss.scoreDate ?? '?'}) from ${intel.epss.source}`,
    );
  else lines.push('  EPSS: none');
  if (intel.kev)
    lines.push(
      `  KEV: ${intel.kev.count} CVEs (catalogue ${intel.kev.catalogVersion ?? '?'}, released ${intel.kev.dateReleased ?? '?'}) from ${intel.kev.source}`,
    );
  else lines.push('  KEV: none');
  if (intel.eol) lines.push(`  OS end of life: ${intel.eol.count} releases from ${intel.eol.source}`);
  return lines;
}

async function build(argv: readonly string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs(argv, {
    out: { type: 'string' },
    version: { type: 'string' },
    epss: { type: 'string' },
    kev: { type: 'string' },
    'eol-table': { type: 'string' },
  });
  if (p.values.help) return (io.stdout(VULNDB_USAGE), EXIT_ALLOWED);
  const outArg = p.values.out as string | undefined;
  if (!outArg) throw new CliError('build: --out <file> is required');
  // A directory (existing, or written with a trailing slash) gets the file `vulndb update` installs.
  const out = /[\\/]$/.test(outArg) || (existsSync(outArg) && statSync(outArg).isDirectory()) ? dbPath(outArg) : outArg;
  // The directory is made here: SQLite's own error for a missing one ("unable to open database
  // file") names neither the file nor the cause.
  await mkdir(dirname(resolve(out)), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`build: cannot create the directory of --out ${outArg}: ${err.code ?? err.message}`);
  });
  if (p.positionals.length === 0) throw new CliError('build: name at least one source (directory, zip, JSON file or URL)');
  for (const s of p.positionals)
    if (!/^https?:\/\//.test(s) && !existsSync(s)) throw new CliError(`build: ${s}: no such file or directory`);
  const intel = { epss: p.values.epss, kev: p.values.kev, eolTable: p.values['eol-table'] };
  for (const [flag, s] of [
    ['--epss', intel.epss],
    ['--kev', intel.kev],
    ['--eol-table', intel.eolTable],
  ] as const)
    if (typeof s === 'string' && !/^https?:\/\//.test(s) && !existsSync(s)) throw new CliError(`build: ${flag} ${s}: no such file`);
  let skipped = 0;
  const r = await buildDatabase({
    sources: p.positionals,
    out,
    ...(typeof p.values.version === 'string' ? { version: p.values.version } : {}),
    ...(typeof intel.epss === 'string' ? { epss: intel.epss } : {}),
    ...(typeof intel.kev === 'string' ? { kev: intel.kev } : {}),
    ...(typeof intel.eolTable === 'string' ? { eolTable: intel.eolTable } : {}),
    onSkip: () => void skipped++,
  }).catch((err: Error) => {
    throw new CliError(`build: ${err.message}`);
  });
  io.stderr(
    `assay vulndb: built ${r.file}: version ${r.metadata.version}, ${r.metadata.records} records, ${skipped} skipped, ${r.seconds.toFixed(1)} s\n`,
  );
  return EXIT_ALLOWED;
}

async function info(argv: readonly string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs(argv, { output: { type: 'string', short: 'o' } });
  if (p.values.help) return (io.stdout(VULNDB_USAGE), EXIT_ALLOWED);
  if (p.positionals.length !== 1) throw new CliError('info: expected one database file or directory');
  const arg = p.positionals[0]!;
  if (!existsSync(arg)) throw new CliError(`info: ${arg}: no such file or directory`);
  const file = statSync(arg).isDirectory() ? dbPath(arg) : arg;
  let m: DbMetadata;
  try {
    m = verifyDatabaseFile(file, { integrity: false });
  } catch (err) {
    throw new CliError(`info: ${file}: ${(err as Error).message}`);
  }
  io.stdout(p.values.output === 'json' ? `${JSON.stringify({ file, ...m }, null, 2)}\n` : metadataText(file, m));
  return EXIT_ALLOWED;
}

async function update(argv: readonly string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs(argv, {
    source: { type: 'string' },
    dir: { type: 'string' },
    insecure: { type: 'boolean' },
    ecosystem: { type: 'string', multiple: true },
    'osv-url': { type: 'string' },
  });
  if (p.values.help) return (io.stdout(VULNDB_USAGE), EXIT_ALLOWED);
  const source = p.values.source as string | undefined;
  if (source === undefined || source === 'osv') return updateFromOsv(p.values, io);
  const dir = p.values.dir as string | undefined;
  if (!dir) throw new CliError('update: --dir is required with --source');
  await mkdir(dir, { recursive: true });
  const file = dbPath(dir);
  let current: string | undefined;
  if (existsSync(file)) {
    try {
      current = verifyDatabaseFile(file, { integrity: false }).version;
    } catch {
      current = undefined; // an unreadable file is replaced
    }
  }
  let r: { updated: boolean; version: string | undefined };
  try {
    const oci = /^oci:\/\/([^/]+)\/(.+?)(?::([\w][\w.-]{0,127}))?$/.exec(source);
    if (oci) {
      r = await fetchDatabase({
        registry: oci[1]!,
        repository: oci[2]!,
        tag: oci[3] ?? 'latest',
        dir,
        ...(p.values.insecure ? { insecure: true } : {}),
        ...(current ? { currentVersion: current } : {}),
      });
    } else if (/^https?:\/\//.test(source)) {
      if (source.startsWith('http:') && !p.values.insecure && !/^http:\/\/(127\.|localhost[:/]|\[::1\])/.test(source))
        throw new CliError(`update: ${source} is plain HTTP: use https://, or --insecure`);
      r = await fetchDatabaseFromUrl(source, dir, current ? { currentVersion: current } : {});
    } else {
      throw new CliError(`update: --source must be oci://registry/repository[:tag] or an http(s) URL, got ${JSON.stringify(source)}`);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`update: ${source}: ${(err as Error).message}`);
  }
  io.stderr(
    r.updated
      ? `assay vulndb: installed version ${r.version} in ${file}\n`
      : `assay vulndb: ${file} is current (version ${r.version ?? current})\n`,
  );
  return EXIT_ALLOWED;
}

/** `update` without a published source: osv.dev's exports of the named ecosystems, built here. */
async function updateFromOsv(
  v: { dir?: string | undefined; ecosystem?: string[] | undefined; 'osv-url'?: string | undefined },
  io: CliIo,
): Promise<number> {
  const env = io.env ?? process.env;
  const ecosystems = (v.ecosystem ?? [])
    .flatMap((e) => e.split(','))
    .map((e) => e.trim())
    .filter(Boolean);
  if (ecosystems.length === 0)
    throw new CliError(
      'update: name the ecosystems to fetch from osv.dev with --ecosystem (npm,PyPI,Debian…), or a published database with --source',
    );
  const baseUrl = osvBaseUrl(v['osv-url'], env);
  const dir = v.dir ?? vulnDbCacheDir(env);
  let r;
  try {
    r = await updateFromOsvExports({ dir, ecosystems, baseUrl });
  } catch (err) {
    throw new CliError(`update: ${(err as Error).message}`);
  }
  io.stderr(
    `assay vulndb: installed version ${r.metadata.version} in ${r.file} (${r.metadata.records} records from ${r.urls.join(', ')})\n`,
  );
  return EXIT_ALLOWED;
}

export async function vulndbCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'build':
      return build(rest, io);
    case 'update':
      return update(rest, io);
    case 'info':
      return info(rest, io);
    case '-h':
    case '--help':
      io.stdout(VULNDB_USAGE);
      return EXIT_ALLOWED;
    case undefined:
      io.stderr(VULNDB_USAGE);
      return EXIT_ERROR;
    default:
      throw new CliError(`unknown subcommand ${JSON.stringify(sub)}; build, update or info`);
  }
}
