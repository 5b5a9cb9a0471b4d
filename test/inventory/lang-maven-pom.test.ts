// pom.xml: fixtures modelled on osv-scalibr's extractor/filesystem/language/java/pomxml/testdata
// (two-packages.xml, interpolation.xml, with-dependency-management.xml, with-scope.xml,
// with-parent.xml + parent/pom.xml, profiles.xml, invalid-syntax.xml, empty.xml) and on Trivy's
// pkg/dependency/parser/java/pom/testdata (parent-relative-path, inherit-props); the XML reader's
// edges (entities, CDATA, DOCTYPE) alongside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mavenPomAnalyzer, parsePom } from '../../packages/inventory/src/lang/maven-pom.ts';
import { parseXml } from '../../packages/inventory/src/lang/xml.ts';
import { allPackages, ctx, keyed, vfs } from './lang/vectors.ts';

const show = (p: { purl: string; dev?: boolean; indirect?: boolean }) =>
  `${p.purl}${p.dev ? ' dev' : ''}${p.indirect === false ? ' direct' : ''}`;

test('pom.xml: literal versions, the project itself, scope test as dev', () => {
  const r = parsePom(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.mycompany.app</groupId>
  <artifactId>my-app</artifactId>
  <version>1.0</version>
  <dependencies>
    <dependency><groupId>io.netty</groupId><artifactId>netty-all</artifactId><version>4.1.42.Final</version></dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-log4j12</artifactId>
      <version>1.7.25</version>
      <scope>compile</scope>
    </dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.12</version><scope>test</scope></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-shade-plugin</artifactId><version>3.5.0</version>
    <dependencies><dependency><groupId>org.ow2.asm</groupId><artifactId>asm</artifactId><version>9.5</version></dependency></dependencies>
  </plugin></plugins></build>
</project>`);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(keyed(r.packages, show), [
    'pkg:maven/com.mycompany.app/my-app@1.0',
    'pkg:maven/io.netty/netty-all@4.1.42.Final direct',
    'pkg:maven/junit/junit@4.12 dev direct',
    'pkg:maven/org.slf4j/slf4j-log4j12@1.7.25 direct',
  ]);
  const app = r.packages.find((p) => p.name === 'com.mycompany.app:my-app');
  assert.deepEqual(app?.dependsOn, ['io.netty:netty-all@4.1.42.Final', 'junit:junit@4.12', 'org.slf4j:slf4j-log4j12@1.7.25']);
  assert.equal(app?.type, 'maven');
});

test('pom.xml: ${property} versions from <properties> and ${project.version}; ranges and remote parents counted once', () => {
  const r = parsePom(`<project>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.2.0</version></parent>
  <artifactId>my-library</artifactId>
  <version>\${revision}</version>
  <properties>
    <revision>1.0-SNAPSHOT</revision>
    <mypackageVersion>1.0.0</mypackageVersion>
    <my.package.version>2.3.4</my.package.version>
    <nested>\${my.package.version}</nested>
    <version-range>[9.4.35.v20201120,9.5)</version-range>
  </properties>
  <dependencies>
    <dependency><groupId>org.mine</groupId><artifactId>mypackage</artifactId><version>\${mypackageVersion}</version></dependency>
    <dependency><groupId>org.mine</groupId><artifactId>my.package</artifactId><version>\${nested}</version></dependency>
    <dependency><groupId>\${project.groupId}</groupId><artifactId>sibling</artifactId><version>\${project.version}</version></dependency>
    <dependency><groupId>org.mine</groupId><artifactId>ranged-package</artifactId><version>\${version-range}</version></dependency>
    <dependency><groupId>org.mine</groupId><artifactId>pinned</artifactId><version>[1.2.3]</version></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>\${jackson.version}</version></dependency>
  </dependencies>
</project>`);
  assert.deepEqual(keyed(r.packages, show), [
    'pkg:maven/org.mine/my.package@2.3.4 direct',
    'pkg:maven/org.mine/mypackage@1.0.0 direct',
    'pkg:maven/org.mine/pinned@1.2.3 direct',
    'pkg:maven/org.springframework.boot/my-library@1.0-SNAPSHOT', // group inherited from <parent>
    'pkg:maven/org.springframework.boot/sibling@1.0-SNAPSHOT direct',
  ]);
  assert.deepEqual(r.warnings, [
    "2 dependencies' versions come from a parent POM or dependency management not in the image: not resolved",
    '1 dependencies have version ranges (resolved against a repository): not resolved',
  ]);
});

test('pom.xml: <dependencyManagement> and a parent POM in the layer (relativePath) resolve versions', async () => {
  const parent = `<project>
  <groupId>org.local</groupId><artifactId>parent-pom</artifactId><version>1.0</version><packaging>pom</packaging>
  <parent><groupId>org.upstream</groupId><artifactId>parent-pom</artifactId><version>1.0</version></parent>
  <properties><bob.version>1.0.0</bob.version><frank.version>5.0.0</frank.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.frank</groupId><artifactId>frank</artifactId><version>\${frank.version}</version></dependency>
    <dependency><groupId>org.chuck</groupId><artifactId>chuck</artifactId><version>2.0.0</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies><dependency><groupId>org.dave</groupId><artifactId>dave</artifactId><version>4.0.0</version></dependency></dependencies>
</project>`;
  const app = `<project>
  <artifactId>my-app</artifactId>
  <parent>
    <groupId>org.local</groupId><artifactId>parent-pom</artifactId><version>1.0</version>
    <relativePath>./parent/pom.xml</relativePath>
  </parent>
  <properties><bob.version>2.0.0</bob.version></properties>
  <dependencies>
    <dependency><groupId>org.alice</groupId><artifactId>alice</artifactId><version>1.0.0</version></dependency>
    <dependency><groupId>org.bob</groupId><artifactId>bob</artifactId><version>\${bob.version}</version></dependency>
    <dependency><groupId>org.chuck</groupId><artifactId>chuck</artifactId></dependency>
    <dependency><groupId>org.frank</groupId><artifactId>frank</artifactId></dependency>
    <dependency><groupId>org.eve</groupId><artifactId>eve</artifactId></dependency>
  </dependencies>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.chuck</groupId><artifactId>chuck</artifactId><version>3.0.0</version></dependency>
    <dependency><groupId>org.import</groupId><artifactId>import</artifactId><version>1.2.3</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
</project>`;
  const r = await mavenPomAnalyzer.analyzeGroup(vfs({ 'src/app/pom.xml': app, 'src/app/parent/pom.xml': parent }), ctx);
  const sets = r?.packageSets ?? [];
  assert.deepEqual(
    sets.map((s) => s.path),
    ['src/app/parent/pom.xml', 'src/app/pom.xml'],
  );
  assert.deepEqual(keyed(sets[1]!.packages, show), [
    'pkg:maven/org.alice/alice@1.0.0 direct',
    'pkg:maven/org.bob/bob@2.0.0 direct', // the child's property wins over the parent's
    'pkg:maven/org.chuck/chuck@3.0.0 direct', // the child's management wins over the parent's
    'pkg:maven/org.frank/frank@5.0.0 direct', // managed by the parent, its version from the parent's property
    'pkg:maven/org.local/my-app@1.0',
  ]);
  // The parent's own dependencies come from its own file, once.
  assert.deepEqual(keyed(sets[0]!.packages, show), ['pkg:maven/org.dave/dave@4.0.0 direct', 'pkg:maven/org.local/parent-pom@1.0']);
  // org.eve is managed nowhere in the layer: the one dependency left unresolved.
  assert.deepEqual(r?.warnings, [
    "maven-pom: src/app/pom.xml: 1 dependencies' versions come from a parent POM or dependency management not in the image: not resolved",
  ]);

  // The same child without its parent file: the parent's managed versions are unknown.
  const alone = await mavenPomAnalyzer.analyzeGroup(vfs({ 'src/app/pom.xml': app }), ctx);
  assert.deepEqual(
    keyed(allPackages(alone), (p) => p.name),
    ['org.alice:alice', 'org.bob:bob', 'org.chuck:chuck', 'org.local:my-app'],
  );
  assert.match(alone?.warnings?.[0] ?? '', /: 2 dependencies' versions come from a parent POM/);

  // A file at the relative path that is another project is not the parent (Maven checks too).
  const other = parent.replace(
    '<artifactId>parent-pom</artifactId><version>1.0</version><packaging>',
    '<artifactId>other</artifactId><version>1.0</version><packaging>',
  );
  const wrong = await mavenPomAnalyzer.analyzeGroup(vfs({ 'src/app/pom.xml': app, 'src/app/parent/pom.xml': other }), ctx);
  assert.match(wrong?.warnings?.join('\n') ?? '', /src\/app\/pom\.xml: 2 dependencies/);
});

test('pom.xml: default ../pom.xml parent, profiles active by default, parent cycles bounded', async () => {
  const parent = `<project><groupId>g</groupId><artifactId>root</artifactId><version>7</version>
  <parent><groupId>g</groupId><artifactId>mod</artifactId><version>7</version><relativePath>mod/pom.xml</relativePath></parent>
  <properties><lib.version>3.1</lib.version></properties></project>`;
  const mod = `<project><artifactId>mod</artifactId>
  <parent><groupId>g</groupId><artifactId>root</artifactId><version>7</version></parent>
  <dependencies><dependency><groupId>x</groupId><artifactId>lib</artifactId><version>\${lib.version}</version></dependency></dependencies>
  <profiles>
    <profile><id>on</id><activation><activeByDefault>true</activeByDefault></activation>
      <dependencies><dependency><groupId>org.profile</groupId><artifactId>profile-dep</artifactId><version>1.2.3</version></dependency></dependencies>
    </profile>
    <profile><id>off</id><activation><property><name>ci</name></property></activation>
      <dependencies><dependency><groupId>org.profile</groupId><artifactId>ci-only</artifactId><version>9</version></dependency></dependencies>
    </profile>
  </profiles></project>`;
  const r = await mavenPomAnalyzer.analyzeGroup(vfs({ 'app/pom.xml': parent, 'app/mod/pom.xml': mod }), ctx);
  assert.deepEqual(
    keyed(allPackages(r), (p) => `${p.path} ${p.purl}`),
    [
      'app/mod/pom.xml pkg:maven/g/mod@7',
      'app/mod/pom.xml pkg:maven/org.profile/profile-dep@1.2.3',
      'app/mod/pom.xml pkg:maven/x/lib@3.1',
      'app/pom.xml pkg:maven/g/root@7',
    ],
  );
  assert.equal(r?.warnings, undefined);
});

test('pom.xml in an exploded archive gives its project only; routing', async () => {
  const pom = `<project><groupId>com.example</groupId><artifactId>web</artifactId><version>2.0</version>
  <dependencies><dependency><groupId>org.x</groupId><artifactId>y</artifactId><version>1</version></dependency></dependencies></project>`;
  const r = await mavenPomAnalyzer.analyzeGroup(vfs({ 'srv/app/WEB-INF/classes/META-INF/maven/com.example/web/pom.xml': pom }), ctx);
  assert.deepEqual(
    keyed(allPackages(r), (p) => p.purl),
    ['pkg:maven/com.example/web@2.0'],
  );
  const info = { size: 100, mode: 0o644 };
  // osv-scalibr's FileRequired table for pom.xml.
  for (const [p, want] of [
    ['', false],
    ['pom.xml', true],
    ['path/to/my/pom.xml', true],
    ['path/to/my/pom.xml/file', false],
    ['path/to/my/pom.xml.file', false],
    ['path.to.my.pom.xml', false],
  ] as const)
    assert.equal(mavenPomAnalyzer.required(p, info), want, p);
});

test('pom.xml: empty project, not XML, not a POM, invalid element names', async () => {
  const empty = parsePom(
    '<project><modelVersion>4.0.0</modelVersion><groupId>com.mycompany.app</groupId><artifactId>my-app</artifactId><version>1</version></project>',
  );
  assert.deepEqual(
    keyed(empty.packages, (p) => p.purl),
    ['pkg:maven/com.mycompany.app/my-app@1'],
  );
  assert.deepEqual(parsePom('<project></project>'), { packages: [], warnings: [] });
  for (const [content, re] of [
    ['', /not XML: .*no root element/],
    ['this is not a pom', /not XML: line 1: text outside the root element/],
    ['<project>\n  <properties>\n    <${Id}.version>1</${Id}.version>\n', /not XML: line 3: expected a name/],
    ['<project><dependencies></project>', /not XML: .*does not match/],
    ['<settings><servers/></settings>', /not a Maven POM \(root element <settings>\)/],
  ] as const) {
    const r = await mavenPomAnalyzer.analyzeGroup(vfs({ 'x/pom.xml': content }), ctx);
    assert.equal(allPackages(r).length, 0);
    assert.match(r?.warnings?.[0] ?? '', re);
  }
  const noVersion = parsePom('<project><groupId>g</groupId><artifactId>a</artifactId><version>${missing}</version></project>');
  assert.deepEqual(noVersion.packages, []);
  assert.match(noVersion.warnings[0] ?? '', /project's own coordinates \(g:a:\$\{missing\}\) are not resolved/);
});

test('XML reader: entities, character references, CDATA, comments, DOCTYPE not expanded, prefixes', () => {
  const x = parseXml(`<?xml version="1.0"?>
<!DOCTYPE project [ <!ENTITY boom "kaboom"> ]>
<!-- a comment with <tags> -->
<m:project xmlns:m="urn:x" a='1 &amp; 2'>
  <name>A &lt;b&gt; &#65;&#x42; &boom;</name>
  <v><![CDATA[1.0 <raw>]]></v>
  <empty/>
</m:project>`);
  assert.equal(x.name, 'project');
  assert.equal(x.attrs['a'], '1 & 2');
  assert.deepEqual(
    x.children.map((c) => c.name),
    ['name', 'v', 'empty'],
  );
  assert.equal(x.children[0]!.text, 'A <b> AB &boom;');
  assert.equal(x.children[1]!.text, '1.0 <raw>');
  assert.throws(() => parseXml('<a><b></a>'), /does not match/);
  assert.throws(() => parseXml('<a></a><b/>'), /more than one root/);
  assert.throws(() => parseXml('<a>' + '<b>'.repeat(300)), /nested deeper/);
  assert.throws(() => parseXml('<a x=1/>'), /not quoted/);
  assert.throws(() => parseXml('<a><!-- open'), /unterminated comment/);
});
