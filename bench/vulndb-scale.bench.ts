// Vulnerability database at osv.dev's real size: 600,000 synthetic OSV records across eleven
// ecosystems (bench/vulndb-scale-records.ts), generated on the fly and streamed as JSON text
// into the builder, so the benchmark itself never holds the corpus. Measured: build time, file
// size, peak RSS of the build, and a 2,000-package Debian 12 inventory matched cold (first query
// on a freshly opened file) and warm (second query, same handle).
// Baselines in the same run: the existing benchmark's 200,000-record scale (the first 200k of
// the same stream) built and matched, and a raw JSON.parse pass over the same records (the least
// any build must spend reading them) with the generation + JSON.stringify cost build_s includes.
// VULNDB_SCALE_RECORDS overrides the count when a machine cannot build 600k inside two minutes.
// Last line: `records=… build_s=… db_mb=… build_peak_rss_mb=… match_open_ms=… match_cold_ms=…
// match_reopen_ms=… match_warm_ms=… baseline_records=… baseline_build_s=… … baseline_json_parse_s=… findings=…`.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OsInfo, Package } from '../packages/inventory/src/index.ts';
import { buildDatabase, openDatabase } from '../packages/vulndb/src/index.ts';
import { scaleInventory, scaleRecords } from './vulndb-scale-records.ts';

const TARGET = 600_000;
const RECORDS = Number(process.env.VULNDB_SCALE_RECORDS ?? TARGET);

const BASELINE_RECORDS = Math.min(200_000, RECORDS);

async function* recordText(count: number): AsyncGenerator<string> {
  for (const r of scaleRecords(count)) yield JSON.stringify(r);
}

