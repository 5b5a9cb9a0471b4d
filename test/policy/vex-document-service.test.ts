// VEX documents named by policies in the running policy service: a file under POLICY_VEX_DIR and
// a URL both suppress the findings they cover, the verdict records each suppression (by
// vex-document, with the document, statement and justification); a document that cannot be
// loaded suppresses nothing, and is read again when the policy naming it changes; a URL whose
// content changes re-judges the images on the refresh timer.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import type { ImageAssurancePolicy } from '@assay/domain';
import { makeTempDir } from '../support/tempdir.ts';
import { ConsoleClient } from '../console/client.ts';
import { startHarness, TOKEN, type Harness } from './harness.ts';
import { report, sha, vuln } from './fixtures.ts';
import { cycloneDxVex, LODASH_CDX, openVex, OPENSSL_NOT_AFFECTED, PACKAGES } from './vex-fixtures.ts';

const vexPolicy = (repository: string, vexDocuments: NonNullable<ImageAssurancePolicy['controls']['vulnerabilities']>['vexDocuments']) => ({
  name: `vex ${repository}`,
  enabled: true,
  action: 'block' as const,
  scope: { repositories: [repository] },
  controls: { vulnerabilities: { maxSeverity: 'high' as const, vexDocuments } },
});

const opensslFinding = vuln('CVE-2023-1111', 'critical', { packageType: 'deb' });
const lodashFinding = vuln('CVE-2023-3333', 'critical', { packageName: 'lodash', packageVersion: '4.17.21', packageType: 'npm' });
const imageWith = (repository: string, seed: string, vulnerabilities: ReturnType<typeof vuln>[]) =>
  report({ packages: PACKAGES as never, vulnerabilities }, { repository, digest: sha(seed) });

