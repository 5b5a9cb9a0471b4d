// `assay snapshot` from a real NATS with the four buckets filled, and `review --snapshot` of that
// file giving exactly the decision `review --nats` gives against the same system.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { admissionTopology } from '@assay/admission';
import { connectBus, provisionTopology, type BusConnection } from '@assay/bus';
import { Buckets, Compliance, digestBucketKey, tagBucketKey, VerdictSchema } from '@assay/proto';
import { runCli, SNAPSHOT_VERSION, type CliIo } from '@assay/cli';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { deploymentYaml, digestFor, runAssay, runtimePolicy, verdict } from './helpers.ts';

const BAD = digestFor('bad');
const HOTFIX = digestFor('hotfix');
const USER = 'cli';
const PASSWORD = 'cli-secret';

async function inProcess(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => '' };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('assay snapshot and review --nats (real nats-server)', () => {
  let nats: NatsServer;
  let admin: BusConnection;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let passwordFile: string;
  let reviewFile: string;

  before(async () => {
    nats = await startNatsServer({ users: [{ user: USER, password: PASSWORD }] });
    admin = await connectBus({ servers: nats.url, name: 'test-admin', user: USER, password: PASSWORD });
    await provisionTopology(await admin.jetstreamManager(), admissionTopology);
    const kv = (name: string) => admin.js.views.kv(name, { bindOnly: true });
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    // A non-compliant image reached by tag, a second one covered by a break-glass exception.
    await (
      await kv(Buckets.verdicts.name)
    ).put(
      digestBucketKey(BAD),
      toBinary(
        VerdictSchema,
        verdict(Compliance.NON_COMPLIANT, [
          { policy: 'baseline', control: 'sensitive_data', message: 'sensitive data: private key at /etc/ssl/private/k.key' },
        ]),
      ),
    );
    await (
      await kv(Buckets.verdicts.name)
    ).put(
      digestBucketKey(HOTFIX),
      toBinary(
        VerdictSchema,
        verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'malware', message: 'malware: EICAR at /x' }]),
      ),
    );
    await (await kv(Buckets.tags.name)).put(tagBucketKey('registry.local:5000/team/app:v1'), new TextEncoder().encode(BAD));
    await (await kv(Buckets.runtimePolicies.name)).put('prod', enc(runtimePolicy('prod')));
    await (
      await kv(Buckets.exceptions.name)
    ).put(
      'incident-7',
      enc({
        id: 'incident-7',
        scope: { repository: 'team/hotfix' },
        reason: 'outage',
        createdBy: 'oncall',
        createdAt: new Date(Date.now() - 60_000).toISOString(),
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        breakGlass: true,
      }),
    );
    dir = await makeTempDir('cli-nats');
    passwordFile = join(dir.path, 'password');
    await writeFile(passwordFile, `${PASSWORD}\n`);
    // Three workloads: refused by its tag's verdict, let in by the exception, never scanned.
    reviewFile = join(dir.path, 'apps.yaml');
    await writeFile(
      reviewFile,
      [
        deploymentYaml('app', 'registry.local:5000/team/app:v1', 'shop'),
        deploymentYaml('hotfix', `registry.local:5000/team/hotfix@${HOTFIX}`, 'shop'),
        deploymentYaml('new', 'registry.local:5000/team/new:1', 'shop'),
      ].join('---\n'),
    );
  });

  after(async () => {
    await admin?.close();
    await nats?.close();
    await dir?.remove();
  });

  it('writes the four buckets, then review --snapshot decides as review --nats does', async () => {
    const out = join(dir.path, 'snap.json');
    const s = await runAssay(['snapshot', '--nats', nats.url, '--user', USER, '--password-file', passwordFile, '--out', out]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /wrote .*snap\.json: 2 verdicts, 1 tags, 1 runtime policies, 1 exceptions/);
    const doc = JSON.parse(await readFile(out, 'utf8')) as {
      snapshotVersion: number;
      verdicts: Record<string, unknown>;
      tags: Record<string, string>;
      runtimePolicies: Record<string, unknown>;
      exceptions: Record<string, unknown>;
    };
    assert.equal(doc.snapshotVersion, SNAPSHOT_VERSION);
    assert.deepEqual(Object.keys(doc.verdicts).sort(), [BAD, HOTFIX].sort());
    assert.equal((doc.verdicts[BAD] as { compliance: string }).compliance, 'COMPLIANCE_NON_COMPLIANT');
    assert.deepEqual(doc.tags, { 'registry.local:5000/team/app:v1': BAD });
    assert.deepEqual(Object.keys(doc.runtimePolicies), ['prod']);
    assert.equal((doc.exceptions['incident-7'] as { id: string }).id, 'incident-7');

    const fromFile = await inProcess(['review', reviewFile, '--snapshot', out, '--output', 'text']);
    const live = await inProcess(['review', reviewFile, '--nats', nats.url, '--user', USER, '--password-file', passwordFile]);
    assert.equal(fromFile.code, 1, fromFile.stderr);
    assert.equal(live.code, 1, live.stderr);
    // Same text except the generated uids.
    const noUid = (t: string) => t.replace(/uid [0-9a-f-]{36}/g, 'uid <uid>');
    assert.equal(noUid(fromFile.stdout), noUid(live.stdout));
    const heads = live.stdout
      .split('\n')
      .filter((l) => /^[A-Z]/.test(l))
      .map((l) => l.split(' (')[0]);
    assert.deepEqual(heads, ['DENIED Deployment shop/app', 'WARN Deployment shop/hotfix', 'DENIED Deployment shop/new']);
    assert.match(live.stdout, /\n  container app: registry\.local:5000\/team\/app:v1 \[non-compliant\] denied: baseline\/sensitive_data: /);
    assert.match(live.stdout, /\n  exception: incident-7\n/);
    assert.match(live.stdout, /\n  container app: registry\.local:5000\/team\/new:1 \[no verdict\] denied: not registered/);
    // An unresolved tag is named as written, never with a made-up digest (--verbose shows it unknown).
    const verbose = await inProcess(['review', reviewFile, '--snapshot', out, '--verbose']);
    assert.match(verbose.stdout, /\n      image: "registry\.local:5000\/team\/new:1" \(digest unknown\)\n/);
    assert.match(verbose.stdout, new RegExp(`\\n      image: "registry\\.local:5000/team/app:v1" \\(${BAD}\\)\\n`));
    assert.doesNotMatch(live.stdout, /digest unknown>/);
  });

  it('JSON responses are identical from the snapshot and from NATS (same AdmissionReview)', async () => {
    const out = join(dir.path, 'snap2.json');
    assert.equal(
      (await inProcess(['snapshot', '--nats', nats.url, '--user', USER, '--password-file', passwordFile, '--out', out])).code,
      0,
    );
    const ar = join(dir.path, 'ar.json');
    await writeFile(
      ar,
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'fixed-uid-1',
          operation: 'CREATE',
          namespace: 'shop',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          object: {
            spec: {
              containers: [
                { name: 'a', image: 'registry.local:5000/team/app:v1' },
                { name: 'b', image: `registry.local:5000/team/hotfix@${HOTFIX}` },
              ],
            },
          },
        },
      }),
    );
    const a = await inProcess(['review', ar, '--snapshot', out, '-o', 'json']);
    const b = await inProcess(['review', ar, '--nats', nats.url, '--user', USER, '--password-file', passwordFile, '-o', 'json']);
    assert.equal(a.code, 1, a.stderr);
    assert.equal(b.code, 1, b.stderr);
    assert.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout));
    const resp = (JSON.parse(b.stdout) as { response: { uid: string; allowed: boolean; status: { message: string } } }).response;
    assert.equal(resp.uid, 'fixed-uid-1');
    assert.equal(resp.allowed, false);
    assert.equal(resp.status.message.split('\n').length, 1, 'only the refused image is named');
  });

  it('snapshot to stdout; wrong password and unreachable NATS are one-line errors (exit 2)', async () => {
    const s = await inProcess(['snapshot', '--nats', nats.url, '--user', USER, '--password-file', passwordFile]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((JSON.parse(s.stdout) as { snapshotVersion: number }).snapshotVersion, 1);

    const wrong = join(dir.path, 'wrong');
    await writeFile(wrong, 'nope');
    const bad = await inProcess(['snapshot', '--nats', nats.url, '--user', USER, '--password-file', wrong]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^assay snapshot: cannot connect to NATS: .*\n$/);

    const down = await inProcess(['review', reviewFile, '--nats', 'nats://127.0.0.1:1', '--timeout', '2000']);
    assert.equal(down.code, 2);
    assert.equal(down.stdout, '');
    assert.match(down.stderr, /^assay review: cannot connect to NATS: .*\n$/);

    const noUrl = await inProcess(['snapshot']);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /^assay snapshot: --nats <url> is required/);
  });

  it('a NATS without the assay buckets is a clear error, and no bucket is created', async () => {
    const bare = await startNatsServer();
    try {
      const r = await inProcess(['snapshot', '--nats', bare.url]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^assay snapshot: cannot mirror KV bucket verdicts: .*\(is the assay system provisioned on this NATS\?\)\n$/);
      const probe = await connectBus({ servers: bare.url, name: 'probe' });
      try {
        const names: string[] = [];
        for await (const s of (await probe.jetstreamManager()).streams.list()) names.push(s.config.name);
        assert.deepEqual(names, []);
      } finally {
        await probe.close();
      }
    } finally {
      await bare.close();
    }
  });
});
