// Gradle dependency lockfiles. Since Gradle 6 one file per project, `gradle.lockfile` (and
// `buildscript-gradle.lockfile` for the build script's classpath), lines
// `group:artifact:version=configuration,configuration`, with `empty=…` naming configurations that
// resolved nothing. Before, one file per configuration, `gradle/dependency-locks/<configuration>.lockfile`,
// lines `group:artifact:version`. A module locked only for test configurations
// (testCompileClasspath, testRuntimeClasspath, testFixtures…) is a dev dependency. Lockfiles do
// not say which modules are direct, so `indirect` is left unknown.
import type { AnalysisFile, FileAnalyzer, Package } from '../analyzer.ts';
import { mavenPackage } from './java.ts';
import { basename, parsedResult, text, type Parsed } from './util.ts';

const PROJECT_LOCKFILES = new Set(['gradle.lockfile', 'buildscript-gradle.lockfile']);

function isLegacyLockfile(path: string): boolean {
  return /(^|\/)gradle\/dependency-locks\/[^/]+\.lockfile$/.test(path);
}

/** Test configurations only: a module the shipped code does not need. */
function testOnly(configurations: readonly string[]): boolean {
  return configurations.length > 0 && configurations.every((c) => c.startsWith('test'));
}

/**
 * One lockfile's modules. `legacyConfiguration` is the configuration a pre-Gradle-6 file is for
 * (its name); project lockfiles name configurations per line.
 */
export function parseGradleLockfile(content: string, legacyConfiguration?: string): Parsed {
  const warnings: string[] = [];
  const packages: Package[] = [];
  let bad = 0;
  let firstBad: string | undefined;
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('empty=')) continue;
    const eq = line.indexOf('=');
    const coords = (eq < 0 ? line : line.slice(0, eq)).trim();
    const confs =
      eq < 0
        ? legacyConfiguration !== undefined
          ? [legacyConfiguration]
          : []
        : line
            .slice(eq + 1)
            .split(',')
            .map((c) => c.trim())
            .filter((c) => c !== '');
    const parts = coords.split(':');
    // A project lockfile's lines always name configurations; a legacy file's never do.
    const shapeOk = legacyConfiguration !== undefined ? eq < 0 : eq > 0;
    if (!shapeOk || parts.length !== 3 || parts.some((p) => p === '' || /\s/.test(p))) {
      bad++;
      firstBad ??= line.length > 80 ? `${line.slice(0, 80)}…` : line;
      continue;
    }
    const [group, artifact, version] = parts as [string, string, string];
    const p = mavenPackage(group, artifact, version);
    packages.push(testOnly(confs) ? { ...p, dev: true } : p);
  }
  if (bad) warnings.push(`${bad} lines are not group:artifact:version entries (first: "${firstBad}"): skipped`);
  return { packages, warnings };
}

export const gradleLockfileAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'gradle-lockfile',
  version: 1,
  maxFileSize: 20 * 1024 * 1024,
  required(path: string): boolean {
    return PROJECT_LOCKFILES.has(basename(path)) || isLegacyLockfile(path);
  },
  analyze(file: AnalysisFile) {
    const b = basename(file.path);
    const legacy = !PROJECT_LOCKFILES.has(b) && isLegacyLockfile(file.path) ? b.slice(0, -'.lockfile'.length) : undefined;
    return parsedResult('gradle-lockfile', file.path, parseGradleLockfile(text(file.content), legacy));
  },
};
