// Predicate summaries: SLSA v0.2 (slsa-github-generator's Go builder) and v1 (the GitHub Actions
// workflow build type example), OpenVEX (the spec's example, and statements about this image by
// digest or pkg:oci purl), CycloneDX and SPDX from cosign's test data, cosign's vuln predicate.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MAX_VEX_STATEMENTS, parseEnvelope, parseStatement, splitSourceUri, summarisePredicate, TrustFormatError } from '@assay/trust';

const fixture = (name: string) => readFileSync(new URL(`fixtures/formats/${name}`, import.meta.url));
const json = (name: string): unknown => JSON.parse(fixture(name).toString());
const image = `sha256:${'ab'.repeat(32)}`;
const formatError = (message: RegExp) => (err: Error) => err instanceof TrustFormatError && message.test(err.message);

describe('SLSA provenance', () => {
  it("v0.2 from slsa-github-generator's Go builder", () => {
    const st = parseStatement(parseEnvelope(fixture('slsa-v02-go-builder.intoto.jsonl')).payload);
    assert.deepEqual(summarisePredicate('slsa-provenance', st.predicate, image), {
      provenance: {
        slsaVersion: '0.2',
        builderId: 'https://github.com/laurentsimon/slsa-github-generator-go/.github/workflows/slsa3_builder.yml@refs/heads/feat/assets',
        buildType: 'https://github.com/slsa-framework/slsa-github-generator-go@v1',
        sourceRepository: 'https://github.com/laurentsimon/slsa-on-github-test',
        sourceRef: 'refs/tags/v3.1',
        sourceDigest: 'sha1:df7d6694efa9f332c1e042f0452e5b7ece22d0d8',
      },
    });
  });

  it('v0.2 without a configSource takes the git material', () => {
    const p = {
      builder: { id: 'b' },
      buildType: 't',
      materials: [{ uri: 'pkg:x' }, { uri: 'git+https://git.example/a/b@v1', digest: { sha1: 'ff' } }],
    };
    assert.deepEqual(summarisePredicate('slsa-provenance', p, image).provenance, {
      slsaVersion: '0.2',
      builderId: 'b',
      buildType: 't',
      sourceRepository: 'https://git.example/a/b',
      sourceRef: 'v1',
      sourceDigest: 'sha1:ff',
    });
  });

  it('v1 from the GitHub Actions workflow build type example', () => {
    const st = parseStatement(fixture('slsa-v1-github-workflow.json'));
    assert.deepEqual(summarisePredicate('slsa-provenance', st.predicate, image).provenance, {
      slsaVersion: '1',
      builderId: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v0.0.1',
      buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
      sourceRepository: 'https://github.com/octocat/hello-world',
      sourceRef: 'refs/heads/main',
      sourceDigest: 'gitCommit:c27d339ee6075c1f744c5d4b200f7901aad2c369',
    });
  });

  it('v1 of another build type falls back to the git dependency', () => {
    const p = {
      buildDefinition: {
        buildType: 'https://example.com/build/v1',
        externalParameters: {},
        resolvedDependencies: [{ uri: 'git+https://gitlab.example/g/p@refs/tags/v2', digest: { sha1: '12' } }],
      },
      runDetails: { builder: { id: 'https://gitlab.example/runner' } },
    };
    assert.deepEqual(summarisePredicate('slsa-provenance', p, image).provenance, {
      slsaVersion: '1',
      builderId: 'https://gitlab.example/runner',
      buildType: 'https://example.com/build/v1',
      sourceRepository: 'https://gitlab.example/g/p',
      sourceRef: 'refs/tags/v2',
      sourceDigest: 'sha1:12',
    });
  });

  it('source URIs split at the @ after the path, never a user@ before the host', () => {
    assert.deepEqual(splitSourceUri('git+https://github.com/a/b@refs/heads/main'), {
      repository: 'https://github.com/a/b',
      ref: 'refs/heads/main',
    });
    assert.deepEqual(splitSourceUri('git+ssh://git@github.com/a/b'), { repository: 'ssh://git@github.com/a/b' });
    assert.deepEqual(splitSourceUri('https://github.com/a/b'), { repository: 'https://github.com/a/b' });
  });

  it('bad provenance is refused naming the field', () => {
    assert.throws(() => summarisePredicate('slsa-provenance', 'x', image), formatError(/predicate is not an object/));
    assert.throws(() => summarisePredicate('slsa-provenance', { buildType: 't' }, image), formatError(/builder\.id is missing/));
    assert.throws(
      () => summarisePredicate('slsa-provenance', { builder: { id: 7 }, buildType: 't' }, image),
      formatError(/builder\.id is not a string/),
    );
    assert.throws(
      () => summarisePredicate('slsa-provenance', { buildDefinition: { buildType: 't' }, runDetails: {} }, image),
      formatError(/runDetails\.builder\.id is missing/),
    );
    assert.throws(
      () => summarisePredicate('slsa-provenance', { buildDefinition: { buildType: 't' } }, image),
      formatError(/runDetails is missing/),
    );
    assert.throws(() => summarisePredicate('slsa-provenance', { foo: 1 }, image), formatError(/neither/));
  });
});

