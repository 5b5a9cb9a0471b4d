// The CycloneDX export of a report with a trust section: signatures and attestations as
// properties of the image component, SLSA provenance as its external references, the BOM still
// valid against the CycloneDX 1.6 schema, and nothing a key signed (nor the signature) in it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { ScanReportSchema, type ScanReport } from '@assay/domain';
import { toCycloneDx } from '@assay/scan-engine';
import { BUILDER_ID, KEYLESS_IDENTITY, KEYLESS_ISSUER, SOURCE_DIGEST, SOURCE_REPOSITORY, trustFixture } from '../support/trust-section.ts';

const image = { registry: 'registry.test', repository: 'team/app', digest: `sha256:${'a'.repeat(64)}`, tag: '1.0' };
const fixture = trustFixture(image);
const report: ScanReport = ScanReportSchema.parse({
  reportId: '6f1c1f9e-4b7a-4c55-9a51-3d1d3c3e2b10',
  image,
  analyzerVersions: { dpkg: 1 },
  scannedAt: '2026-11-26T10:00:00Z',
  layers: [],
  packages: [{ name: 'openssl', version: '3.0.15-1~deb12u1', type: 'deb', purl: 'pkg:deb/debian/openssl@3.0.15-1~deb12u1' }],
  vulnerabilities: [],
  trust: fixture.section,
});

/** The CycloneDX 1.6 JSON schema validator (ajv, draft-07) over the schema the library ships. */
async function validator() {
  const { default: Ajv } = await import('ajv');
  const { default: addFormats } = await import('ajv-formats');
  const dir = new URL('../../node_modules/@cyclonedx/cyclonedx-library/res/schema/', import.meta.url);
  const load = async (f: string) => JSON.parse(await readFile(new URL(f, dir), 'utf8')) as Record<string, unknown>;
  const ajv = new (Ajv as unknown as typeof import('ajv').default)({ strict: false, allErrors: true, validateFormats: true });
  (addFormats as unknown as (a: unknown) => void)(ajv);
  ajv.addSchema(await load('spdx.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
  ajv.addSchema(await load('jsf-0.82.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json');
  return ajv.compile(await load('bom-1.6.SNAPSHOT.schema.json'));
}

describe('CycloneDX: the trust section', () => {
  const text = toCycloneDx(report);
  const bom = JSON.parse(text) as Record<string, any>;
  const props = new Map<string, string>(
    (bom.metadata.component.properties as { name: string; value: string }[]).map((p) => [p.name, p.value]),
  );

  test('is valid CycloneDX 1.6', async () => {
    const validate = await validator();
    assert.ok(validate(bom), JSON.stringify(validate.errors?.slice(0, 5)));
    // an external reference of an unknown type is refused by the same validator (the check can fail)
    const broken = structuredClone(bom);
    broken.metadata.component.externalReferences[0].type = 'provenance';
    assert.equal(validate(broken), false);
  });

  test('each signature is numbered properties of the image component', () => {
    assert.equal(props.get('assay:trust:signatures'), '3');
    assert.equal(props.get('assay:trust:verifiedAt'), '2026-11-26T10:00:00.000Z');
    assert.equal(props.get('assay:trust:roots'), 'public-good@5f1a');
    // 1: verified keyless
    assert.equal(props.get('assay:trust:signature:1:type'), 'keyless');
    assert.equal(props.get('assay:trust:signature:1:identity'), KEYLESS_IDENTITY);
    assert.equal(props.get('assay:trust:signature:1:issuer'), KEYLESS_ISSUER);
    assert.equal(props.get('assay:trust:signature:1:verified'), 'true');
    assert.equal(props.get('assay:trust:signature:1:scope'), 'image');
    assert.equal(props.get('assay:trust:signature:1:source'), 'referrer');
    assert.equal(props.get('assay:trust:signature:1:timestamp'), 'tlog');
    assert.equal(props.get('assay:trust:signature:1:signedAt'), '2026-11-26T09:00:00.000Z');
    // 2: a key signature (checked against a policy's keys at evaluation: no verified flag here)
    assert.equal(props.get('assay:trust:signature:2:type'), 'key');
    assert.equal(props.get('assay:trust:signature:2:keyHint'), 'release');
    assert.equal(props.get('assay:trust:signature:2:verified'), undefined);
    assert.equal(props.get('assay:trust:signature:2:source'), 'cosign-tag');
    assert.equal(props.get('assay:trust:signature:2:payloadDigest'), image.digest);
    assert.equal(props.get('assay:trust:signature:2:dockerReference'), 'registry.test/team/app');
    // 3: cannot count
    assert.equal(props.get('assay:trust:signature:3:verified'), 'false');
    assert.match(props.get('assay:trust:signature:3:error') ?? '', /^payload names sha256:9{64}, not this image$/);
  });

  test('attestations: SLSA provenance fields and OpenVEX', () => {
    assert.equal(props.get('assay:trust:attestations'), '2');
    assert.equal(props.get('assay:trust:attestation:1:kind'), 'slsa-provenance');
    assert.equal(props.get('assay:trust:attestation:1:predicateType'), 'https://slsa.dev/provenance/v1');
    assert.equal(props.get('assay:trust:attestation:1:subjectMatches'), 'true');
    assert.equal(props.get('assay:trust:attestation:1:verified'), 'true');
    assert.equal(props.get('assay:trust:attestation:1:identity'), KEYLESS_IDENTITY);
    assert.equal(props.get('assay:trust:attestation:1:builderId'), BUILDER_ID);
    assert.equal(props.get('assay:trust:attestation:1:sourceRepository'), SOURCE_REPOSITORY);
    assert.equal(props.get('assay:trust:attestation:1:sourceRef'), 'refs/heads/main');
    assert.equal(props.get('assay:trust:attestation:2:kind'), 'openvex');
    assert.equal(props.get('assay:trust:attestation:2:type'), 'key');
    assert.equal(props.get('assay:trust:attestation:2:vexStatements'), '1');
  });

  test('provenance: the source repository as vcs, the builder as build-system', () => {
    const refs = bom.metadata.component.externalReferences as { type: string; url: string; comment?: string }[];
    const vcs = refs.find((r) => r.type === 'vcs');
    assert.equal(vcs?.url, SOURCE_REPOSITORY);
    assert.equal(vcs?.comment, `SLSA provenance source repository at refs/heads/main ${SOURCE_DIGEST}`);
    const builder = refs.find((r) => r.type === 'build-system');
    assert.equal(builder?.url, BUILDER_ID);
    assert.equal(refs.length, 2);
  });

  test('an attestation about another digest gives no external reference', () => {
    const section = structuredClone(fixture.section);
    section.attestations[0]!.subjectMatches = false;
    const other = JSON.parse(toCycloneDx({ ...report, trust: section })) as Record<string, any>;
    assert.equal(other.metadata.component.externalReferences, undefined);
  });

  test('no signed payload and no signature appears in the BOM', () => {
    assert.ok(fixture.secrets.length >= 6);
    for (const s of fixture.secrets) assert.ok(!text.includes(s), 'signed bytes or a signature leaked into the BOM');
    assert.ok(!text.includes('docker-manifest-digest'), 'the simple-signing payload leaked into the BOM');
  });

  test('a report without a trust section has no trust properties', () => {
    const plain = JSON.parse(toCycloneDx({ ...report, trust: undefined })) as Record<string, any>;
    const names = ((plain.metadata.component.properties ?? []) as { name: string }[]).map((p) => p.name);
    assert.ok(!names.some((n) => n.startsWith('assay:trust')));
  });
});
