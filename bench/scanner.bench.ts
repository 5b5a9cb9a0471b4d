// Scanner layer throughput: a multi-layer image (the cached Debian bookworm rootfs plus generated
// layers) in a real Distribution registry, scanned by the scanner's pipeline with every analyzer
// of @assay/inventory (cache off), against a baseline in the same run: the same layer blobs
// fetched from the same registry with the same client and walked by a raw Node createGunzip() +
// tar-stream extract that drains every entry (no hashing, no analyzers). Then a cache-hit rescan
// (per layer), and the peak RSS of the process over the whole run.
// Last line: scanner_vs_raw_untar_ratio=… cache_hit_ms=… peak_rss_mb=…
//   ratio = raw_time / scanner_time (1.0 = the scanner costs nothing over a bare untar).
import { randomBytes } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { RegistryClient } from '@assay/registry-client';
import { openStore } from '@assay/store';
import { DEFAULT_LIMITS, defaultAnalyzerRegistry, newScanState, scanImage, type ScanTarget } from '@assay/scan-engine';
import { debianImage } from '../test/support/debian-rootfs.ts';
import { pushImage, type LayerEntry } from '../test/support/oci-image.ts';
import { startRegistry } from '../test/support/oci-registry.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);

function generatedLayer(seed: number): LayerEntry[] {
  // ~24 MB: a node_modules-like tree of small files, some text, some incompressible.
  const entries: LayerEntry[] = [];
  for (let i = 0; i < 400; i++) {
    const dir = `srv/app${seed}/node_modules/pkg${i}`;
    entries.push({ path: `${dir}/package.json`, content: JSON.stringify({ name: `pkg${i}`, version: `1.${seed}.${i}`, license: 'MIT' }) });
    entries.push({ path: `${dir}/index.js`, content: `module.exports = ${JSON.stringify('x'.repeat(2000))};\n`.repeat(10) });
    entries.push({ path: `${dir}/blob.bin`, content: randomBytes(32 * 1024) });
  }
  return entries;
}

const registry = await startRegistry();
const store = await openStore({ SQLITE_PATH: ':memory:' });
try {
  const image = await debianImage({ layers: [generatedLayer(1), generatedLayer(2), generatedLayer(3)] });
  await pushImage(registry.host, 'bench/debian', 'v1', image);
  const client = new RegistryClient({ registry: registry.host, insecure: true, retries: 0 });
  const analyzers = defaultAnalyzerRegistry();
  const target: ScanTarget = { registry: registry.host, repository: 'bench/debian', digest: image.digest };
  const layers = image.layers;

  async function raw(): Promise<number> {
    const t = performance.now();
    for (const l of layers) {
      const blob = await client.blob('bench/debian', l.digest, { expectedSize: l.size });
      const extract = tar.extract();
      blob.pipe(createGunzip()).pipe(extract as unknown as NodeJS.WritableStream);
      for await (const entry of extract) entry.resume();
    }
    return performance.now() - t;
  }

  async function scan(cache: boolean): Promise<number> {
    const t = performance.now();
    const state = newScanState();
    await scanImage(
      { analyzers, clientFor: () => client, limits: DEFAULT_LIMITS, layerCache: cache ? store.layerCache : undefined },
      target,
      state,
    );
    if (!state.view || state.view.packages.length === 0) throw new Error('the scan found no packages');
    return performance.now() - t;
  }

  // warm-up (page cache of the registry's files, JIT)
  await raw();
  await scan(false);
  const rawTimes: number[] = [];
  const scanTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rawTimes.push(await raw());
    scanTimes.push(await scan(false));
  }
  await scan(true); // fills the cache
  const hitTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) hitTimes.push(await scan(true));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rawMs = median(rawTimes);
  const scanMs = median(scanTimes);
  const hitPerLayer = median(hitTimes) / layers.length;
  const last = newScanState();
  await scanImage({ analyzers, clientFor: () => client, limits: DEFAULT_LIMITS }, target, last);
  const inflated = last.analyses.reduce((s, a) => s + a.inflatedBytes, 0);
  await client.close();
  clearInterval(sampler);
  console.log(`layers=${layers.length} inflated_mb=${(inflated / 1e6).toFixed(0)} analyzers=${Object.keys(analyzers.versions()).length}`);
  console.log(
    `raw_untar_ms=${rawMs.toFixed(0)} scanner_ms=${scanMs.toFixed(0)} cache_hit_scan_ms=${median(hitTimes).toFixed(1)} scanner_mb_per_s=${(inflated / 1e6 / (scanMs / 1000)).toFixed(0)}`,
  );
  console.log(
    `scanner_vs_raw_untar_ratio=${(rawMs / scanMs).toFixed(2)} cache_hit_ms=${hitPerLayer.toFixed(1)} peak_rss_mb=${(peak / 1024 / 1024).toFixed(0)}`,
  );
} finally {
  clearInterval(sampler);
  await store.close();
  await registry.close();
}
