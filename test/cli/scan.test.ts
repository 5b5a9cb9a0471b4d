// `assay scan` end to end through its launcher: a real registry (Distribution) holding test
// images, the same image as an OCI layout and as a docker save archive, every output format,
// local policies with --exit-code, and matching against a database built by `assay vulndb`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pack } from 'tar-stream';
import { buildImage, pushImage, writeOciLayout, type BuiltImage } from '../support/oci-image.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { type Clamd, EICAR_DETECTION, eicarBytes, startClamd } from '../support/clamd.ts';
import { runCli, type CliIo } from '@assay/cli';
import { runAssay } from './helpers.ts';

const OS_RELEASE = 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n';
const lodash = (version: string) => JSON.stringify({ name: 'lodash', version, license: 'MIT' });

/** A PEM-shaped private key made at run time from random bytes: nothing key-shaped is stored in the repository. */
function generatedKey(): string {
  const kind = ['RSA', 'PRIVATE', 'KEY'].join(' ');
  const body = randomBytes(600)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
}

const SECRETS_POLICY = [
  'apiVersion: assay.dev/v1',
  'kind: ImageAssurancePolicy',
  'id: no-secrets',
  'spec:',
  '  name: no secrets',
  '  enabled: true',
  '  action: block',
  '  controls:',
  '    sensitiveData: {block: true}',
  '',
].join('\n');

/** A `docker save` archive (legacy layout: manifest.json, config JSON, one uncompressed tar per layer). */
async function dockerSaveArchive(file: string, image: BuiltImage, repoTag: string): Promise<void> {
  const { gunzipSync } = await import('node:zlib');
  const p = pack();
  const chunks: Buffer[] = [];
  const drained = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  const add = (name: string, data: Buffer) =>
    new Promise<void>((res, rej) => p.entry({ name, size: data.length }, data, (e) => (e ? rej(e) : res())));
  const layerNames: string[] = [];
  for (const [i, l] of image.layers.entries()) {
    const name = `layer${i}/layer.tar`;
    await add(name, gunzipSync(l.data!));
    layerNames.push(name);
  }
  await add('config.json', image.configBlob.data!);
  await add('manifest.json', Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: [repoTag], Layers: layerNames }])));
  p.finalize();
  await drained;
  await writeFile(file, Buffer.concat(chunks));
}

