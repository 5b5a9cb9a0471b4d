// Java archives against osv-scalibr's archive and filename goldens, plus nested jars and a zip-bomb guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { analyzeJar, javaArchiveAnalyzer, parseJarFilename } from '../../packages/inventory/src/lang/java.ts';
import { allPackages, ctx, file, golden, ids, keyed, skipNoVectors, vecPath } from './lang/vectors.ts';

const SC = 'osv-scalibr/java_archive';

// Mapping: scalibr's Name is `group:artifact` (ours too). Its `contentPath` cases hand a bare
// MANIFEST.MF to the extractor under `path`: we zip it as META-INF/MANIFEST.MF of a jar with
// that name. `extractFilename` ⇔ our useFilename (ours defaults to on: the file name is our last
// resort). `maxOpenedBytes` ⇔ our maxInflated. Deviations, not compared: scalibr's table of known
// group ids (spring-web → org.springframework) and its Apache Axis special case.
const NOT_OURS = new Set([
  'Test artifact ID that is mapped to a known group ID',
  'Apache Axis package with incorrect artifact and group ID and space in version',
]);

test('jar: osv-scalibr archive goldens', { skip: skipNoVectors }, () => {
  const g = golden(`${SC}/expected.archive.json`);
  let n = 0;
  for (const c of g.tests.TestExtract) {
    if (NOT_OURS.has(c.name)) continue;
    let data: Uint8Array;
    if (c.contentPath) data = zipSync({ 'META-INF/MANIFEST.MF': readFileSync(vecPath(`${SC}/${c.contentPath}`)) });
    else data = readFileSync(vecPath(`${SC}/${c.path}`));
    const r = analyzeJar(c.path, data, {
      useFilename: Boolean(c.extractFilename),
      ...(c.maxOpenedBytes ? { maxInflated: c.maxOpenedBytes } : {}),
    });
    const want = (Array.isArray(c.want) ? c.want : []).map((p: any) => ({ name: p.Name, version: p.Version }));
    assert.deepEqual(ids(r.packages), ids(want), c.name);
    if (c.wantErr) assert.ok(r.warnings.length > 0, `${c.name}: warning expected`);
    n++;
  }
  assert.ok(n >= 20);
});

test('jar: osv-scalibr filename goldens', { skip: skipNoVectors }, () => {
  const g = golden(`${SC}/expected.filename.json`);
  for (const c of g.tests.TestParseFilename) {
    const want: Record<string, string> = { artifactId: c.want.ArtifactID, version: c.want.Version };
    if (c.want.GroupID) want['groupId'] = c.want.GroupID;
    assert.deepEqual(parseJarFilename(c.path), want, c.path);
  }
  for (const c of g.tests.TestParseFilenameVersionNotFound) assert.equal(parseJarFilename(c.path), undefined, c.path);
});

const pom = (g: string, a: string, v: string) => new TextEncoder().encode(`#Generated\ngroupId=${g}\nartifactId=${a}\nversion=${v}\n`);

test('jar: nested jars (WEB-INF/lib, BOOT-INF/lib), purls, file name fallback', async () => {
  const lib = zipSync({ 'META-INF/maven/org.slf4j/slf4j-api/pom.properties': pom('org.slf4j', 'slf4j-api', '2.0.9') });
  const bare = zipSync({ 'x.class': new Uint8Array(10) });
  const boot = zipSync({ 'BOOT-INF/lib/slf4j-api-2.0.9.jar': lib, 'BOOT-INF/lib/commons-io-2.11.0.jar': bare });
  const war = zipSync({
    'META-INF/maven/com.example/app/pom.properties': pom('com.example', 'app', '1.0.0'),
    'WEB-INF/lib/boot.jar': boot,
  });
  assert.ok(javaArchiveAnalyzer.required('opt/app/app.war', { size: 1, mode: 0o644 }));
  assert.ok(javaArchiveAnalyzer.required('opt/app/A.JAR', { size: 1, mode: 0o644 }));
  assert.ok(!javaArchiveAnalyzer.required('opt/app/a.zip', { size: 1, mode: 0o644 }));
  const r = await javaArchiveAnalyzer.analyze(file('opt/app/app.war', Buffer.from(war)), ctx);
  assert.deepEqual(
    keyed(allPackages(r), (p) => p.purl),
    ['pkg:maven/com.example/app@1.0.0', 'pkg:maven/commons-io/commons-io@2.11.0', 'pkg:maven/org.slf4j/slf4j-api@2.0.9'],
  );
  assert.equal(r?.packageSets?.[0]?.path, 'opt/app/app.war');
});

test('jar: zip bomb and deep nesting are bounded, with warnings', async () => {
  // 64 MiB of zeros compresses to ~64 KiB; a budget of 8 MiB refuses to inflate it.
  const bomb = zipSync({ 'lib/huge-1.0.jar': new Uint8Array(64 * 1024 * 1024) }, { level: 9 });
  assert.ok(bomb.length < 1024 * 1024);
  const t0 = Date.now();
  const r = analyzeJar('a/app-1.0.jar', bomb, { maxInflated: 8 * 1024 * 1024 });
  assert.ok(Date.now() - t0 < 5000);
  assert.match(r.warnings.join('\n'), /budget exhausted/);
  assert.deepEqual(ids(r.packages), ['app:app@1.0']);
  // 20 levels of nesting: only the first levels are opened.
  let inner: Uint8Array = zipSync({ 'META-INF/maven/g/deep/pom.properties': pom('g', 'deep', '1') });
  for (let i = 0; i < 20; i++) inner = zipSync({ 'n.jar': inner });
  const d = analyzeJar('deep.jar', inner, { maxDepth: 5 });
  assert.deepEqual(d.packages, []);
  assert.match(d.warnings.join('\n'), /nested deeper than 5/);
  const bad = await javaArchiveAnalyzer.analyze(file('x.jar', Buffer.from('PK\x03\x04garbage')), ctx);
  assert.equal(allPackages(bad).length, 0);
  assert.ok(bad?.warnings?.length);
});
