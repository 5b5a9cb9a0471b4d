// Gradle lockfiles: fixtures modelled on osv-scalibr's
// extractor/filesystem/language/java/gradlelockfile/testdata (5-pkg, one-pkg, only-comments,
// only-empty, with-bad-pkg) and Trivy's pkg/dependency/parser/gradle/lockfile/testdata/happy.lockfile;
// the legacy per-configuration layout as Gradle 5 wrote it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradleLockfileAnalyzer, parseGradleLockfile } from '../../packages/inventory/src/lang/gradle.ts';
import { allPackages, ctx, file, keyed } from './lang/vectors.ts';

const show = (p: { purl: string; dev?: boolean }) => `${p.purl}${p.dev ? ' dev' : ''}`;

test('gradle.lockfile: group:artifact:version=configurations; test-only configurations are dev', async () => {
  const lock = [
    '# This is a Gradle generated file for dependency locking.',
    '# Manual edits can break the build and are not advised.',
    '# This file is expected to be part of source control.',
    'cglib:cglib-nodep:2.1.2=testRuntimeClasspath,classpath',
    'junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath',
    ' org.springframework:spring-asm:3.1.3.RELEASE=classpath',
    'org.springframework:spring-beans:5.0.5.RELEASE=compileClasspath, runtimeClasspath',
    ' # io.grpc:grpc-api:1.21.1=classpath',
    'org.springframework.boot:spring-boot-devtools:2.7.6=developmentOnly,runtimeClasspath',
    'org.assertj:assertj-core:3.24.2=testFixturesCompileClasspath,testFixturesRuntimeClasspath',
    'empty=annotationProcessor',
    '',
  ].join('\n');
  const r = await gradleLockfileAnalyzer.analyze(file('app/gradle.lockfile', lock), ctx);
  assert.equal(r?.warnings, undefined);
  assert.deepEqual(
    r?.packageSets?.map((s) => [s.analyzer, s.path]),
    [['gradle-lockfile', 'app/gradle.lockfile']],
  );
  assert.deepEqual(keyed(allPackages(r), show), [
    'pkg:maven/cglib/cglib-nodep@2.1.2',
    'pkg:maven/junit/junit@4.13.2 dev',
    'pkg:maven/org.assertj/assertj-core@3.24.2 dev',
    'pkg:maven/org.springframework.boot/spring-boot-devtools@2.7.6',
    'pkg:maven/org.springframework/spring-asm@3.1.3.RELEASE',
    'pkg:maven/org.springframework/spring-beans@5.0.5.RELEASE',
  ]);
  const beans = allPackages(r).find((p) => p.name === 'org.springframework:spring-beans');
  assert.equal(beans?.type, 'maven');
  assert.equal(beans?.version, '5.0.5.RELEASE');
});

test('gradle.lockfile: only comments, only empty=, and bad lines (skipped with one warning)', async () => {
  assert.deepEqual(parseGradleLockfile('# This\n# is\n# a\n# comment\n'), { packages: [], warnings: [] });
  assert.deepEqual(parseGradleLockfile('empty=\n'), { packages: [], warnings: [] });
  assert.equal(await gradleLockfileAnalyzer.analyze(file('gradle.lockfile', ''), ctx), undefined);
  const bad = [
    '# This sample gradle lockfile has bad lines',
    '#',
    '>>>',
    '////',
    'empty=======',
    '',
    'org.springframework.boot:spring-boot-autoconfigure:2.7.4=compileClasspath,developmentOnly,productionRuntimeClasspath,runtimeClasspath',
    '',
    '      a',
    '        b',
    'org.springframework.boot:spring-boot-configuration-processor:2.7.5=compileClasspath,developmentOnly,productionRuntimeClasspath,runtimeClasspath',
    'no:configurations:1.0',
    'too:many:parts:1.0=runtimeClasspath',
  ].join('\n');
  const r = await gradleLockfileAnalyzer.analyze(file('svc/buildscript-gradle.lockfile', bad), ctx);
  assert.deepEqual(keyed(allPackages(r), show), [
    'pkg:maven/org.springframework.boot/spring-boot-autoconfigure@2.7.4',
    'pkg:maven/org.springframework.boot/spring-boot-configuration-processor@2.7.5',
  ]);
  assert.deepEqual(r?.warnings, [
    'gradle-lockfile: svc/buildscript-gradle.lockfile: 6 lines are not group:artifact:version entries (first: ">>>"): skipped',
  ]);
  const binary = parseGradleLockfile(Buffer.from([0, 1, 2, 0xff, 10, 0x3a, 0x3a, 0x3d]).toString('latin1'));
  assert.equal(binary.packages.length, 0);
  assert.equal(binary.warnings.length, 1);
});

test('legacy gradle/dependency-locks/<configuration>.lockfile: the configuration is the file name', async () => {
  const lock = '# Gradle 5 dependency lock\ncom.google.guava:guava:28.0-jre\norg.mockito:mockito-core:3.0.0\n';
  const main = await gradleLockfileAnalyzer.analyze(file('src/app/gradle/dependency-locks/runtimeClasspath.lockfile', lock), ctx);
  assert.deepEqual(keyed(allPackages(main), show), [
    'pkg:maven/com.google.guava/guava@28.0-jre',
    'pkg:maven/org.mockito/mockito-core@3.0.0',
  ]);
  const tests = await gradleLockfileAnalyzer.analyze(file('src/app/gradle/dependency-locks/testRuntimeClasspath.lockfile', lock), ctx);
  assert.deepEqual(keyed(allPackages(tests), show), [
    'pkg:maven/com.google.guava/guava@28.0-jre dev',
    'pkg:maven/org.mockito/mockito-core@3.0.0 dev',
  ]);
});

test('gradle lockfiles: routing (osv-scalibr FileRequired table, legacy layout)', () => {
  const info = { size: 100, mode: 0o644 };
  for (const [p, want] of [
    ['', false],
    ['buildscript-gradle.lockfile', true],
    ['path/to/my/buildscript-gradle.lockfile', true],
    ['path/to/my/buildscript-gradle.lockfile/file', false],
    ['path/to/my/buildscript-gradle.lockfile.file', false],
    ['path.to.my.buildscript-gradle.lockfile', false],
    ['gradle.lockfile', true],
    ['path/to/my/gradle.lockfile', true],
    ['path/to/my/gradle.lockfile/file', false],
    ['path/to/my/gradle.lockfile.file', false],
    ['path.to.my.gradle.lockfile', false],
    ['app/gradle/dependency-locks/compileClasspath.lockfile', true],
    ['app/dependency-locks/compileClasspath.lockfile', false],
    ['app/other.lockfile', false],
  ] as const)
    assert.equal(gradleLockfileAnalyzer.required(p, info), want, p);
});