describe('assay scan (real registry, OCI layout, docker save archive)', () => {
  let registry: Registry;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let clean: BuiltImage;
  let keyed: BuiltImage;
  let policyFile: string;
  let keyText: string;
  const ref = () => `${registry.host}/team/app:v1`;

  before(async () => {
    registry = await startRegistry();
    dir = await makeTempDir('cli-scan');
    clean = await buildImage({
      layers: [
        [{ path: 'etc/os-release', content: OS_RELEASE }],
        [{ path: 'app/node_modules/lodash/package.json', content: lodash('4.17.20') }],
      ],
    });
    keyed = await buildImage({
      layers: [
        [{ path: 'etc/os-release', content: OS_RELEASE }],
        [{ path: 'etc/ssl/private/server.key', content: (keyText = generatedKey()) }],
      ],
    });
    await pushImage(registry.host, 'team/app', 'v1', clean);
    await pushImage(registry.host, 'team/keyed', 'v1', keyed);
    policyFile = join(dir.path, 'policy.yaml');
    await writeFile(policyFile, SECRETS_POLICY);
  });
  after(async () => {
    await registry?.close();
    await dir?.remove();
  });

  it('table: summary first, "not checked" at the top without a database, packages only with --list-packages', async () => {
    const r = await runAssay(['scan', ref()]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    // Right under the image and OS, before any count: an empty list must not read as clean.
    assert.equal(lines[2], 'Vulnerabilities: not checked (no database; use --vulndb)');
    assert.doesNotMatch(r.stdout, /Vulnerabilities \(0\)/);
    assert.match(r.stdout, /Summary:\n(?:.*\n)*  packages\s+\d+ \(listed with --list-packages\)/);
    assert.doesNotMatch(r.stdout, /^lodash\s/m);
    // No colour when stdout is not a terminal.
    assert.doesNotMatch(r.stdout, /\x1b\[/);
    const listed = await runAssay(['scan', ref(), '--list-packages']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^lodash\s+4\.17\.20\s+npm\b/m);
    // Packages come last: after the summary.
    assert.ok(listed.stdout.indexOf('Packages (') > listed.stdout.indexOf('Summary:'));
    assert.match(r.stdout, /OS: alpine 3\.19\.1/);
    assert.match(r.stdout, new RegExp(`@${clean.digest}`));
    assert.match(r.stderr, /no vulnerability matching was done/);
    // Not a terminal: no progress line.
    assert.doesNotMatch(r.stderr, /layers/);
  });

  it('--format json, cyclonedx and sarif are the scanner formats', async () => {
    const json = await runAssay(['scan', ref(), '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { image: { digest: string }; packages: { name: string; version: string }[] };
    assert.equal(report.image.digest, clean.digest);
    assert.deepEqual(
      report.packages.map((p) => `${p.name}@${p.version}`),
      ['lodash@4.17.20'],
    );

    const cdx = await runAssay(['scan', ref(), '-f', 'cyclonedx']);
    assert.equal(cdx.code, 0, cdx.stderr);
    const bom = JSON.parse(cdx.stdout) as { bomFormat: string; specVersion: string; components: { name: string; purl?: string }[] };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.ok(
      bom.components.some((c) => c.purl === 'pkg:npm/lodash@4.17.20'),
      JSON.stringify(bom.components),
    );

    const sarif = await runAssay(['scan', ref(), '--format', 'sarif']);
    assert.equal(sarif.code, 0, sarif.stderr);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: unknown[] };
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
  });

  it('an OCI layout directory and a docker save archive give the same packages as the registry', async () => {
    const layout = join(dir.path, 'layout');
    await writeOciLayout(layout, [{ tag: 'v1', image: clean }]);
    const archive = join(dir.path, 'app.tar');
    await dockerSaveArchive(archive, clean, 'team/app:v1');
    const names = async (arg: string) => {
      const r = await runAssay(['scan', arg, '--format', 'json']);
      assert.equal(r.code, 0, `${arg}: ${r.stderr}`);
      const rep = JSON.parse(r.stdout) as {
        image: { digest: string };
        packages: { name: string; version: string; type: string }[];
        os?: { family: string };
      };
      return { digest: rep.image.digest, packages: rep.packages.map((p) => `${p.type}:${p.name}@${p.version}`), os: rep.os?.family };
    };
    const fromRegistry = await names(ref());
    const fromLayout = await names(layout);
    const fromLayoutTag = await names(`${layout}:v1`);
    const fromArchive = await names(archive);
    assert.deepEqual(fromLayout, fromRegistry);
    assert.deepEqual(fromLayoutTag, fromRegistry);
    assert.deepEqual(fromArchive.packages, fromRegistry.packages);
    assert.equal(fromArchive.os, 'alpine');
    const missing = await runAssay(['scan', `${layout}:nope`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no image named "nope"/);

    // A layout blob whose bytes are not its digest's is refused, as the registry client would.
    const tampered = join(dir.path, 'tampered');
    await writeOciLayout(tampered, [{ tag: 'v1', image: clean }]);
    const layer = clean.layers[1]!;
    const { gzipSync } = await import('node:zlib');
    await writeFile(join(tampered, 'blobs', 'sha256', layer.digest.slice(7)), gzipSync(Buffer.from('not the layer')));
    const refused = await runAssay(['scan', tampered]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`blob ${layer.digest}: content has digest`));
  });

  it('--policy with --exit-code: a private key makes the image non-compliant (1), a clean image passes (0)', async () => {
    const bad = await runAssay(['scan', `${registry.host}/team/keyed:v1`, '--policy', policyFile, '--exit-code']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stdout, /Policy: NON-COMPLIANT/);
    // The verdict comes first, before the summary and the findings.
    assert.ok(bad.stdout.indexOf('Policy: NON-COMPLIANT') < bad.stdout.indexOf('Summary:'));
    assert.match(bad.stdout, /  sensitive data\s+1 \(1 high\)/);
    assert.match(bad.stdout, /FAIL\s+no-secrets\/sensitiveData \[high\]: 1 finding: private-key at \/etc\/ssl\/private\/server\.key/);
    // The key itself never reaches the output.
    const keyLine = keyText.split('\n')[1]!;
    assert.ok(keyLine.length === 64 && !bad.stdout.includes(keyLine.slice(0, 24)));
    // Without --exit-code the verdict is printed, the exit is 0.
    const noExit = await runAssay(['scan', `${registry.host}/team/keyed:v1`, '--policy', policyFile]);
    assert.equal(noExit.code, 0);
    assert.match(noExit.stdout, /NON-COMPLIANT/);
    // Machine-readable output stays parseable: the verdict goes to stderr.
    const json = await runAssay(['scan', `${registry.host}/team/keyed:v1`, '--policy', policyFile, '--exit-code', '-f', 'json']);
    assert.equal(json.code, 1);
    assert.ok(JSON.parse(json.stdout));
    assert.match(json.stderr, /NON-COMPLIANT/);

    const good = await runAssay(['scan', ref(), '--policy', policyFile, '--exit-code']);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /Policy: COMPLIANT \(1 policy applied\)/);
  });

  it('errors exit 2 with one line: a bad reference, a missing image, a bad policy file', async () => {
    const bad = await runAssay(['scan', 'Not A Reference!']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /^assay scan: "Not A Reference!" is neither an image reference/);

    const missing = await runAssay(['scan', `${registry.host}/team/absent:v1`]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /^assay scan: /);

    const badPolicy = join(dir.path, 'bad-policy.yaml');
    await writeFile(
      badPolicy,
      'apiVersion: assay.dev/v1\nkind: ImageAssurancePolicy\nid: x\nspec: {name: x, enabled: true, action: sometimes, controls: {}}\n',
    );
    const r = await runAssay(['scan', ref(), '--policy', badPolicy]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /action/);
  });

  it('vulndb build + info on OSV records; scan --vulndb finds the advisory, --severity fails the build', async () => {
    const osv = join(dir.path, 'osv');
    await mkdir(osv, { recursive: true });
    const record = (id: string, name: string, fixed: string, severity: string) => ({
      schema_version: '1.6.0',
      id,
      modified: '2024-05-01T00:00:00Z',
      published: '2024-04-01T00:00:00Z',
      summary: `${name} test advisory`,
      affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }],
      database_specific: { severity },
    });
    await writeFile(join(osv, 'GHSA-aaaa-bbbb-cccc.json'), JSON.stringify(record('GHSA-aaaa-bbbb-cccc', 'lodash', '4.17.21', 'HIGH')));
    await writeFile(join(osv, 'GHSA-dddd-eeee-ffff.json'), JSON.stringify(record('GHSA-dddd-eeee-ffff', 'left-pad', '1.3.0', 'LOW')));
    const db = join(dir.path, 'vulndb.sqlite');
    const built = await runAssay(['vulndb', 'build', '--out', db, '--version', '20260101T000000Z', osv]);
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stderr, /2 records/);

    const info = await runAssay(['vulndb', 'info', db]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /Version: 20260101T000000Z/);
    assert.match(info.stdout, /Records: 2 /);
    // --out into directories that do not exist yet: made, never SQLite's "unable to open database file".
    const nested = await runAssay(['vulndb', 'build', '--out', join(dir.path, 'new', 'deeper', 'db.sqlite'), osv]);
    assert.equal(nested.code, 0, nested.stderr);
    assert.doesNotMatch(nested.stderr, /unable to open/);
    assert.equal((await runAssay(['vulndb', 'info', join(dir.path, 'new', 'deeper', 'db.sqlite')])).code, 0);
    const asDir = await runAssay(['vulndb', 'build', '--out', `${join(dir.path, 'fresh')}/`, osv]);
    assert.equal(asDir.code, 0, asDir.stderr);
    assert.match(asDir.stderr, /built .*fresh[\\/]vulndb\.sqlite/);
    await writeFile(join(dir.path, 'a-file'), 'x');
    const blocked = await runAssay(['vulndb', 'build', '--out', join(dir.path, 'a-file', 'db.sqlite'), osv]);
    assert.equal(blocked.code, 2);
    assert.match(blocked.stderr, /^assay vulndb: build: cannot create the directory of --out .*a-file[\\/]db\.sqlite: (ENOTDIR|EEXIST)\n$/);
    const infoJson = JSON.parse((await runAssay(['vulndb', 'info', db, '-o', 'json'])).stdout) as { records: number; version: string };
    assert.equal(infoJson.records, 2);

    const scanned = await runAssay(['scan', ref(), '--vulndb', db]);
    assert.equal(scanned.code, 0, scanned.stderr);
    assert.match(scanned.stdout, /GHSA-aaaa-bbbb-cccc\s+high\s+lodash\s+4\.17\.20\s+4\.17\.21/);
    assert.match(scanned.stdout, /Summary:\n  vulnerabilities\s+1 \(1 high\)/);
    assert.doesNotMatch(scanned.stdout, /not checked/);
    assert.doesNotMatch(scanned.stdout, /GHSA-dddd/);
    assert.doesNotMatch(scanned.stderr, /no vulnerability matching/);

    const gate = await runAssay(['scan', ref(), '--vulndb', db, '--severity', 'high', '--exit-code', '-f', 'json']);
    assert.equal(gate.code, 1);
    const rep = JSON.parse(gate.stdout) as { vulnerabilities: { id: string }[]; vulnDbVersion?: string };
    assert.deepEqual(
      rep.vulnerabilities.map((v) => v.id),
      ['GHSA-aaaa-bbbb-cccc'],
    );
    assert.equal(rep.vulnDbVersion, '20260101T000000Z');
    const critical = await runAssay(['scan', ref(), '--vulndb', db, '--severity', 'critical', '--exit-code']);
    assert.equal(critical.code, 0, critical.stderr);

    const notDb = await runAssay(['vulndb', 'info', policyFile]);
    assert.equal(notDb.code, 2);

    // update from a URL (loopback HTTP is allowed): installed once, then current.
    const bytes = await readFile(db);
    const server = http.createServer((req, res) => (req.url === '/vulndb.sqlite' ? res.end(bytes) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/vulndb.sqlite`;
      const target = join(dir.path, 'installed');
      const first = await runAssay(['vulndb', 'update', '--source', url, '--dir', target]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /installed version 20260101T000000Z/);
      const again = await runAssay(['vulndb', 'update', '--source', url, '--dir', target]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /is current/);
      // The installed directory is usable as --vulndb directly.
      const viaDir = await runAssay(['scan', ref(), '--vulndb', target, '-f', 'json']);
      assert.deepEqual(
        (JSON.parse(viaDir.stdout) as { vulnerabilities: { id: string }[] }).vulnerabilities.map((v) => v.id),
        ['GHSA-aaaa-bbbb-cccc'],
      );
      const gone = await runAssay(['vulndb', 'update', '--source', url.replace('vulndb.sqlite', 'missing'), '--dir', target]);
      assert.equal(gone.code, 2);
    } finally {
      server.close();
    }
  });

  it('on a terminal, progress (layers done / total) is written to stderr and cleared', async () => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readStdin: async () => '',
      stderrIsTTY: true,
      // Offline with an empty cache: no osv.dev download (as runAssay).
      env: { ...process.env, ASSAY_OFFLINE: '1', ASSAY_CACHE_DIR: join(dir.path, 'no-cache') },
    };
    const code = await runCli(['scan', ref()], io);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /\r\x1b\[Kscanning .*: layer 1\/2 layers/);
    assert.match(stderr, /\r\x1b\[Kscanning .*: done 2\/2 layers\r\x1b\[Kassay scan: note/);
    assert.match(stdout, /Summary:/);
  });

  it('colours the table on a terminal, not with NO_COLOR, never in JSON; FORCE_COLOR forces it', async () => {
    const run = async (args: string[], env: Record<string, string>, stdoutIsTTY: boolean) => {
      let stdout = '';
      const io: CliIo = {
        stdout: (t) => void (stdout += t),
        stderr: () => {},
        readStdin: async () => '',
        stdoutIsTTY,
        env: { ASSAY_OFFLINE: '1', ASSAY_CACHE_DIR: join(dir.path, 'no-cache'), ...env },
      };
      assert.equal(await runCli(args, io), 1);
      return stdout;
    };
    const args = ['scan', `${registry.host}/team/keyed:v1`, '--policy', policyFile, '--exit-code'];
    assert.match(await run(args, {}, true), /Policy: \x1b\[31mNON-COMPLIANT\x1b\[0m/);
    assert.doesNotMatch(await run(args, { NO_COLOR: '1' }, true), /\x1b\[/);
    assert.match(await run(args, { FORCE_COLOR: '1' }, false), /\x1b\[31m/);
    assert.doesNotMatch(await run([...args, '-f', 'json'], { FORCE_COLOR: '1' }, true), /\x1b\[/);
    assert.doesNotMatch(await run([...args, '-f', 'sarif'], {}, true), /\x1b\[/);
  });

  describe('--clamd (a real clamd)', () => {
    let clamd: Clamd;
    let infected: BuiltImage;
    let malwarePolicy: string;
    before(async () => {
      clamd = await startClamd();
      infected = await buildImage({
        layers: [[{ path: 'etc/os-release', content: OS_RELEASE }], [{ path: 'opt/tools/eicar.com', content: eicarBytes() }]],
      });
      await pushImage(registry.host, 'team/infected', 'v1', infected);
      malwarePolicy = join(dir.path, 'malware.yaml');
      await writeFile(malwarePolicy, 'name: no malware\nenabled: true\naction: block\ncontrols:\n  malware: {block: true}\n');
    });
    after(async () => {
      await clamd?.close();
    });

    it('finds malware with --clamd and fails the policy; without it the report says malware was not scanned', async () => {
      const hit = await runAssay([
        'scan',
        `${registry.host}/team/infected:v1`,
        '--clamd',
        `${clamd.host}:${clamd.port}`,
        '--policy',
        malwarePolicy,
        '--exit-code',
        '-f',
        'json',
      ]);
      assert.equal(hit.code, 1, hit.stderr);
      const report = JSON.parse(hit.stdout) as { malware: Array<{ name: string; path: string }>; warnings?: string[] };
      assert.deepEqual(
        report.malware.map((m) => [m.name, m.path]),
        [[EICAR_DETECTION, 'opt/tools/eicar.com']],
      );
      assert.match(hit.stderr, /NON-COMPLIANT/);
      const clean = await runAssay([
        'scan',
        ref(),
        '--clamd',
        `${clamd.host}:${clamd.port}`,
        '--policy',
        malwarePolicy,
        '--exit-code',
        '-f',
        'json',
      ]);
      assert.equal(clean.code, 0, clean.stderr);
      assert.deepEqual((JSON.parse(clean.stdout) as { malware: unknown[] }).malware, []);
      const without = await runAssay(['scan', `${registry.host}/team/infected:v1`, '-f', 'json']);
      assert.equal(without.code, 0);
      assert.ok((JSON.parse(without.stdout) as { warnings?: string[] }).warnings?.includes('malware scanning not done (no --clamd given)'));
    });

    it('a bad or silent --clamd is one clear error (exit 2)', async () => {
      const bad = await runAssay(['scan', ref(), '--clamd', 'clamd.example']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--clamd must be host:port or unix:\/path\/to\/clamd\.sock, got "clamd\.example"/);
      const silent = await runAssay(['scan', ref(), '--clamd', '127.0.0.1:1']);
      assert.equal(silent.code, 2);
      assert.match(silent.stderr, /--clamd 127\.0\.0\.1:1: /);
      assert.equal(silent.stderr.trim().split('\n').length, 1, silent.stderr);
    });
  });
});
