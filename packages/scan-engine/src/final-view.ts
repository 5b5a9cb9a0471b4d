// The image as a container sees it, from its layers' analyses (OCI whiteouts applied): which
// per-layer package sets are still present, the OS of the top-most layer that states one, and
// what upper layers deleted. A set read from a path that an upper layer deletes (`.wh.`, an
// opaque parent) or rewrites (any analyzer wanted the path there) is gone; the upper layer's own
// set, if any, replaces it. Trivy's rule: language packages read from files the OS package
// manager installed are dropped (a Python package installed by dpkg is counted once).
import type { OsInfo, Package, PackageSet } from '@assay/inventory';
import { isUnder } from './paths.ts';
import type { LayerAnalysis } from './walker.ts';

/** Package types that come from OS package managers (never dropped as "system installed"). */
export const OS_PACKAGE_TYPES: ReadonlySet<string> = new Set(['deb', 'rpm', 'apk', 'opkg']);

export interface DeletedFile {
  path: string;
  /** Layer whose whiteout deleted it. */
  layerDigest: string;
  /** `whiteout` (`.wh.<name>`) or `opaque` (a directory made opaque; path is the directory). */
  how: 'whiteout' | 'opaque';
}

export interface FinalView {
  os?: OsInfo;
  /** The package sets still present, lowest layer first. */
  packageSets: PackageSet[];
  packages: Package[];
  /** Package sets gone from the final image (superseded or deleted), for the record. */
  removedSets: { path: string; layerDigest: string; analyzer: string; why: string }[];
  deleted: DeletedFile[];
}

function hiddenBy(path: string, upper: LayerAnalysis, upperWanted: ReadonlySet<string>): string | undefined {
  if (upperWanted.has(path)) return `replaced in layer ${upper.layerDigest}`;
  for (const t of upper.whiteouts) if (isUnder(path, t)) return `deleted in layer ${upper.layerDigest}`;
  for (const d of upper.opaqueDirs)
    if (path !== d && isUnder(path, d)) return `hidden by an opaque directory in layer ${upper.layerDigest}`;
  return undefined;
}

export function finalView(layers: readonly LayerAnalysis[]): FinalView {
  const wanted = layers.map((l) => new Set(l.wantedPaths));
  let os: OsInfo | undefined;
  for (const l of layers) if (l.os) os = l.os;

  const present: { set: PackageSet; layer: LayerAnalysis }[] = [];
  const removedSets: FinalView['removedSets'] = [];
  layers.forEach((layer, i) => {
    for (const set of layer.packageSets) {
      let why: string | undefined;
      for (let j = i + 1; j < layers.length && why === undefined; j++) why = hiddenBy(set.path, layers[j]!, wanted[j]!);
      if (why === undefined) present.push({ set, layer });
      else removedSets.push({ path: set.path, layerDigest: layer.layerDigest, analyzer: set.analyzer, why });
    }
  });

  const systemFiles = new Set<string>();
  for (const l of layers) for (const f of l.systemInstalledFiles) systemFiles.add(f);

  const packageSets: PackageSet[] = [];
  const packages: Package[] = [];
  for (const { set, layer } of present) {
    const isOs = set.packages.length > 0 && set.packages.every((p) => OS_PACKAGE_TYPES.has(p.type));
    if (!isOs && systemFiles.has(set.path)) {
      removedSets.push({
        path: set.path,
        layerDigest: layer.layerDigest,
        analyzer: set.analyzer,
        why: 'installed by the OS package manager',
      });
      continue;
    }
    const kept = isOs
      ? set.packages
      : set.packages.filter((p) => OS_PACKAGE_TYPES.has(p.type) || p.path === undefined || !systemFiles.has(p.path));
    packageSets.push(kept === set.packages ? set : { ...set, packages: kept });
    packages.push(...kept);
  }

  const deleted: DeletedFile[] = [];
  for (const l of layers) {
    for (const w of l.whiteouts) deleted.push({ path: w, layerDigest: l.layerDigest, how: 'whiteout' });
    for (const d of l.opaqueDirs) deleted.push({ path: d, layerDigest: l.layerDigest, how: 'opaque' });
  }
  return { ...(os ? { os } : {}), packageSets, packages, removedSets, deleted };
}
