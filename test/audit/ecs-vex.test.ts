// A verdict change's audit document carries the findings VEX statements excused (a named VEX
// document's, with the document and statement; a signed attestation's, with its signer), every
// field typed by the index template's mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { VerdictSuppressionSchema } from '@assay/proto';
import { AUDIT_MAPPINGS, toEcs } from '@assay/audit';
import { flattenMapping } from '../support/elasticsearch-standin/index.ts';
import { verdictEvent } from './helpers.ts';

const origin = { subject: 'assay.audit.policy', stream: 'ASSAY_AUDIT', streamSequence: 3, storedAt: new Date('2026-01-01T00:00:00Z') };

function leafPaths(doc: unknown, prefix = ''): string[] {
  if (Array.isArray(doc)) return doc.flatMap((d) => leafPaths(d, prefix));
  if (doc && typeof doc === 'object') return Object.entries(doc).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

describe('audit: VEX suppressions', () => {
  it('lists each suppression with its document and statement, or its signer', () => {
    const ev = verdictEvent(1);
    assert.equal(ev.event.case, 'verdictChange');
    if (ev.event.case !== 'verdictChange') return;
    ev.event.value.suppressed = [
      create(VerdictSuppressionSchema, {
        policy: 'baseline',
        control: 'vulnerabilities',
        item: 'CVE-2023-1234',
        by: 'vex-document',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        document: 'file:vex/app.openvex.json',
        statement: 'https://openvex.dev/docs/example/vex-9fb3463de1#1',
      }),
      create(VerdictSuppressionSchema, {
        policy: 'baseline',
        control: 'vulnerabilities',
        item: 'CVE-2024-0002',
        by: 'vex',
        status: 'fixed',
        signer: 'release-key',
        attestation: 'sha256:' + 'c'.repeat(64),
      }),
    ];
    const doc = toEcs(ev, origin) as Record<string, any>;
    const s = doc.assay.verdict.suppressed;
    assert.equal(s.length, 2);
    assert.deepEqual(s[0], {
      policy: 'baseline',
      control: 'vulnerabilities',
      item: 'CVE-2023-1234',
      by: 'vex-document',
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      document: 'file:vex/app.openvex.json',
      statement: 'https://openvex.dev/docs/example/vex-9fb3463de1#1',
    });
    assert.equal(s[1].signer, 'release-key');
    assert.equal(s[1].document, undefined);
    const mapped = flattenMapping(AUDIT_MAPPINGS as never);
    for (const path of leafPaths(doc)) assert.ok(mapped.has(path), `${path} is not in the mapping`);
  });
});
