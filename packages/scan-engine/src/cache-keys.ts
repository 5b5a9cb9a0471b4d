// Why an image was scanned again, answered in one place. Two caches decide it, each keyed by a
// map of versions (Trivy's rule: analyzer type → version, so bumping one analyzer invalidates
// exactly what it contributed to):
//
// - a stored REPORT answers a scan job when it was made with the same `reportVersions`: every
//   analyzer's version, the walker's, whether malware was scanned, and the hash of the custom
//   check definitions (other checks are another analysis);
// - a cached LAYER analysis is reused when its `layerCacheVersions` match: every analyzer's and
//   the walker's version, clamd's signature database (a new database rescans layers instead of
//   reusing verdicts), the paths custom checks read (a layer walked for other paths has not
//   recorded these), and the OS found below the layer (what an analyzer makes of a layer may
//   depend on it: the distro of a deb purl).
//
// The layer itself is named by its blob digest, which the manifest digest chain verifies: a cache
// hit can never be claimed by an image for bytes it does not have.
import { createHash } from 'node:crypto';
import type { AnalyzerRegistry, CheckDefinition, OsInfo } from '@assay/inventory';
import { WALKER_KEY, WALKER_VERSION } from './walker.ts';

export type Versions = Record<string, number>;

/** Report-level version of malware scanning: a report made without it is not reused. */
const MALWARE_KEY = 'scanner-malware';
/** Report-level prefix of the custom checks' hash. */
const CHECKS_KEY = 'scanner-checks';

const sorted = (v: Versions): Versions => Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
const sha256 = (text: string, hexChars: number): string => createHash('sha256').update(text).digest('hex').slice(0, hexChars);

/** Every analyzer's version and the walker's: the base of both keys. */
export function analyzerVersionsOf(analyzers: AnalyzerRegistry): Versions {
  return sorted({ ...analyzers.versions(), [WALKER_KEY]: WALKER_VERSION });
}

/** The versions a report records, and that decide whether a stored report answers a scan job. */
export function reportVersions(
  analyzers: AnalyzerRegistry,
  opts: { malware: boolean; checks?: readonly CheckDefinition[] | undefined },
): Versions {
  const v = analyzerVersionsOf(analyzers);
  if (opts.malware) v[MALWARE_KEY] = 1;
  if ((opts.checks?.length ?? 0) > 0) v[`${CHECKS_KEY}:${sha256(JSON.stringify(opts.checks), 16)}`] = 1;
  return sorted(v);
}

/**
 * The walker's contribution to the layer cache key: a layer walked for other paths has not
 * recorded these. Undefined when no check reads the filesystem (the key stays as it was).
 */
export function checkPathsKey(paths: ReadonlyMap<string, number>): string | undefined {
  if (paths.size === 0) return undefined;
  const canonical = [...paths]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, n]) => `${p}\0${n}`)
    .join('\n');
  return `check-paths:${sha256(canonical, 32)}`;
}

/** The layer cache key of one scan; `forLayer` adds what the layers below it found. */
export interface LayerCacheVersions {
  forLayer(lowerOs: OsInfo | undefined): Versions;
}

export function layerCacheVersions(
  analyzers: AnalyzerRegistry,
  opts: { clamdVersion?: string | undefined; checkPaths: ReadonlyMap<string, number> },
): LayerCacheVersions {
  const base: Versions = { ...analyzerVersionsOf(analyzers) };
  if (opts.clamdVersion !== undefined) base[`clamd:${sha256(opts.clamdVersion, 32)}`] = 0;
  const paths = checkPathsKey(opts.checkPaths);
  if (paths) base[paths] = 0;
  return {
    // A base layer (nothing below) has no lower OS.
    forLayer: (os) => (os ? { ...base, [`lower-os:${os.family}:${os.name}`.slice(0, 100)]: 0 } : { ...base }),
  };
}
