// Maven pom.xml files found as files in the image (a project's source or an exploded archive);
// pom.xml inside jars is never seen here: the jar analyzer reads those archives' pom.properties.
// Reported: the project itself (groupId and version inherited from <parent> when absent) and its
// <dependencies> (with those of profiles active by default), versions written out or taken from
// ${properties}: the pom's own <properties>, ${project.version} and friends, and — when the
// parent POM is in the same layer (by <relativePath>, `../pom.xml` by default) — the parents'
// properties and <dependencyManagement>. A version that needs anything else (a parent or a BOM
// in a repository) would need the network: such dependencies are counted in one warning per
// file, not guessed. Version ranges are not resolved either (the newest match lives in a
// repository); `[1.2.3]` is exact. scope test → dev. Dependencies inherited from a parent's
// <dependencies> are reported from the parent's own file, not repeated for every child. An
// exploded archive's `META-INF/maven/**/pom.xml` gives its project only: its dependencies are
// packaged beside it (WEB-INF/lib), where the jar analyzer counts them.
import type { GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { mavenPackage } from './java.ts';
import { Collector, basename, cleanPath, dirname, errMsg, joinPath, pkgId, text, type Parsed } from './util.ts';
import { child, childText, children, parseXml, type XmlElement } from './xml.ts';

interface RawDep {
  groupId?: string | undefined;
  artifactId?: string | undefined;
  version?: string | undefined;
  scope?: string | undefined;
}

interface ParentRef {
  groupId?: string | undefined;
  artifactId?: string | undefined;
  version?: string | undefined;
  /** undefined: Maven's default `../pom.xml`; '': look in repositories only. */
  relativePath?: string | undefined;
}

export interface Pom {
  path: string;
  groupId?: string | undefined;
  artifactId?: string | undefined;
  version?: string | undefined;
  parent?: ParentRef | undefined;
  properties: Map<string, string>;
  dependencies: RawDep[];
  managed: RawDep[];
}

function readDeps(el: XmlElement | undefined): RawDep[] {
  return children(child(el, 'dependencies'), 'dependency').map((d) => ({
    groupId: childText(d, 'groupId'),
    artifactId: childText(d, 'artifactId'),
    version: childText(d, 'version'),
    scope: childText(d, 'scope'),
  }));
}

/** The parts of a POM that say what it is and what it uses; a string says why it is not a POM. */
export function readPom(content: string, path: string): Pom | string {
  let root: XmlElement;
  try {
    root = parseXml(content);
  } catch (e) {
    return `not XML: ${errMsg(e)}`;
  }
  if (root.name !== 'project') return `not a Maven POM (root element <${root.name}>)`;
  const properties = new Map<string, string>();
  const dependencies = readDeps(root);
  const managed = readDeps(child(root, 'dependencyManagement'));
  const addProps = (el: XmlElement | undefined) => {
    for (const p of child(el, 'properties')?.children ?? []) properties.set(p.name, p.text.trim());
  };
  addProps(root);
  // Profiles active by default apply to a plain build; others depend on the build's environment.
  for (const prof of children(child(root, 'profiles'), 'profile')) {
    if (childText(child(prof, 'activation'), 'activeByDefault') !== 'true') continue;
    addProps(prof);
    dependencies.push(...readDeps(prof));
    managed.push(...readDeps(child(prof, 'dependencyManagement')));
  }
  const par = child(root, 'parent');
  const rel = child(par, 'relativePath');
  return {
    path,
    groupId: childText(root, 'groupId'),
    artifactId: childText(root, 'artifactId'),
    version: childText(root, 'version'),
    parent: par
      ? {
          groupId: childText(par, 'groupId'),
          artifactId: childText(par, 'artifactId'),
          version: childText(par, 'version'),
          relativePath: rel ? rel.text.trim() : undefined,
        }
      : undefined,
    properties,
    dependencies,
    managed,
  };
}

/** Reads POMs from a layer by path, each once. */
export type PomSource = (path: string) => Pom | string | undefined;

/** The local parent POM a <parent> points at, when it is in the layer and is that parent. */
function localParent(pom: Pom, read: PomSource): Pom | undefined {
  const ref = pom.parent;
  if (!ref || ref.relativePath === '') return undefined;
  let target = cleanPath(joinPath(dirname(pom.path), ref.relativePath ?? '../pom.xml'));
  if (!target.endsWith('.xml')) target = joinPath(target, 'pom.xml');
  if (target === pom.path) return undefined;
  const p = read(target);
  if (!p || typeof p === 'string') return undefined;
  // Maven checks that the file found is the parent named; a different project is not it.
  const g = p.groupId ?? p.parent?.groupId;
  return p.artifactId === ref.artifactId && g === ref.groupId ? p : undefined;
}

const MAX_CHAIN = 16;

/** Values for ${…} from the POM, its local parents, and the project's own coordinates. */
function propertiesOf(chain: readonly Pom[]): Map<string, string> {
  const props = new Map<string, string>();
  for (const p of [...chain].reverse()) for (const [k, v] of p.properties) props.set(k, v);
  const pom = chain[0]!;
  const set = (keys: string[], v: string | undefined) => {
    if (v !== undefined) for (const k of keys) if (!props.has(k) || k.startsWith('project.')) props.set(k, v);
  };
  set(['project.groupId', 'pom.groupId', 'groupId'], pom.groupId ?? pom.parent?.groupId);
  set(['project.artifactId', 'pom.artifactId', 'artifactId'], pom.artifactId);
  set(['project.version', 'pom.version', 'version'], pom.version ?? pom.parent?.version);
  set(['project.parent.groupId', 'parent.groupId'], pom.parent?.groupId);
  set(['project.parent.artifactId', 'parent.artifactId'], pom.parent?.artifactId);
  set(['project.parent.version', 'parent.version'], pom.parent?.version);
  return props;
}

/** `${a}-${b}` with nested references resolved; undefined when any reference stays open. */
function interpolate(s: string | undefined, props: Map<string, string>): string | undefined {
  if (s === undefined) return undefined;
  let cur = s;
  for (let round = 0; round < 10 && cur.includes('${'); round++) {
    cur = cur.replace(/\$\{([^}]*)\}/g, (whole, k: string) => props.get(k) ?? whole);
  }
  return cur.includes('${') || cur === '' ? undefined : cur;
}

