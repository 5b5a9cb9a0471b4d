// VEX documents a policy names (controls.vulnerabilities.vexDocuments): an OpenVEX or CycloneDX VEX
// statement that a finding's package (or the image) is not affected or fixed suppresses it, and
// the verdict records the suppression; statements about other products, `affected` and
// `under_investigation` never do; unreadable documents fail with a message naming what is wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applicablePolicies,
  evaluateImage,
  parseVexDocument,
  verdictFromEvaluation,
  vexDocumentKey,
  VexDocumentError,
  type VexDocument,
} from '@assay/policy-engine';
import { policy, ref, report, vuln } from './fixtures.ts';
import { cycloneDxVex, IMAGE_DIGEST, IMAGE_FIXED, LODASH_CDX, openVex, OPENSSL_NOT_AFFECTED, PACKAGES } from './vex-fixtures.ts';

const NOW = new Date('2026-02-01T00:00:00Z');

const findings = [
  vuln('CVE-2023-1111', 'critical', { packageType: 'deb' }),
  vuln('CVE-2023-2222', 'critical', { packageType: 'deb' }),
  vuln('CVE-2023-3333', 'critical', { packageName: 'lodash', packageVersion: '4.17.21', packageType: 'npm' }),
  vuln('CVE-2023-4444', 'critical', { packageName: 'curl', packageVersion: '7.88.1', packageType: 'deb' }),
];

function imageReport(vulnerabilities = findings, digest = IMAGE_DIGEST) {
  return report({ packages: PACKAGES as never, vulnerabilities }, { digest });
}

/** Judges `r` against one policy naming `docs` (file refs), with the documents loaded. */
function judge(r: ReturnType<typeof report>, docs: Record<string, string>) {
  const refs = Object.keys(docs).map((file) => ({ file }));
  const p = ref('p1', policy({ vulnerabilities: { maxSeverity: 'high', vexDocuments: refs } }));
  const loaded = new Map<string, VexDocument>();
  for (const [file, text] of Object.entries(docs)) loaded.set(vexDocumentKey({ file }), parseVexDocument(text, `file:${file}`));
  const policies = applicablePolicies(r, [p]);
  return { e: evaluateImage(r, policies, [], NOW, { vexDocuments: loaded }), policies };
}

const failing = (e: ReturnType<typeof evaluateImage>) => e.reasons.flatMap((x) => x.items).sort();

