// `assay report` against a scanner started in-process (real nats-server, real registry), and
// `assay policy apply|list|get|diff` against the policy service's REST API (test/policy harness).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BusConnection } from '@assay/bus';
import { ScanStatus } from '@assay/proto';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { CompletedEvents, connectAdmin, publishDiscovered, startScanner, type ScannerHandle } from '../scanner/helpers.ts';
import { buildImage, pushImage, type BuiltImage } from '../support/oci-image.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { runAssay } from './helpers.ts';

describe('assay report (scanner in-process)', () => {
  let nats: NatsServer;
  let registry: Registry;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let scanner: ScannerHandle;
  let image: BuiltImage;

  before(async () => {
    [nats, registry] = await Promise.all([startNatsServer(), startRegistry()]);
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
    scanner = await startScanner(nats.url, { SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]) });
    // The test analyzers of test/scanner/helpers.ts: app.lock lines are npm packages.
    image = await buildImage({ layers: [[{ path: 'app/app.lock', content: 'left-pad@1.3.0\n' }]] });
    await pushImage(registry.host, 'team/app', 'v1', image);
    await publishDiscovered(admin, { registry: registry.host, repository: 'team/app', digest: image.digest, tag: 'v1' });
    const [ev] = await completed.wait(image.digest);
    assert.equal(ev!.status, ScanStatus.SUCCEEDED, ev!.error);
  });
  after(async () => {
    completed?.stop();
    await scanner?.stop();
    await admin?.close();
    await Promise.all([nats?.close(), registry?.close()]);
  });

  it('prints the stored report as a table, JSON, CycloneDX and SARIF', async () => {
    const base = scanner.address!;
    const table = await runAssay(['report', image.digest, '--scanner', base]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Vulnerabilities: not checked \(no database; the scanner has none: see assay vulndb update\)$/m);
    assert.doesNotMatch(table.stdout, /^left-pad\s/m);
    const listed = await runAssay(['report', image.digest, '--scanner', base, '--list-packages']);
    assert.match(listed.stdout, /^left-pad\s+1\.3\.0\s+npm\b/m);
    const json = JSON.parse((await runAssay(['report', image.digest, '--scanner', base, '-f', 'json'])).stdout) as {
      image: { digest: string };
    };
    assert.equal(json.image.digest, image.digest);
    const bom = JSON.parse((await runAssay(['report', image.digest, '--scanner', base, '-f', 'cyclonedx'])).stdout) as {
      bomFormat: string;
      specVersion: string;
    };
    assert.deepEqual([bom.bomFormat, bom.specVersion], ['CycloneDX', '1.6']);
    const sarif = JSON.parse((await runAssay(['report', image.digest, '--scanner', base, '-f', 'sarif'])).stdout) as { version: string };
    assert.equal(sarif.version, '2.1.0');
  });

  it('an unknown digest, a bad digest and an unreachable scanner exit 2 with one line', async () => {
    const none = await runAssay(['report', `sha256:${'0'.repeat(64)}`, '--scanner', scanner.address!]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^assay report: GET .*HTTP 404: no report for sha256:0{64}\n$/);
    const bad = await runAssay(['report', 'nope', '--scanner', scanner.address!]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a digest/);
    const down = await runAssay(['report', image.digest, '--scanner', 'http://127.0.0.1:9']);
    assert.equal(down.code, 2);
    assert.equal(down.stderr.trim().split('\n').length, 1);
  });
});