describe('OpenVEX', () => {
  const hex = image.slice(7);
  const statement = (products: unknown, vulnerability: unknown = { name: 'CVE-2024-0001' }) => ({
    vulnerability,
    products,
    status: 'not_affected',
    justification: 'component_not_present',
  });

  it("the spec's example is about a Maven package, not this image: nothing kept", () => {
    assert.deepEqual(summarisePredicate('openvex', json('openvex-spec-example.json'), image), { vex: [] });
  });

  it('the same example kept whole when its product hash is the image digest, with aliases and impact statement', () => {
    const doc = json('openvex-spec-example.json') as { statements: { products: { hashes: Record<string, string> }[] }[] };
    doc.statements[0]!.products[0]!.hashes['sha-256'] = hex;
    const { vex } = summarisePredicate('openvex', doc, image);
    assert.equal(vex?.length, 1);
    assert.equal(vex![0]!.vulnerability, 'CVE-2021-44228');
    assert.deepEqual(vex![0]!.aliases, ['GHSA-jfh8-c2jp-5v3q']);
    assert.equal(vex![0]!.status, 'not_affected');
    assert.equal(vex![0]!.justification, 'vulnerable_code_not_in_execute_path');
    assert.match(vex![0]!.impactStatement ?? '', /Spring Boot users/);
    assert.equal(vex![0]!.products, undefined, 'the whole image');
  });

  it('keeps statements naming this image by pkg:oci purl or digest, or with no products; subcomponents become products', () => {
    const doc = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [
        statement([
          {
            '@id': `pkg:oci/app@sha256%3A${hex}?repository_url=registry.example/app`,
            subcomponents: [{ '@id': 'pkg:deb/debian/openssl@3.0.11' }],
          },
        ]),
        statement([{ '@id': `registry.example/app@${image}` }], { name: 'CVE-2024-0002' }),
        statement([{ '@id': `pkg:oci/app@sha256%3A${'cd'.repeat(32)}` }], { name: 'CVE-2024-0003' }),
        { vulnerability: 'CVE-2024-0004', status: 'fixed' },
        statement([{ identifiers: { purl: `pkg:oci/app@sha256:${hex}` } }], { name: 'CVE-2024-0005' }),
      ],
    };
    const { vex } = summarisePredicate('openvex', doc, image);
    assert.deepEqual(
      vex?.map((s) => [s.vulnerability, s.status, s.products]),
      [
        ['CVE-2024-0001', 'not_affected', ['pkg:deb/debian/openssl@3.0.11']],
        ['CVE-2024-0002', 'not_affected', undefined],
        ['CVE-2024-0004', 'fixed', undefined],
        ['CVE-2024-0005', 'not_affected', undefined],
      ],
    );
  });

  it(`keeps at most ${MAX_VEX_STATEMENTS} statements and counts the rest`, () => {
    const statements = Array.from({ length: MAX_VEX_STATEMENTS + 5 }, (_, i) => ({
      vulnerability: { name: `CVE-2024-${i}` },
      status: 'affected',
    }));
    const out = summarisePredicate('openvex', { statements }, image);
    assert.equal(out.vex?.length, MAX_VEX_STATEMENTS);
    assert.equal(out.vexOmitted, 5);
  });

  it('bad VEX is refused naming the field', () => {
    assert.throws(() => summarisePredicate('openvex', {}, image), formatError(/statements is missing/));
    assert.throws(
      () => summarisePredicate('openvex', { statements: [{ vulnerability: 'CVE-1', status: 'maybe' }] }, image),
      formatError(/statements\[0\]\.status/),
    );
    assert.throws(
      () => summarisePredicate('openvex', { statements: [{ status: 'fixed' }] }, image),
      formatError(/statements\[0\]\.vulnerability/),
    );
    assert.throws(
      () => summarisePredicate('openvex', { statements: [{ vulnerability: 'CVE-1', status: 'fixed', products: 'x' }] }, image),
      formatError(/statements\[0\]\.products/),
    );
  });
});