describe('VEX documents a policy names', () => {
  it('an OpenVEX not_affected statement for the package suppresses the finding, and the verdict records it', () => {
    const r = imageReport([findings[0]!]);
    const { e, policies } = judge(r, { 'app.openvex.json': openVex([OPENSSL_NOT_AFFECTED]) });
    assert.equal(e.compliant, true);
    assert.deepEqual(e.suppressed, [
      {
        policy: 'p1',
        control: 'vulnerabilities',
        item: 'CVE-2023-1111',
        by: 'vex-document',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        document: 'file:app.openvex.json',
        statement: 'https://openvex.dev/docs/example/vex-9fb3463de1b57#openssl',
        detail: 'The TLS heartbeat path is compiled out of this image.',
      },
    ]);
    const v = verdictFromEvaluation(r, e, policies, NOW);
    assert.equal(v.suppressed.length, 1);
    const s = v.suppressed[0]!;
    assert.deepEqual(
      [s.by, s.item, s.status, s.justification, s.document, s.statement, s.signer],
      [
        'vex-document',
        'CVE-2023-1111',
        'not_affected',
        'vulnerable_code_not_in_execute_path',
        'file:app.openvex.json',
        'https://openvex.dev/docs/example/vex-9fb3463de1b57#openssl',
        '',
      ],
    );
  });

  it('matches the finding by an alias the statement lists', () => {
    const r = imageReport([vuln('GHSA-aaaa-bbbb-cccc', 'critical', { packageType: 'deb' })]);
    const { e } = judge(r, { 'a.json': openVex([OPENSSL_NOT_AFFECTED]) });
    assert.equal(e.compliant, true);
    assert.equal(e.suppressed?.[0]?.item, 'GHSA-aaaa-bbbb-cccc');
  });

  it('an image product (its digest) limited to a subcomponent suppresses only in that package', () => {
    const r = imageReport([
      findings[1]!,
      vuln('CVE-2023-2222', 'critical', { packageName: 'curl', packageVersion: '7.88.1', packageType: 'deb' }),
    ]);
    const { e } = judge(r, { 'img.json': openVex([IMAGE_FIXED]) });
    assert.equal(e.compliant, false);
    assert.deepEqual(
      e.suppressed?.map((s) => [s.item, s.status]),
      [['CVE-2023-2222', 'fixed']],
    );
    assert.equal(e.reasons[0]!.evidence.items[0]!['package'], 'curl');
  });

  it('a CycloneDX VEX analysis (not_affected, code_not_reachable) suppresses the finding', () => {
    const r = imageReport([findings[2]!, findings[3]!]);
    const { e } = judge(r, { 'app.cdx.json': cycloneDxVex([LODASH_CDX]) });
    assert.deepEqual(failing(e), ['CVE-2023-4444']);
    assert.deepEqual(e.suppressed, [
      {
        policy: 'p1',
        control: 'vulnerabilities',
        item: 'CVE-2023-3333',
        by: 'vex-document',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        document: 'file:app.cdx.json',
        statement: 'vulnerabilities[0]',
        detail: 'lodash.template is never called.',
      },
    ]);
  });

  it('CycloneDX: a ref to a component of the same document is read as its purl; resolved is fixed', () => {
    const doc = JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      version: 1,
      components: [{ type: 'library', 'bom-ref': 'curl-1', name: 'curl', version: '7.88.1', purl: 'pkg:deb/debian/curl@7.88.1' }],
      vulnerabilities: [{ id: 'CVE-2023-4444', analysis: { state: 'resolved' }, affects: [{ ref: 'curl-1' }] }],
    });
    const { e } = judge(imageReport([findings[3]!]), { 'c.json': doc });
    assert.equal(e.compliant, true);
    assert.equal(e.suppressed?.[0]?.status, 'fixed');
  });

  it('a statement about another product does not suppress', () => {
    const otherPackage = { ...OPENSSL_NOT_AFFECTED, products: [{ '@id': 'pkg:deb/debian/openssl-legacy' }] };
    const otherVersion = { ...OPENSSL_NOT_AFFECTED, products: [{ '@id': 'pkg:deb/debian/openssl@1.1.1' }] };
    const otherArch = { ...OPENSSL_NOT_AFFECTED, products: [{ '@id': 'pkg:deb/debian/openssl@3.0.11?arch=arm64' }] };
    for (const s of [otherPackage, otherVersion, otherArch]) {
      const { e } = judge(imageReport([findings[0]!]), { 'a.json': openVex([s]) });
      assert.equal(e.compliant, false, JSON.stringify(s.products));
      assert.equal(e.suppressed, undefined);
    }
    // The same statement about another image (its digest) suppresses nothing here.
    const { e } = judge(imageReport([findings[1]!], 'sha256:' + '0'.repeat(64)), { 'img.json': openVex([IMAGE_FIXED]) });
    assert.equal(e.compliant, false);
    const cdxOther = { ...LODASH_CDX, affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/lodash@4.17.20' }] };
    assert.equal(judge(imageReport([findings[2]!]), { 'c.json': cycloneDxVex([cdxOther]) }).e.compliant, false);
  });

  it('affected and under_investigation never suppress, and a later one takes back an earlier not_affected', () => {
    for (const status of ['affected', 'under_investigation']) {
      const { e } = judge(imageReport([findings[0]!]), {
        'a.json': openVex([{ ...OPENSSL_NOT_AFFECTED, status, justification: undefined }]),
      });
      assert.equal(e.compliant, false, status);
      assert.equal(e.suppressed, undefined);
    }
    for (const state of ['exploitable', 'in_triage']) {
      const { e } = judge(imageReport([findings[2]!]), { 'c.json': cycloneDxVex([{ ...LODASH_CDX, analysis: { state } }]) });
      assert.equal(e.compliant, false, state);
    }
    const later = { ...OPENSSL_NOT_AFFECTED, status: 'affected', justification: undefined, action_statement: 'upgrade' };
    const { e } = judge(imageReport([findings[0]!]), { 'a.json': openVex([OPENSSL_NOT_AFFECTED, later]) });
    assert.equal(e.compliant, false);
  });

  it('the block list outranks a document; a document the service could not load suppresses nothing', () => {
    const r = imageReport([findings[0]!]);
    const p = ref('p1', policy({ vulnerabilities: { maxSeverity: 'high', deny: ['CVE-2023-1111'], vexDocuments: [{ file: 'a.json' }] } }));
    const loaded = new Map([[vexDocumentKey({ file: 'a.json' }), parseVexDocument(openVex([OPENSSL_NOT_AFFECTED]), 'file:a.json')]]);
    assert.equal(evaluateImage(r, [p], [], NOW, { vexDocuments: loaded }).compliant, false);
    const named = ref('p1', policy({ vulnerabilities: { maxSeverity: 'high', vexDocuments: [{ file: 'a.json' }] } }));
    assert.equal(evaluateImage(r, [named], [], NOW, { vexDocuments: new Map() }).compliant, false);
    assert.equal(evaluateImage(r, [named], [], NOW, { vexDocuments: loaded }).compliant, true);
    // A document the policy does not name suppresses nothing.
    const other = ref('p1', policy({ vulnerabilities: { maxSeverity: 'high', vexDocuments: [{ file: 'b.json' }] } }));
    assert.equal(evaluateImage(r, [other], [], NOW, { vexDocuments: loaded }).compliant, false);
  });

  it('an unreadable document is refused with a message naming the document and the field', () => {
    const cases: Array<[string, RegExp]> = [
      ['{ not json', /^file:x\.json: not JSON/],
      ['[]', /^file:x\.json: expected a JSON object/],
      ['{"hello":"world"}', /^file:x\.json: neither OpenVEX .* nor CycloneDX VEX/],
      [
        openVex([{ ...OPENSSL_NOT_AFFECTED, status: 'maybe' }]),
        /^file:x\.json: statements\[0\]\.status is "maybe", not one of not_affected, affected, fixed, under_investigation/,
      ],
      [openVex([{ status: 'fixed' }]), /^file:x\.json: statements\[0\]\.vulnerability names no vulnerability/],
      [cycloneDxVex([{ ...LODASH_CDX, analysis: { state: 'nope' } }]), /^file:x\.json: vulnerabilities\[0\]\.analysis\.state is "nope"/],
      [JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6' }), /no vulnerabilities array/],
    ];
    for (const [text, want] of cases) {
      assert.throws(
        () => parseVexDocument(text, 'file:x.json'),
        (err: Error) => err instanceof VexDocumentError && want.test(err.message),
        text,
      );
    }
  });
});
