// The policy service's VEX document loader on its own: files only under POLICY_VEX_DIR (no `..`
// through a symbolic link either), URLs within the size and time limits, a document that cannot
// be loaded logged with its reason, the last good copy kept when a later read fails, and only
// changed content reported by a reload.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@assay/telemetry';
import type { ImageAssurancePolicy } from '@assay/domain';
import { VexDocuments } from '../../services/policy/src/vex-documents.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { openVex, OPENSSL_NOT_AFFECTED } from './vex-fixtures.ts';

const policyNaming = (vexDocuments: Array<{ file: string } | { url: string }>): ImageAssurancePolicy => ({
  name: 'p',
  enabled: true,
  action: 'block',
  controls: { vulnerabilities: { maxSeverity: 'high', vexDocuments } },
});

describe('VEX document loader', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let outside: Awaited<ReturnType<typeof makeTempDir>>;
  let server: Server;
  let base = '';
  let body = openVex([OPENSSL_NOT_AFFECTED]);
  let status = 200;
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'vex-test',
    level: 'info',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const loader = (maxBytes?: number) =>
    new VexDocuments({ dir: dir.path, refreshMs: 3_600_000, timeoutMs: 500, logger, ...(maxBytes ? { maxBytes } : {}) });

  before(async () => {
    dir = await makeTempDir('vex-loader');
    outside = await makeTempDir('vex-outside');
    await mkdir(join(dir.path, 'team'));
    await writeFile(join(dir.path, 'team', 'app.json'), openVex([OPENSSL_NOT_AFFECTED]));
    await writeFile(join(outside.path, 'secret.json'), openVex([OPENSSL_NOT_AFFECTED]));
    await symlink(join(outside.path, 'secret.json'), join(dir.path, 'escape.json'));
    server = createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end(body), 2_000);
      if (req.url === '/big') return void res.end('x'.repeat(4096));
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? body : 'no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await dir?.remove();
    await outside?.remove();
  });

  it('reads a file under the directory, and refuses one a symbolic link takes outside it', async () => {
    const v = loader();
    const docs = await v.forPolicies([policyNaming([{ file: 'team/app.json' }, { file: 'escape.json' }, { file: 'none.json' }])]);
    assert.deepEqual([...docs.keys()], ['file:team/app.json']);
    assert.equal(docs.get('file:team/app.json')!.statements[0]!.vulnerability, 'CVE-2023-1111');
    const errors = v.errors();
    assert.match(errors.get('file:escape.json')!, /outside POLICY_VEX_DIR/);
    assert.match(errors.get('file:none.json')!, /no such file under POLICY_VEX_DIR/);
    const warned = lines.filter((l) => l['document'] === 'file:escape.json');
    assert.equal(warned[0]?.['msg'], 'VEX document could not be loaded; it suppresses no finding until it can be');
  });

  it('without a directory, a file is refused with the reason', async () => {
    const v = new VexDocuments({ refreshMs: 3_600_000, timeoutMs: 500, logger });
    assert.equal((await v.forPolicies([policyNaming([{ file: 'team/app.json' }])])).size, 0);
    assert.match(v.errors().get('file:team/app.json')!, /no POLICY_VEX_DIR is set/);
  });

  it('fetches a URL within the limits: too slow, too big and HTTP errors are refused', async () => {
    const v = loader(1024);
    const docs = await v.forPolicies([policyNaming([{ url: `${base}/ok` }, { url: `${base}/slow` }, { url: `${base}/big` }])]);
    assert.deepEqual([...docs.keys()], [`${base}/ok`]);
    assert.match(v.errors().get(`${base}/slow`)!, /no answer within 500 ms/);
    assert.match(v.errors().get(`${base}/big`)!, /larger than 1024 bytes/);
  });

  it('keeps the last good copy when a later read fails, and reports only changed content', async () => {
    const v = loader();
    const url = `${base}/doc`;
    const first = await v.forPolicies([policyNaming([{ url }])]);
    assert.equal(first.size, 1);
    assert.deepEqual(await v.reload([{ url }]), [], 'same bytes: nothing changed');
    status = 503;
    assert.deepEqual(await v.reload([{ url }]), []);
    assert.equal((await v.forPolicies([policyNaming([{ url }])])).get(url), first.get(url), 'the last good copy');
    assert.match(v.errors().get(url)!, /HTTP 503/);
    assert.ok(lines.some((l) => l['document'] === url && l['stale'] === true));
    status = 200;
    body = openVex([{ ...OPENSSL_NOT_AFFECTED, status: 'affected', justification: undefined }]);
    assert.deepEqual(await v.reload([{ url }]), [url]);
    assert.equal((await v.forPolicies([policyNaming([{ url }])])).get(url)!.statements[0]!.status, 'affected');
    assert.equal(v.errors().has(url), false);
  });
});