describe('VEX documents in the policy service', () => {
  let h: Harness;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let server: Server;
  let served = cycloneDxVex([LODASH_CDX]);
  let baseUrl = '';
  before(async () => {
    dir = await makeTempDir('vex-docs');
    await writeFile(join(dir.path, 'app.openvex.json'), openVex([OPENSSL_NOT_AFFECTED]));
    server = createServer((req, res) => {
      if (req.url === '/vex.cdx.json') res.writeHead(200, { 'content-type': 'application/json' }).end(served);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    h = await startHarness({ POLICY_VEX_DIR: dir.path, POLICY_VEX_REFRESH: '400ms', POLICY_VEX_FETCH_TIMEOUT: '2s' });
  });
  after(async () => {
    await h?.close();
    await new Promise((r) => server?.close(r));
    await dir?.remove();
  });

  it('a file the policy names suppresses the finding it covers; the verdict records the statement', async () => {
    const created = await h.call('POST', '/api/v1/policies', {
      id: 'vex-file',
      document: vexPolicy('team-v/*', [{ file: 'app.openvex.json' }]),
    });
    assert.equal(created.status, 201, created.text);
    const covered = imageWith('team-v/app', 'vex-file-covered', [opensslFinding]);
    const other = imageWith('team-v/app', 'vex-file-other', [lodashFinding]);
    for (const r of [covered, other]) await h.storeAndAnnounce(r);
    const { verdict } = await h.waitVerdict(covered.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    assert.equal(verdict.suppressed.length, 1);
    const s = verdict.suppressed[0]!;
    assert.deepEqual(
      [s.policy, s.control, s.item, s.by, s.status, s.justification, s.document, s.statement, s.detail],
      [
        'vex-file',
        'vulnerabilities',
        'CVE-2023-1111',
        'vex-document',
        'not_affected',
        'vulnerable_code_not_in_execute_path',
        'file:app.openvex.json',
        OPENSSL_NOT_AFFECTED['@id'],
        OPENSSL_NOT_AFFECTED.impact_statement,
      ],
    );
    // The console's image page names the document and the statement.
    const c = new ConsoleClient(h.url);
    await c.signIn(TOKEN);
    const page = await c.get(`/console/images/${covered.image.digest}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Excused by VEX statements/);
    assert.ok(page.text.includes('<td>file:app.openvex.json</td>'), 'the document in the signer-or-document column');
    assert.ok(page.text.includes(OPENSSL_NOT_AFFECTED['@id']));
    // The document says nothing about lodash: that image still fails.
    const o = await h.waitVerdict(other.image.digest, (v) => v.compliance !== Compliance.UNSPECIFIED);
    assert.equal(o.verdict.compliance, Compliance.NON_COMPLIANT);
    assert.equal(o.verdict.suppressed.length, 0);
  });

  it('a file that cannot be loaded suppresses nothing, and is read again when the policy changes', async () => {
    const created = await h.call('POST', '/api/v1/policies', {
      id: 'vex-missing',
      document: vexPolicy('team-m/*', [{ file: 'later.json' }]),
    });
    assert.equal(created.status, 201, created.text);
    const r = imageWith('team-m/app', 'vex-missing', [opensslFinding]);
    await h.storeAndAnnounce(r);
    const first = await h.waitVerdict(r.image.digest, (v) => v.compliance !== Compliance.UNSPECIFIED);
    assert.equal(first.verdict.compliance, Compliance.NON_COMPLIANT);
    assert.match(first.verdict.reasons[0]!.message, /CVE-2023-1111/);
    // Written now: the policy change (a new description) makes the service read it.
    await writeFile(join(dir.path, 'later.json'), openVex([OPENSSL_NOT_AFFECTED]));
    const changed = await h.call(
      'PUT',
      '/api/v1/policies/vex-missing',
      { document: { ...vexPolicy('team-m/*', [{ file: 'later.json' }]), description: 'VEX written' } },
      { 'if-match': '"1"' },
    );
    assert.equal(changed.status, 200, changed.text);
    const after = await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    assert.equal(after.verdict.suppressed[0]!.document, 'file:later.json');
  });

  it('a URL suppresses too, and a changed document re-judges the images on the refresh timer', async () => {
    const url = `${baseUrl}/vex.cdx.json`;
    const created = await h.call('POST', '/api/v1/policies', { id: 'vex-url', document: vexPolicy('team-u/*', [{ url }]) });
    assert.equal(created.status, 201, created.text);
    const r = imageWith('team-u/app', 'vex-url', [lodashFinding]);
    await h.storeAndAnnounce(r);
    const first = await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.COMPLIANT);
    assert.deepEqual(
      first.verdict.suppressed.map((s) => [s.item, s.by, s.status, s.document, s.statement]),
      [['CVE-2023-3333', 'vex-document', 'not_affected', url, 'vulnerabilities[0]']],
    );
    // The vendor now says it is exploitable: no longer suppressed once the service reads it again.
    served = cycloneDxVex([{ ...LODASH_CDX, analysis: { state: 'exploitable' } }]);
    const later = await h.waitVerdict(r.image.digest, (v) => v.compliance === Compliance.NON_COMPLIANT, 15_000);
    assert.equal(later.verdict.suppressed.length, 0);
  });

  it('refuses a policy naming a file outside the directory or a non-HTTP URL, naming the field', async () => {
    const up = await h.call('POST', '/api/v1/policies', { id: 'vex-bad', document: vexPolicy('team-b/*', [{ file: '../etc/passwd' }]) });
    assert.equal(up.status, 400, up.text);
    assert.match(up.json.error, /vexDocuments\[0\]\.file: must be a relative path without "\.\."/);
    const ftp = await h.call('POST', '/api/v1/policies', {
      id: 'vex-bad',
      document: vexPolicy('team-b/*', [{ url: 'ftp://example.com/v.json' }]),
    });
    assert.equal(ftp.status, 400, ftp.text);
    assert.match(ftp.json.error, /vexDocuments\[0\]\.url: expected an http\(s\) URL/);
  });
});
