// Language package analyzers (issue 5): one module per ecosystem/format. The registry takes them
// as one list; the parsers behind them are imported from their modules.
import type { Analyzer } from '../analyzer.ts';
import { npmInstalledAnalyzer, npmLockAnalyzer } from './npm.ts';
import { yarnLockAnalyzer } from './yarn.ts';
import { pnpmLockAnalyzer } from './pnpm.ts';
import { pipRequirementsAnalyzer, pipfileLockAnalyzer, poetryLockAnalyzer, pythonPackageAnalyzer } from './python.ts';
import { goBinaryAnalyzer } from './gobinary.ts';
import { goModAnalyzer } from './gomod.ts';
import { javaArchiveAnalyzer } from './java.ts';
import { mavenPomAnalyzer } from './maven-pom.ts';
import { gradleLockfileAnalyzer } from './gradle.ts';
import { bundlerAnalyzer, gemspecAnalyzer } from './ruby.ts';
import { cargoAuditableAnalyzer, cargoLockAnalyzer } from './rust.ts';
import { composerAnalyzer } from './php.ts';
import { dotnetDepsAnalyzer } from './dotnet.ts';
import { nugetLockAnalyzer } from './nuget-lock.ts';
import { bunLockAnalyzer } from './bun.ts';
import { uvLockAnalyzer } from './uv.ts';
import { pylockAnalyzer } from './pylock.ts';

/** Every language analyzer, for the registry. */
export function languageAnalyzers(): Analyzer[] {
  return [
    npmLockAnalyzer,
    npmInstalledAnalyzer,
    yarnLockAnalyzer,
    pnpmLockAnalyzer,
    bunLockAnalyzer,
    pythonPackageAnalyzer,
    pipRequirementsAnalyzer,
    poetryLockAnalyzer,
    pipfileLockAnalyzer,
    uvLockAnalyzer,
    pylockAnalyzer,
    goBinaryAnalyzer,
    goModAnalyzer,
    javaArchiveAnalyzer,
    mavenPomAnalyzer,
    gradleLockfileAnalyzer,
    gemspecAnalyzer,
    bundlerAnalyzer,
    cargoLockAnalyzer,
    cargoAuditableAnalyzer,
    composerAnalyzer,
    dotnetDepsAnalyzer,
    nugetLockAnalyzer,
  ];
}
