// Language package analyzers (issue 5): one module per ecosystem/format.
import type { Analyzer } from '../analyzer.ts';
import { npmInstalledAnalyzer, npmLockAnalyzer } from './npm.ts';
import { yarnLockAnalyzer } from './yarn.ts';
import { pnpmLockAnalyzer } from './pnpm.ts';
import { pipRequirementsAnalyzer, pipfileLockAnalyzer, poetryLockAnalyzer, pythonPackageAnalyzer } from './python.ts';
import { goBinaryAnalyzer } from './gobinary.ts';
import { javaArchiveAnalyzer } from './java.ts';
import { bundlerAnalyzer, gemspecAnalyzer } from './ruby.ts';
import { cargoAuditableAnalyzer, cargoLockAnalyzer } from './rust.ts';
import { composerAnalyzer } from './php.ts';
import { dotnetDepsAnalyzer } from './dotnet.ts';

export { npmInstalledAnalyzer, npmLockAnalyzer, parsePackageLock, parseInstalledPackageJson, npmPackage } from './npm.ts';
export { yarnLockAnalyzer, yarnPackages } from './yarn.ts';
export { pnpmLockAnalyzer, parsePnpmLock } from './pnpm.ts';
export { pythonPackageAnalyzer, pipRequirementsAnalyzer, poetryLockAnalyzer, pipfileLockAnalyzer, parseCoreMetadata, parseRequirements, parsePoetryLock, parsePipfileLock, pep503 } from './python.ts';
export { goBinaryAnalyzer, readGoBuildInfo, goModulePackages } from './gobinary.ts';
export { javaArchiveAnalyzer, analyzeJar, parseJarFilename, type JarOptions } from './java.ts';
export { gemspecAnalyzer, bundlerAnalyzer, parseGemspec, parseGemfileLock } from './ruby.ts';
export { cargoLockAnalyzer, cargoAuditableAnalyzer, parseCargoLock } from './rust.ts';
export { composerAnalyzer, parseComposerLock, parseInstalledJson } from './php.ts';
export { dotnetDepsAnalyzer, parseDepsJson } from './dotnet.ts';

/** Every language analyzer, for the registry. */
export function languageAnalyzers(): Analyzer[] {
  return [
    npmLockAnalyzer,
    npmInstalledAnalyzer,
    yarnLockAnalyzer,
    pnpmLockAnalyzer,
    pythonPackageAnalyzer,
    pipRequirementsAnalyzer,
    poetryLockAnalyzer,
    pipfileLockAnalyzer,
    goBinaryAnalyzer,
    javaArchiveAnalyzer,
    gemspecAnalyzer,
    bundlerAnalyzer,
    cargoLockAnalyzer,
    cargoAuditableAnalyzer,
    composerAnalyzer,
    dotnetDepsAnalyzer,
  ];
}
