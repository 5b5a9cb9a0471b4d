// `assay review` against snapshot files: the decision, its text and JSON forms, and the exit
// codes (0 allowed, 1 denied, 2 usage or input error), through the real launcher.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { runCli, type CliIo } from '@assay/cli';
import { makeTempDir } from '../support/tempdir.ts';
import { deploymentYaml, digestFor, REAL_VECTORS, runAssay, runtimePolicy, snapshotDoc, verdict, writeJson } from './helpers.ts';

const BAD = digestFor('bad');
const GOOD = digestFor('good');
const MALWARE = { policy: 'baseline', control: 'malware', message: 'malware: EICAR at /tmp/eicar.com' };

/** A snapshot knowing `registry.local/team/app:v1` (bad) and `:v2` (good) under one runtime policy. */
function snapshotWith(policy: Record<string, unknown>, extra: Parameters<typeof snapshotDoc>[0] = {}) {
  return snapshotDoc({
    verdicts: { [BAD]: verdict(Compliance.NON_COMPLIANT, [MALWARE]), [GOOD]: verdict(Compliance.COMPLIANT) },
    tags: { 'registry.local/team/app:v1': BAD, 'registry.local/team/app:v2': GOOD },
    runtimePolicies: { prod: runtimePolicy('prod', policy) },
    ...extra,
  });
}

