// One package, several places: a project's lockfile and the tree its package manager installed
// beside it (package-lock.json and node_modules/*/package.json; composer.lock and
// vendor/composer/installed.json; Gemfile.lock and vendor/bundle) name the same packages. The
// report lists each such package once, with every path it was found at (`locations`); `path`
// stays the first. Two lockfiles, or two binaries, in one directory are not merged: only an
// installed tree is known to restate what its project's lockfile says.
import type { Package } from '@assay/inventory';

/** A report package: `locations` when it was found at more than one path (the first is `path`). */
export type LocatedPackage = Package & { locations?: string[] };

/** At most this many paths per package (a package nested in many node_modules). */
export const MAX_LOCATIONS = 100;

/** Directory names under which a package manager installs a project's dependencies. */
const INSTALLED_TREES = new Set(['node_modules', 'vendor']);

/** The project a path belongs to: the directory above its installed tree, if it is in one. */
function projectOf(path: string): { dir: string; installed: boolean } {
  const parts = path.split('/');
  const i = parts.findIndex((p, k) => k < parts.length - 1 && INSTALLED_TREES.has(p));
  if (i >= 0) return { dir: parts.slice(0, i).join('/'), installed: true };
  return { dir: parts.slice(0, -1).join('/'), installed: false };
}

/** Fields known from the lockfile's record win over an installed copy's (which cannot say dev or direct). */
function merge(first: LocatedPackage, all: readonly { pkg: Package; installed: boolean }[]): LocatedPackage {
  const locked = all.filter((x) => !x.installed).map((x) => x.pkg);
  const out: { -readonly [K in keyof LocatedPackage]: LocatedPackage[K] } = { ...first };
  const known = locked.length ? locked : all.map((x) => x.pkg);
  if (known.some((p) => p.dev) && known.every((p) => p.dev)) out.dev = true;
  else delete out.dev;
  const indirect = known.map((p) => p.indirect).filter((x): x is boolean => x !== undefined);
  if (indirect.length) out.indirect = indirect.every(Boolean);
  const deps = new Set(all.flatMap((x) => x.pkg.dependsOn ?? []));
  if (deps.size) out.dependsOn = [...deps].sort();
  const lic = new Set(all.flatMap((x) => x.pkg.licences ?? []));
  if (lic.size) out.licences = [...lic];
  const paths = [...new Set(all.map((x) => x.pkg.path).filter((p): p is string => p !== undefined))];
  out.locations = paths.slice(0, MAX_LOCATIONS);
  return out;
}

/**
 * The packages with lockfile + installed-tree duplicates merged (same purl, same project, at
 * least one copy in the installed tree), each at the place of its first occurrence.
 */
export function mergePackageLocations(packages: readonly Package[]): LocatedPackage[] {
  const groups = new Map<string, { pkg: Package; installed: boolean }[]>();
  const keyOf: (string | undefined)[] = packages.map((p) => {
    if (p.path === undefined || !p.purl) return undefined;
    const { dir, installed } = projectOf(p.path);
    const key = `${p.purl}\u0000${dir}`;
    const g = groups.get(key);
    if (g) g.push({ pkg: p, installed });
    else groups.set(key, [{ pkg: p, installed }]);
    return key;
  });
  const done = new Set<string>();
  const out: LocatedPackage[] = [];
  packages.forEach((p, i) => {
    const key = keyOf[i];
    const g = key === undefined ? undefined : groups.get(key);
    if (!g || g.length < 2 || !g.some((x) => x.installed)) {
      out.push(p);
      return;
    }
    if (done.has(key!)) return;
    done.add(key!);
    out.push(merge(p, g));
  });
  return out;
}