describe('assay policy (policy service in-process)', () => {
  let h: Harness;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let tokenFile: string;
  const doc = (maxSeverity: string) =>
    [
      'apiVersion: assay.dev/v1',
      'kind: ImageAssurancePolicy',
      'id: baseline',
      'spec:',
      '  name: baseline',
      '  enabled: true',
      '  action: block',
      '  controls:',
      `    vulnerabilities: {maxSeverity: ${maxSeverity}}`,
      '',
    ].join('\n');

  before(async () => {
    h = await startHarness();
    dir = await makeTempDir('cli-policy');
    tokenFile = join(dir.path, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
  });
  after(async () => {
    await h?.close();
    await dir?.remove();
  });

  it('apply creates then updates; list, get and diff read it back', async () => {
    const api = ['--api', h.url, '--token-file', tokenFile];
    const file = join(dir.path, 'baseline.yaml');
    await writeFile(file, doc('high'));
    const created = await runAssay(['policy', 'apply', '-f', file, ...api]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /ImageAssurancePolicy baseline: created \(version 1\)/);
    const same = await runAssay(['policy', 'apply', '-f', file, ...api]);
    assert.match(same.stdout, /baseline: unchanged/);
    await writeFile(file, doc('medium'));
    const updated = await runAssay(['policy', 'apply', '-f', file, ...api]);
    assert.match(updated.stdout, /baseline: updated \(version 2\)/);

    const list = await runAssay(['policy', 'list', ...api]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^baseline\s+2\s+baseline\s+true$/m);

    const get = await runAssay(['policy', 'get', 'baseline', '--version', '1', ...api]);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /maxSeverity: high/);
    assert.match(get.stdout, /kind: ImageAssurancePolicy/);

    const diff = await runAssay(['policy', 'diff', 'baseline', '--from', '1', '--to', '2', ...api]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /replace \/controls\/vulnerabilities\/maxSeverity: "high" → "medium"/);
  });

  it('a wrong token, an unknown id and an invalid document exit 2 with the service message', async () => {
    const wrong = join(dir.path, 'wrong');
    await writeFile(wrong, 'nope');
    const denied = await runAssay(['policy', 'list', '--api', h.url, '--token-file', wrong]);
    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /HTTP 401/);
    const missing = await runAssay(['policy', 'get', 'ghost', '--api', h.url, '--token-file', tokenFile]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /HTTP 404: ghost does not exist/);
    const bad = join(dir.path, 'bad.yaml');
    await writeFile(bad, doc('catastrophic'));
    const invalid = await runAssay(['policy', 'apply', '-f', bad, '--api', h.url, '--token-file', tokenFile]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /HTTP 400/);
  });

  it('get or diff of a runtime policy without --kind runtime says so, not a bare 404', async () => {
    const api = ['--api', h.url, '--token-file', tokenFile];
    const file = join(dir.path, 'runtime.yaml');
    await writeFile(
      file,
      [
        'apiVersion: assay.dev/v1',
        'kind: RuntimePolicy',
        'id: prod-gate',
        'spec:',
        '  name: prod gate',
        '  enabled: true',
        '  enforcement: enforce',
        '  scope: {namespaces: [prod]}',
        '  imagePolicies: [baseline]',
        '  blockUnregistered: true',
        '  platforms: [{os: linux, architecture: amd64}]',
        '',
      ].join('\n'),
    );
    const applied = await runAssay(['policy', 'apply', '-f', file, ...api]);
    assert.equal(applied.code, 0, applied.stderr);
    const hint = 'assay policy: no image assurance policy prod-gate; a runtime policy prod-gate exists: add --kind runtime\n';
    const diff = await runAssay(['policy', 'diff', 'prod-gate', '--from', '1', '--to', '1', ...api]);
    assert.equal(diff.code, 2);
    assert.equal(diff.stderr, hint);
    const get = await runAssay(['policy', 'get', 'prod-gate', ...api]);
    assert.equal(get.code, 2);
    assert.equal(get.stderr, hint);
    // With the kind named, it is found; an id that is neither stays a plain 404.
    const ok = await runAssay(['policy', 'diff', 'prod-gate', '--from', '1', '--to', '1', '--kind', 'runtime', ...api]);
    assert.equal(ok.code, 0, ok.stderr);
    const image = await runAssay(['policy', 'get', 'prod-gate', '--kind', 'image', ...api]);
    assert.match(image.stderr, /HTTP 404/);
    const ghost = await runAssay(['policy', 'diff', 'ghost', '--from', '1', '--to', '2', ...api]);
    assert.match(ghost.stderr, /HTTP 404/);
  });
});