/** In-process run, capturing output. */
async function inProcess(args: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => stdin };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('assay review (snapshot file)', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let enforce: string;
  let warn: string;
  before(async () => {
    dir = await makeTempDir('cli');
    enforce = await writeJson(join(dir.path, 'enforce.json'), snapshotWith({}));
    warn = await writeJson(join(dir.path, 'warn.json'), snapshotWith({ enforcement: 'warn' }));
  });
  after(() => dir.remove());

  const manifest = async (name: string, text: string) => {
    const p = join(dir.path, name);
    await writeFile(p, text);
    return p;
  };

  it('denies a Deployment running a non-compliant image under enforce: exit 1, image, digest and control named', async () => {
    const file = await manifest('bad.yaml', deploymentYaml('web', 'registry.local/team/app:v1', 'shop'));
    const r = await runAssay(['review', file, '--snapshot', enforce]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^DENIED Deployment shop\/web \(runtime policy prod, enforce; uid [0-9a-f-]{36}\)$/);
    assert.equal(lines.length, 2, r.stdout);
    // Short: the reference as written, the failing control and its evidence; the digest not at all.
    assert.equal(
      lines[1],
      '  container app: registry.local/team/app:v1 [non-compliant] denied: baseline/malware: malware: EICAR at /tmp/eicar.com',
    );
    assert.ok(!r.stdout.includes(BAD));

    // --verbose: the digest, the full decision, each reason.
    const v = await runAssay(['review', file, '--snapshot', enforce, '--verbose']);
    assert.equal(v.code, 1, v.stderr);
    assert.match(v.stdout, new RegExp(`\\n      image: "registry\\.local/team/app:v1" \\(${BAD}\\)\\n`));
    assert.match(v.stdout, /\n      reason: baseline\/malware \[\w+\]: malware: EICAR at \/tmp\/eicar\.com\n/);
    assert.match(v.stdout, /\n      field: spec\.template\.spec\.containers\[0\]\.image\n/);
  });

  it('a long verdict message is cut to a short line (the whole of it with --verbose); two failing controls are counted', async () => {
    const long = `vulnerabilities: ${Array.from({ length: 30 }, (_, i) => `CVE-2024-${1000 + i}`).join(', ')}`;
    const snap = await writeJson(
      join(dir.path, 'long.json'),
      snapshotDoc({
        verdicts: {
          [BAD]: verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'vulnerabilities', message: long }, MALWARE]),
        },
        tags: { 'registry.local/team/app:v1': BAD },
        runtimePolicies: { prod: runtimePolicy('prod') },
      }),
    );
    const file = await manifest('long.yaml', deploymentYaml('web', 'registry.local/team/app:v1', 'shop'));
    const r = await runAssay(['review', file, '--snapshot', snap]);
    assert.equal(r.code, 1, r.stderr);
    const line = r.stdout.split('\n')[1]!;
    assert.ok(line.length <= 160, `${line.length}: ${line}`);
    assert.match(
      line,
      /^  container app: registry\.local\/team\/app:v1 \[non-compliant\] denied: baseline\/vulnerabilities: vulnerabilities: CVE-2024-1000, .*…$/,
    );
    const v = await runAssay(['review', file, '--snapshot', snap, '-v']);
    assert.ok(v.stdout.includes(long));
    assert.ok(v.stdout.includes('reason: baseline/malware [high]: malware: EICAR at /tmp/eicar.com'));
  });

  it('allows the compliant image: exit 0', async () => {
    const file = await manifest('good.yaml', deploymentYaml('web', 'registry.local/team/app:v2'));
    const r = await runAssay(['review', file, '--snapshot', enforce]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ALLOWED Deployment default\/web \(runtime policy prod, enforce; uid /);
    assert.match(r.stdout, /^  container app: registry\.local\/team\/app:v2 \[compliant\] ok$/m);
    assert.doesNotMatch(r.stdout, /warning:/);
  });

  it('warn mode allows with a warning line: exit 0', async () => {
    const file = await manifest('bad-warn.yaml', deploymentYaml('web', 'registry.local/team/app:v1', 'shop'));
    const r = await inProcess(['review', file, '--snapshot', warn]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^WARN Deployment shop\/web \(runtime policy prod, warn;/);
    // The image line says it was admitted and why; the webhook's warning (the same, with the
    // digest) is not repeated unless --verbose.
    assert.match(r.stdout, /\n  container app: registry\.local\/team\/app:v1 \[non-compliant\] admitted: baseline\/malware: /);
    assert.doesNotMatch(r.stdout, /warning:/);
    const v = await inProcess(['review', file, '--snapshot', warn, '--verbose']);
    // The warning names the runtime policy, as a denial does.
    assert.match(
      v.stdout,
      new RegExp(
        `\\n  warning: spec\\.template\\.spec\\.containers\\[0\\]\\.image: image "registry\\.local/team/app:v1" \\(${BAD}\\) is non-compliant: baseline/malware: .* \\(runtime policy prod\\)\\n`,
      ),
    );
  });

  it("runtime policies scoped on namespace labels: labels from the manifest's Namespace or --namespace-label, unknown otherwise", async () => {
    // A catch-all in audit, and an enforcing policy for namespaces labelled compliance=pci.
    const snap = await writeJson(
      join(dir.path, 'ns-labels.json'),
      snapshotWith(
        { enforcement: 'audit' },
        {
          runtimePolicies: {
            prod: runtimePolicy('prod', { enforcement: 'audit' }),
            pci: runtimePolicy('pci', { scope: { namespaces: ['*'], namespaceLabels: { compliance: 'pci' } } }),
          },
        },
      ),
    );
    const deployment = deploymentYaml('web', 'registry.local/team/app:v1', 'shop');
    // Unknown labels: the label-scoped policy does not match.
    let r = await inProcess(['review', '-', '--snapshot', snap], deployment);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /runtime policy prod, audit/);
    // A Namespace object in the same manifest gives its labels.
    const withNs = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {compliance: pci}\n---\n${deployment}`;
    r = await inProcess(['review', '-', '--snapshot', snap], withNs);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^DENIED Deployment shop\/web \(runtime policy pci, enforce;/m);
    // A Namespace for another name does not label this one.
    r = await inProcess(['review', '-', '--snapshot', snap], withNs.replace('name: shop\n  labels', 'name: other\n  labels'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The flag, and the label Kubernetes gives every namespace.
    r = await inProcess(['review', '-', '--snapshot', snap, '--namespace-label', 'compliance=pci'], deployment);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const byName = await writeJson(
      join(dir.path, 'ns-name.json'),
      snapshotWith(
        {},
        {
          runtimePolicies: {
            prod: runtimePolicy('prod', { enforcement: 'audit' }),
            shop: runtimePolicy('shop', { scope: { namespaces: ['*'], namespaceLabels: { 'kubernetes.io/metadata.name': 'shop' } } }),
          },
        },
      ),
    );
    r = await inProcess(['review', '-', '--snapshot', byName, '--namespace-label', 'team=a'], deployment);
    assert.match(r.stdout, /runtime policy shop, enforce/);
    r = await inProcess(['review', '-', '--snapshot', snap, '--namespace-label', 'no-equals'], deployment);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--namespace-label must be key=value, got "no-equals"/);
  });

  it('reviews every workload of a multi-document manifest, skips other kinds, --namespace for those without one', async () => {
    const text = [
      deploymentYaml('a', 'registry.local/team/app:v2'),
      'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n',
      deploymentYaml('b', 'registry.local/team/app:v1', 'other'),
    ].join('---\n');
    const r = await inProcess(['review', '-', '--snapshot', enforce, '--namespace', 'team-ns'], text);
    assert.equal(r.code, 1);
    const heads = r.stdout.split('\n').filter((l) => /^[A-Z]/.test(l));
    assert.deepEqual(
      heads.map((l) => l.split(' (')[0]),
      ['ALLOWED Deployment team-ns/a', 'SKIPPED Service a: runs no containers', 'DENIED Deployment other/b'],
    );
  });

  it('a manifest object without a namespace is reviewed in default (as kubectl would), so a "*" runtime policy applies, and says so', async () => {
    // The enforcing policy scopes namespaces: ['*']; without a namespace it must still apply.
    const file = await manifest('no-ns.yaml', deploymentYaml('web', 'registry.local/team/app:v1'));
    const r = await inProcess(['review', file, '--snapshot', enforce]);
    assert.equal(r.code, 1, r.stdout);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^DENIED Deployment default\/web \(runtime policy prod, enforce;/);
    assert.equal(lines[1], '  namespace: default (the manifest names none)');
    assert.match(lines[2]!, /^  container app: registry\.local\/team\/app:v1 \[non-compliant\] denied: baseline\/malware/);
    const json = await inProcess(['review', file, '--snapshot', enforce, '--output', 'json']);
    assert.equal(JSON.parse(json.stdout).response.allowed, false);

    const flagged = await inProcess(['review', file, '--snapshot', enforce, '--namespace', 'team-ns']);
    assert.match(
      flagged.stdout,
      /^DENIED Deployment team-ns\/web .*\n  namespace: team-ns \(from --namespace; the manifest names none\)\n/,
    );
    // An object naming its namespace keeps it, and needs no such line.
    const own = await inProcess([
      'review',
      await manifest('ns.yaml', deploymentYaml('web', 'registry.local/team/app:v1', 'shop')),
      '--snapshot',
      enforce,
      '--namespace',
      'team-ns',
    ]);
    assert.match(own.stdout, /^DENIED Deployment shop\/web /);
    assert.doesNotMatch(own.stdout, /namespace:/);

    const bad = await inProcess(['review', file, '--snapshot', enforce, '--namespace', 'Team_NS']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--namespace must be a namespace name .*got "Team_NS"/);
  });

  it('reviews an image volume of a manifest, named by its volume', async () => {
    const text = deploymentYaml('ml', 'registry.local/team/app:v2', 'shop').replace(
      /(\n\s+)containers:/,
      '$1volumes: [{name: models, image: {reference: "registry.local/team/app:v1", pullPolicy: IfNotPresent}}]$1containers:',
    );
    assert.match(text, /volumes:/, 'the volume is in the manifest');
    const r = await inProcess(['review', await manifest('vol.yaml', text), '--snapshot', enforce]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /\n  volume models: registry\.local\/team\/app:v1 \[non-compliant\] denied: baseline\/malware: /);
    assert.match(r.stdout, /\n  container app: registry\.local\/team\/app:v2 \[compliant\] ok\n/);
  });

  it('json output: the AdmissionReview responses', async () => {
    const file = await manifest(
      'two.yaml',
      `${deploymentYaml('a', 'registry.local/team/app:v2')}---\n${deploymentYaml('b', 'registry.local/team/app:v1')}`,
    );
    const r = await inProcess(['review', file, '--snapshot', enforce, '--output', 'json']);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as {
      apiVersion: string;
      kind: string;
      response: { uid: string; allowed: boolean; status?: { code: number; message: string } };
    }[];
    assert.equal(out.length, 2);
    assert.deepEqual(
      out.map((o) => [o.apiVersion, o.kind, o.response.allowed]),
      [
        ['admission.k8s.io/v1', 'AdmissionReview', true],
        ['admission.k8s.io/v1', 'AdmissionReview', false],
      ],
    );
    assert.equal(out[1]!.response.status?.code, 403);
    assert.notEqual(out[0]!.response.uid, out[1]!.response.uid);
  });

  it('reviews a real API server AdmissionReview: well-formed JSON, uid echoed', async (t) => {
    if (!REAL_VECTORS) return t.skip('AdmissionReview vectors not found at ../shared/vectors');
    const file = join(REAL_VECTORS, '002-create-deployment.json');
    const sent = JSON.parse(await readFile(file, 'utf8')) as { apiVersion: string; request: { uid: string } };
    const r = await runAssay(['review', file, '--snapshot', enforce, '--output', 'json']);
    // Its images are unknown to this snapshot: unregistered, refused under enforce.
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as {
      apiVersion: string;
      kind: string;
      response: { uid: string; allowed: boolean; status: { code: number; message: string } };
    };
    assert.equal(out.apiVersion, sent.apiVersion);
    assert.equal(out.kind, 'AdmissionReview');
    assert.equal(out.response.uid, sent.request.uid);
    assert.equal(out.response.allowed, false);
    assert.equal(out.response.status.code, 403);
    assert.match(out.response.status.message, /is not registered \(never scanned\)/);
  });

  it('the real vectors as YAML manifests (manifests.yaml) all review', async (t) => {
    if (!REAL_VECTORS) return t.skip('AdmissionReview vectors not found at ../shared/vectors');
    const r = await inProcess(['review', join(REAL_VECTORS, 'manifests.yaml'), '--snapshot', enforce]);
    assert.equal(r.code, 1, r.stderr);
    const heads = r.stdout.split('\n').filter((l) => /^[A-Z]/.test(l));
    assert.ok(heads.length >= 9, r.stdout);
    assert.ok(
      heads.every((l) => l.startsWith('DENIED ')),
      r.stdout,
    );
  });

  describe('bad input: exit 2 and one clear line', () => {
    const cases: [string, () => Promise<string[]>, RegExp][] = [
      [
        'not a manifest',
        async () => ['review', await manifest('x.yaml', 'foo: bar\n'), '--snapshot', enforce],
        /^assay review: .*x\.yaml: not an AdmissionReview or a Kubernetes manifest\n$/,
      ],
      [
        'invalid YAML',
        async () => ['review', await manifest('y.yaml', 'a: [1, 2\n'), '--snapshot', enforce],
        /^assay review: .*y\.yaml: not valid YAML or JSON: /,
      ],
      [
        'missing file',
        async () => ['review', join(dir.path, 'nope.yaml'), '--snapshot', enforce],
        /^assay review: .*nope\.yaml: no such file\n$/,
      ],
      [
        'two decision sources',
        async () => ['review', await manifest('g.yaml', deploymentYaml('w', 'x:1')), '--snapshot', enforce, '--nats', 'nats://127.0.0.1:1'],
        /^assay review: give one decision source: --snapshot <file> or --nats <url>/,
      ],
      [
        'bad --output',
        async () => ['review', await manifest('g2.yaml', deploymentYaml('w', 'x:1')), '--snapshot', enforce, '--output', 'xml'],
        /^assay review: --output must be one of text, json, got "xml"\n$/,
      ],
      ['unknown option', async () => ['review', '--bogus'], /^assay review: Unknown option '--bogus'/],
      [
        'malformed AdmissionReview',
        async () => [
          'review',
          await manifest(
            'ar.json',
            JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }),
          ),
          '--snapshot',
          enforce,
        ],
        /^assay review: .*ar\.json: .*request\.uid is missing/,
      ],
      ['unknown command', async () => ['revue'], /^assay: unknown command "revue"/],
    ];
    for (const [name, args, want] of cases) {
      it(name, async () => {
        const r = await inProcess(await args());
        assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, want);
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      });
    }

    it('a snapshot written by a newer assay (snapshotVersion 99) is refused, through the launcher', async () => {
      const future = await writeJson(join(dir.path, 'future.json'), { ...snapshotWith({}), snapshotVersion: 99 });
      const file = await manifest('g3.yaml', deploymentYaml('w', 'registry.local/team/app:v2'));
      const r = await runAssay(['review', file, '--snapshot', future]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /^assay review: .*future\.json: snapshotVersion 99 is newer than this assay reads \(1\); use a newer assay\n$/,
      );
    });

    it('a snapshot with a broken runtime policy names it', async () => {
      const broken = await writeJson(join(dir.path, 'broken.json'), snapshotWith({}, { runtimePolicies: { prod: { id: 'prod' } } }));
      const r = await inProcess(['review', await manifest('g4.yaml', deploymentYaml('w', 'x:1')), '--snapshot', broken]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /broken\.json: runtime policy "prod": runtime policy prod: want \{id, version, policy\}/);
    });
  });

  it('--help for the CLI and for review', async () => {
    const top = await runAssay(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^Usage: assay <command>/);
    assert.match(top.stdout, /review <file\|->/);
    const rev = await inProcess(['review', '--help']);
    assert.equal(rev.code, 0);
    assert.match(rev.stdout, /--snapshot <file>/);
    assert.match(rev.stdout, /Exit status: 0 all allowed/);
  });
});