/** A resolved version, or why not. `[1.2.3]` is exact; other ranges need a repository. */
function exactVersion(v: string): string | 'range' {
  if (!/^[[(]/.test(v)) return v;
  const m = /^\[\s*([^,\s\]]+)\s*\]$/.exec(v);
  return m ? m[1]! : 'range';
}

/** The project and its dependencies from one POM, its local parents read through `read`. */
export function pomPackages(pom: Pom, read: PomSource): Parsed {
  const warnings: string[] = [];
  const chain: Pom[] = [pom];
  for (let p = localParent(pom, read); p && chain.length < MAX_CHAIN && !chain.includes(p); p = localParent(p, read)) chain.push(p);
  const props = propertiesOf(chain);
  const packages: Package[] = [];

  const groupId = interpolate(pom.groupId ?? pom.parent?.groupId, props);
  const artifactId = interpolate(pom.artifactId, props);
  const version = interpolate(pom.version ?? pom.parent?.version, props);

  const exploded = /(^|\/)META-INF\/maven\//.test(pom.path);
  const deps: Package[] = [];
  if (!exploded) {
    // Managed versions, the nearest POM's winning: parents first, the POM itself last. Maven
    // interpolates the inherited model as a whole, so a parent's ${…} take the child's values.
    const managed = new Map<string, string>();
    for (const p of [...chain].reverse()) {
      for (const m of p.managed) {
        if (m.scope === 'import') continue; // a BOM: its versions are in a repository
        const g = interpolate(m.groupId, props);
        const a = interpolate(m.artifactId, props);
        const v = interpolate(m.version, props);
        if (g && a && v) managed.set(`${g}:${a}`, v);
      }
    }
    let unresolved = 0;
    let ranges = 0;
    for (const d of pom.dependencies) {
      const g = interpolate(d.groupId, props);
      const a = interpolate(d.artifactId, props);
      if (!g || !a) {
        if (d.groupId !== undefined && d.artifactId !== undefined) unresolved++;
        else warnings.push(`a dependency without groupId or artifactId (${d.groupId ?? '?'}:${d.artifactId ?? '?'}) skipped`);
        continue;
      }
      const raw = d.version !== undefined ? interpolate(d.version, props) : managed.get(`${g}:${a}`);
      if (raw === undefined) {
        unresolved++;
        continue;
      }
      const v = exactVersion(raw);
      if (v === 'range') {
        ranges++;
        continue;
      }
      const scope = interpolate(d.scope, props);
      deps.push({ ...mavenPackage(g, a, v), indirect: false, ...(scope === 'test' ? { dev: true } : {}) });
    }
    if (unresolved)
      warnings.push(`${unresolved} dependencies' versions come from a parent POM or dependency management not in the image: not resolved`);
    if (ranges) warnings.push(`${ranges} dependencies have version ranges (resolved against a repository): not resolved`);
  }

  if (groupId && artifactId && version) {
    const p = mavenPackage(groupId, artifactId, version);
    const dependsOn = deps.map((d) => pkgId(d.name, d.version));
    packages.push(dependsOn.length ? { ...p, dependsOn: [...new Set(dependsOn)].sort() } : p);
  } else if (artifactId || groupId) {
    warnings.push(`the project's own coordinates (${pom.groupId ?? '?'}:${pom.artifactId ?? '?'}:${pom.version ?? '?'}) are not resolved`);
  }
  packages.push(...deps);
  return { packages, warnings };
}

/** One POM on its own (no parent files): what a test or a caller without a layer can read. */
export function parsePom(content: string, path = 'pom.xml'): Parsed {
  const pom = readPom(content, path);
  if (typeof pom === 'string') return { packages: [], warnings: [pom] };
  return pomPackages(pom, () => undefined);
}

export const mavenPomAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'maven-pom',
  version: 1,
  maxFileSize: 5 * 1024 * 1024,
  required(path: string): boolean {
    return basename(path) === 'pom.xml';
  },
  analyzeGroup(fs: VirtualFs) {
    const c = new Collector('maven-pom');
    const cache = new Map<string, Pom | string | undefined>();
    const read: PomSource = (path) => {
      if (!cache.has(path)) {
        const f = fs.get(path);
        cache.set(path, f ? readPom(text(f.content), path) : undefined);
      }
      return cache.get(path);
    };
    for (const p of [...fs.paths()].sort()) {
      if (basename(p) !== 'pom.xml') continue;
      const pom = read(p);
      if (pom === undefined) continue;
      c.addParsed(p, typeof pom === 'string' ? { packages: [], warnings: [pom] } : pomPackages(pom, read));
    }
    return c.result();
  },
};