/** Opens the file and matches twice: open, first (cold) query and second (warm) query timed. */
function timeMatch(file: string, pkgs: Package[], os: OsInfo) {
  const t0 = performance.now();
  const db = openDatabase(file);
  const t1 = performance.now();
  const findings = db.match(pkgs, os);
  const t2 = performance.now();
  const again = db.match(pkgs, os);
  const t3 = performance.now();
  db.close();
  // A second fresh handle: SQLite's page cache is empty again but the matcher's code is already
  // compiled, which splits the first query's cost between data access and JIT warm-up.
  const db2 = openDatabase(file);
  const t4 = performance.now();
  db2.match(pkgs, os);
  const reopenMs = performance.now() - t4;
  db2.close();
  if (again.length !== findings.length) console.log(`WARNING: warm match found ${again.length}, cold ${findings.length}`);
  return { findings, openMs: t1 - t0, coldMs: t2 - t1, warmMs: t3 - t2, reopenMs };
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const dir = await mkdtemp(join(tmpdir(), 'assay-vulndb-scale-'));
try {
  if (RECORDS < TARGET) console.log(`NOTE: ${RECORDS} records (VULNDB_SCALE_RECORDS), below osv.dev's ~${TARGET}`);
  const out = join(dir, 'vulndb.sqlite');
  const rssBefore = mb(process.memoryUsage().rss);
  const t0 = performance.now();
  const built = await buildDatabase({ records: recordText(RECORDS), out });
  const buildS = (performance.now() - t0) / 1000;
  // maxRSS is the process's high-water mark; the build runs first, so it is the build's peak.
  const peakRss = process.resourceUsage().maxRSS / 1024;
  const dbMb = mb((await stat(out)).size);
  const m = built.metadata;
  console.log(
    `build: ${m.records} records (${m.skipped} skipped) in ${buildS.toFixed(2)} s, ${dbMb.toFixed(1)} MB, peak RSS ${peakRss.toFixed(0)} MB (${rssBefore.toFixed(0)} MB before)`,
  );
  console.log(`per ecosystem: ${JSON.stringify(m.countsPerEcosystem)}`);
  if (m.skipped) console.log(`skipped: ${JSON.stringify(m.skippedReasons)}`);

  const pkgs = scaleInventory();
  const os: OsInfo = { family: 'debian', name: '12.5' };
  // "Cold" is a fresh handle on a file the OS may still cache: the first query pays statement
  // preparation and SQLite's page cache fill, not disk reads (dropping the OS cache needs root).
  // The 600,000-record cold match is also the first in this process (code not yet compiled); the
  // baseline's runs after it, so its "cold" is compiled code on a fresh handle, like reopen.
  const { findings, openMs, coldMs, warmMs, reopenMs } = timeMatch(out, pkgs, os);
  const byType: Record<string, number> = {};
  for (const f of findings) byType[f.packageType] = (byType[f.packageType] ?? 0) + 1;
  console.log(
    `match: ${pkgs.length} packages → ${findings.length} findings (${JSON.stringify(byType)}): open ${openMs.toFixed(1)} ms, ${coldMs.toFixed(1)} ms cold (first in process), ${reopenMs.toFixed(1)} ms on a fresh handle after, ${warmMs.toFixed(1)} ms warm`,
  );
  await rm(out);

  // Baseline 1: the existing benchmark's scale (200k records of the same stream), built and matched.
  const baseOut = join(dir, 'baseline.sqlite');
  const t4 = performance.now();
  await buildDatabase({ records: recordText(BASELINE_RECORDS), out: baseOut });
  const baseBuildS = (performance.now() - t4) / 1000;
  const baseMb = mb((await stat(baseOut)).size);
  const base = timeMatch(baseOut, pkgs, os);
  await rm(baseOut);
  console.log(
    `baseline ${BASELINE_RECORDS} records: build ${baseBuildS.toFixed(2)} s, ${baseMb.toFixed(1)} MB; match ${base.findings.length} findings, ${base.coldMs.toFixed(1)} ms cold, ${base.reopenMs.toFixed(1)} ms fresh handle, ${base.warmMs.toFixed(1)} ms warm`,
  );

  // Baseline 2: the same records generated and stringified (a cost inside build_s), then parsed.
  let genMs = 0;
  let parseMs = 0;
  let bytes = 0;
  let t = performance.now();
  for (const r of scaleRecords(RECORDS)) {
    const text = JSON.stringify(r);
    const t3 = performance.now();
    genMs += t3 - t;
    bytes += text.length;
    JSON.parse(text);
    t = performance.now();
    parseMs += t - t3;
  }
  console.log(
    `baseline: generate + stringify ${(genMs / 1000).toFixed(2)} s, JSON.parse ${(parseMs / 1000).toFixed(2)} s of ${mb(bytes).toFixed(0)} MB JSON; build beyond both: ${(buildS - (genMs + parseMs) / 1000).toFixed(2)} s`,
  );
  const flags = [
    buildS > 60 ? 'build_s>60' : '',
    dbMb > 300 ? 'db_mb>300' : '',
    coldMs > 150 ? 'match_cold_ms>150' : '',
    RECORDS < TARGET ? `records<${TARGET}` : '',
  ].filter(Boolean);
  console.log(`aims (build ≤ 60 s, file ≤ 300 MB, cold match ≤ 150 ms): ${flags.length ? `MISSED ${flags.join(', ')}` : 'met'}`);
  console.log(
    `records=${m.records} build_s=${buildS.toFixed(2)} db_mb=${dbMb.toFixed(1)} build_peak_rss_mb=${peakRss.toFixed(0)} match_open_ms=${openMs.toFixed(1)} match_cold_ms=${coldMs.toFixed(1)} match_reopen_ms=${reopenMs.toFixed(1)} match_warm_ms=${warmMs.toFixed(1)} baseline_records=${BASELINE_RECORDS} baseline_build_s=${baseBuildS.toFixed(2)} baseline_db_mb=${baseMb.toFixed(1)} baseline_match_cold_ms=${base.coldMs.toFixed(1)} baseline_match_reopen_ms=${base.reopenMs.toFixed(1)} baseline_match_warm_ms=${base.warmMs.toFixed(1)} baseline_gen_s=${(genMs / 1000).toFixed(2)} baseline_json_parse_s=${(parseMs / 1000).toFixed(2)} json_mb=${mb(bytes).toFixed(0)} findings=${findings.length}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