describe('SBOM and scan predicates', () => {
  it("CycloneDX and SPDX from cosign's test data", () => {
    assert.deepEqual(summarisePredicate('cyclonedx', json('cosign-bom.cyclonedx.json'), image), {
      sbom: { specVersion: '1.4', components: 0 },
    });
    assert.deepEqual(summarisePredicate('spdx', json('cosign-bom.spdx.json'), image), { sbom: { specVersion: 'SPDX-2.2', components: 0 } });
  });

  it('CycloneDX counts nested components; SPDX counts packages, and tag-value text (cosign --type spdx)', () => {
    const bom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [{ name: 'a', components: [{ name: 'b' }, { name: 'c', components: [{ name: 'd' }] }] }, { name: 'e' }],
    };
    assert.deepEqual(summarisePredicate('cyclonedx', bom, image).sbom, { specVersion: '1.5', components: 5 });
    assert.deepEqual(summarisePredicate('spdx', { spdxVersion: 'SPDX-2.3', packages: [{}, {}] }, image).sbom, {
      specVersion: 'SPDX-2.3',
      components: 2,
    });
    const text = 'SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\n\nPackageName: a\nSPDXID: SPDXRef-a\n\nPackageName: b\n';
    assert.deepEqual(summarisePredicate('spdx', text, image).sbom, { specVersion: 'SPDX-2.2', components: 2 });
  });

  it('bad SBOMs are refused naming the field', () => {
    assert.throws(() => summarisePredicate('cyclonedx', { bomFormat: 'SPDX' }, image), formatError(/bomFormat/));
    assert.throws(() => summarisePredicate('cyclonedx', { components: {} }, image), formatError(/components is not an array/));
    let deep: Record<string, unknown> = { name: 'leaf' };
    for (let i = 0; i < 40; i++) deep = { name: `n${i}`, components: [deep] };
    assert.throws(() => summarisePredicate('cyclonedx', { components: [deep] }, image), formatError(/nest deeper/));
    assert.throws(() => summarisePredicate('spdx', { packages: [] }, image), formatError(/spdxVersion is missing/));
    assert.throws(() => summarisePredicate('spdx', 'PackageName: a', image), formatError(/no SPDXVersion/));
  });

  it("cosign's vuln predicate: the scanner and its result count (Trivy, Grype, SARIF shapes)", () => {
    assert.deepEqual(summarisePredicate('vuln', json('cosign-vuln-predicate.json'), image), {
      scan: { scanner: 'fakescanner.example.com/cosign-testing', results: 0 },
    });
    const scan = (result: unknown) =>
      summarisePredicate('vuln', { scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0', result } }, image).scan;
    assert.deepEqual(scan({ Results: [{ Vulnerabilities: [{}, {}] }, { Vulnerabilities: [{}] }, {}] }), {
      scanner: 'pkg:github/aquasecurity/trivy@0.50.0',
      results: 3,
    });
    assert.equal(scan({ matches: [{}, {}] })?.results, 2);
    assert.equal(scan({ runs: [{ results: [{}] }, { results: [{}, {}] }] })?.results, 3);
    assert.throws(() => summarisePredicate('vuln', {}, image), formatError(/scanner is missing/));
    assert.throws(() => scan('text'), formatError(/scanner\.result/));
  });

  it('an `other` predicate is not summarised', () => {
    assert.deepEqual(summarisePredicate('other', { anything: true }, image), {});
  });
});
