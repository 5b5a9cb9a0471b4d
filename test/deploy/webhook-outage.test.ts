// The README's outage table, against a real kube-apiserver: the base's webhook configurations are
// registered while the admission Service does not exist (admission is down), with the validating
// webhook's failurePolicy Fail. Pod, workload and image changes are refused; label, annotation,
// scale, rollout restart, finalizer and ownerReference updates, deletes and the excluded
// namespaces pass. This also proves that the API server accepts the CEL matchConditions.
//
// Needs a kube-apiserver binary (KUBE_APISERVER_BIN; Kubernetes 1.28+), etcd and kubectl on PATH.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { webhookConfigs } from './k8s-checks.ts';
import { renderKustomization } from './kustomize-render.ts';

const onPath = (name: string) =>
  [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']
    .filter(Boolean)
    .map((d) => join(d, name))
    .find((p) => existsSync(p));
const apiserver = process.env['KUBE_APISERVER_BIN'];
const etcd = onPath('etcd');
const kubectl = onPath('kubectl');

/** [what, kubectl arguments, passes during the outage] — the README table, row by row. */
const CASES: [string, string[], boolean][] = [
  ['label a Deployment', ['-n', 'demo', 'label', 'deploy/web', 'team=a'], true],
  ['annotate a Deployment', ['-n', 'demo', 'annotate', 'deploy/web', 'note=x'], true],
  ['scale a Deployment', ['-n', 'demo', 'scale', 'deploy/web', '--replicas=3'], true],
  ['rollout restart a Deployment', ['-n', 'demo', 'rollout', 'restart', 'deploy/web'], true],
  ['add a finalizer', ['-n', 'demo', 'patch', 'deploy/web', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/x"]}}'], true],
  ['remove it', ['-n', 'demo', 'patch', 'deploy/web', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]'], true],
  [
    'set an ownerReference on a Pod',
    [
      '-n',
      'demo',
      'patch',
      'pod/pod1',
      '--type=merge',
      '-p',
      '{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"o","uid":"00000000-0000-0000-0000-000000000001"}]}}',
    ],
    true,
  ],
  ['label a Pod', ['-n', 'demo', 'label', 'pod/pod1', 'x=y'], true],
  ['suspend a CronJob', ['-n', 'demo', 'patch', 'cronjob/nightly', '--type=merge', '-p', '{"spec":{"suspend":true}}'], true],
  ['set image on a Deployment', ['-n', 'demo', 'set', 'image', 'deploy/web', 'nginx=nginx:1.26'], false],
  ['set image on a CronJob', ['-n', 'demo', 'set', 'image', 'cronjob/nightly', 'nightly=busybox:2'], false],
  ['debug a Pod (ephemeral container)', ['-n', 'demo', 'debug', 'pod1', '--image=busybox:1', '--attach=false'], false],
  ['create a Pod', ['-n', 'demo', 'run', 'pod2', '--image=busybox:1', '--', 'sleep', '1'], false],
  ['create a Deployment', ['-n', 'demo', 'create', 'deployment', 'web2', '--image=nginx:1.25'], false],
  ['create a Pod in assay-system (excluded)', ['-n', 'assay-system', 'run', 'p', '--image=busybox:1', '--', 'sleep', '1'], true],
  ['delete a Pod', ['-n', 'demo', 'delete', 'pod/pod1', '--wait=false'], true],
  ['delete a Deployment', ['-n', 'demo', 'delete', 'deploy/web', '--wait=false'], true],
];

test(
  'outage table: with admission down and failurePolicy Fail, a real API server refuses exactly what the README says',
  { timeout: 120_000 },
  async (t) => {
    if (!apiserver || !existsSync(apiserver) || !etcd || !kubectl) {
      t.skip('needs KUBE_APISERVER_BIN (a kube-apiserver 1.28+ binary), etcd and kubectl');
      return;
    }
    const tmp = await makeTempDir('apiserver');
    const procs: ManagedProcess[] = [];
    try {
      const [client, peer, secure] = [await freePort(), await freePort(), await freePort()];
      procs.push(
        startProcess(etcd, [
          '--name=t',
          `--data-dir=${join(tmp.path, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${client}`,
          `--advertise-client-urls=http://127.0.0.1:${client}`,
          `--listen-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-cluster=t=http://127.0.0.1:${peer}`,
        ]),
      );
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await writeFile(join(tmp.path, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await writeFile(join(tmp.path, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
      await writeFile(join(tmp.path, 'tokens.csv'), 'test-admin-token,admin,admin,system:masters\n');
      procs.push(
        startProcess(apiserver, [
          `--etcd-servers=http://127.0.0.1:${client}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${secure}`,
          `--cert-dir=${join(tmp.path, 'certs')}`,
          `--token-auth-file=${join(tmp.path, 'tokens.csv')}`,
          '--authorization-mode=AlwaysAllow',
          `--service-account-key-file=${join(tmp.path, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(tmp.path, 'sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc',
          '--service-cluster-ip-range=10.200.0.0/16',
          '--profiling=false',
        ]),
      );
      const kubeconfig = join(tmp.path, 'kubeconfig');
      await writeFile(
        kubeconfig,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 't', cluster: { server: `https://127.0.0.1:${secure}`, 'insecure-skip-tls-verify': true } }],
          users: [{ name: 'admin', user: { token: 'test-admin-token' } }],
          contexts: [{ name: 't', context: { cluster: 't', user: 'admin' } }],
          'current-context': 't',
        }),
      );
      const k = (args: string[], input?: string) =>
        spawnSync(kubectl, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
      const ok = (args: string[], input?: string) => {
        const r = k(args, input);
        assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      };
      await waitFor('kube-apiserver ready', () => (k(['get', '--raw', '/readyz']).status === 0 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 500,
        process: procs[1]!,
      });

      // Before the webhooks: the objects the updates act on (no controller-manager runs, so the
      // ServiceAccounts are made by hand and nothing reconciles).
      for (const ns of ['demo', 'assay-system']) {
        ok(['create', 'namespace', ns]);
        ok(['-n', ns, 'create', 'serviceaccount', 'default']);
      }
      ok(['-n', 'demo', 'create', 'deployment', 'web', '--image=nginx:1.25']);
      ok(['-n', 'demo', 'create', 'cronjob', 'nightly', '--image=busybox:1', '--schedule=0 0 * * *', '--', 'true']);
      ok(['-n', 'demo', 'run', 'pod1', '--image=busybox:1', '--', 'sleep', '1']);

      // The base's webhooks (failurePolicy Fail); their Service does not exist: admission is down.
      const configs = webhookConfigs(renderKustomization(join(repoRoot, 'deploy', 'k8s', 'base')));
      ok(['apply', '-f', '-'], configs.map((c) => stringify(c)).join('---\n'));

      const wrong: string[] = [];
      for (const [what, args, passes] of CASES) {
        const r = k(args);
        const passed = r.status === 0;
        if (!passed && !/failed calling webhook "validate\.assay\.dev"/.test(r.stderr))
          wrong.push(`${what}: refused for another reason: ${r.stderr.trim()}`);
        else if (passed !== passes)
          wrong.push(`${what}: ${passed ? 'passed' : 'refused'}, the table says ${passes ? 'passes' : 'refused'}`);
      }
      assert.deepEqual(wrong, []);
    } finally {
      for (const p of procs.reverse()) await p.stop();
      await tmp.remove();
    }
  },
);
