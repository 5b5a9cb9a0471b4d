// The Helm chart deploy/helm/assay: `helm lint`, `helm template` with the chart's defaults and
// with the values an operator changes, every rendered object validated against the Kubernetes
// schemas and held to the same security and webhook checks as the kustomize overlays.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { chart, findObject as find, helmTemplate, NS, runHelm as run } from './helm-render.ts';
import { referenceProblems, securityProblems, validateObjects, webhookConfigs, webhookProblems, workloads } from './k8s-checks.ts';
import { type K8sObject, renderKustomization } from './kustomize-render.ts';
import { schedulingProblems } from './scheduling-checks.ts';
import { storeProblems } from './store-checks.ts';

const SERVICES = ['admission', 'audit', 'policy', 'registry-watcher', 'scanner'];
const BUNDLED_MONGO = {
  statefulSet: 'assay-mongo',
  url: `mongodb://assay-mongo-0.assay-mongo.${NS}.svc.cluster.local:27017/?replicaSet=rs0`,
};
/** A cluster with cert-manager installed, as `helm install` would see it. */
const CERT_MANAGER = { apiVersions: ['cert-manager.io/v1'] };

const template = (set: string[] = [], withCertManager = false): K8sObject[] => helmTemplate(set, withCertManager ? CERT_MANAGER : {});
/** With the chart's crds/ (Assay's CustomResourceDefinitions), as `helm install` applies them. */
const templateWithCrds = (set: string[] = [], withCertManager = false): K8sObject[] =>
  helmTemplate(set, { ...(withCertManager ? CERT_MANAGER : {}), includeCrds: true });

test('helm lint passes, with cert-manager and with the bootstrap Jobs', () => {
  for (const set of [[], ['tls.certManager.enabled=true'], ['tls.certManager.enabled=false']]) {
    const r = run(['lint', '--strict', chart, ...set.flatMap((s) => ['--set', s])]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 chart\(s\) failed/);
  }
});

for (const [label, set, failurePolicy, withCertManager] of [
  ['defaults, no cert-manager in the cluster', [], 'Fail', false],
  ['defaults, cert-manager in the cluster', [], 'Fail', true],
  ['cert-manager off, failurePolicy Ignore', ['tls.certManager.enabled=false', 'webhook.failurePolicy=Ignore'], 'Ignore', true],
] as const) {
  test(`helm template (${label}): valid objects, secure workloads, complete webhooks`, (t) => {
    const objs = templateWithCrds([...set], withCertManager);
    assert.equal(objs.filter((o) => o.kind === 'CustomResourceDefinition').length, 3, 'the CRDs are rendered and validated');
    const v = validateObjects(objs);
    assert.deepEqual(v.problems, []);
    if (v.structural.length > 0) t.diagnostic(`checked structurally (no schema in kubernetes-models): ${v.structural.join(', ')}`);
    assert.deepEqual(securityProblems(objs), []);
    assert.deepEqual(webhookProblems(objs, { failurePolicy, namespace: NS }), []);
    assert.deepEqual(referenceProblems(objs, { secrets: [`assay-admission-tls`] }), []);
    assert.deepEqual(schedulingProblems(objs, { singleNode: true }), [], 'helm install with defaults schedules on one node');
    assert.deepEqual(storeProblems(objs, { secret: 'assay-mongo', bundled: BUNDLED_MONGO }), []);
    const names = workloads(objs).map((w) => w.object.metadata.name);
    for (const s of SERVICES) assert.ok(names.includes(`assay-${s}`), `${s} is deployed`);
    for (const o of objs) {
      const clusterScoped = [
        'CustomResourceDefinition',
        'ValidatingWebhookConfiguration',
        'MutatingWebhookConfiguration',
        'ClusterRole',
        'ClusterRoleBinding',
      ];
      if (!clusterScoped.includes(o.kind)) {
        assert.equal(o.metadata.namespace, NS, `${o.kind}/${o.metadata.name} in the release namespace`);
      }
    }
  });
}

test('helm template: defaults schedule anywhere (preferred spread, surge rollouts, 3 NATS forming one R3 cluster); scheduling values give the production shape', () => {
  const defaults = template();
  const sts = find(defaults, 'StatefulSet', 'assay-nats') as K8sObject & { spec: { replicas: number } };
  assert.equal(sts.spec.replicas, 3);
  const conf = (find(defaults, 'ConfigMap', 'assay-nats-config') as K8sObject & { data: Record<string, string> }).data['nats.conf']!;
  for (let i = 0; i < 3; i++) assert.ok(conf.includes(`assay-nats-${i}.assay-nats-headless.${NS}.svc`));
  assert.equal((find(defaults, 'ConfigMap', 'assay-common') as K8sObject & { data: Record<string, string> }).data['NATS_REPLICAS'], '3');
  for (const name of ['assay-admission', 'assay-nats']) {
    const pod = workloads(defaults).find((w) => w.object.metadata.name === name)!.pod;
    assert.equal(
      pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      undefined,
      `${name}: no required anti-affinity by default`,
    );
    assert.ok(
      pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.some(
        (x) => x.podAffinityTerm.topologyKey === 'kubernetes.io/hostname',
      ),
      `${name}: preferred`,
    );
  }

  const objs = template(['scheduling.podAntiAffinity=required', 'scheduling.zoneSpread=DoNotSchedule'], true);
  assert.deepEqual(schedulingProblems(objs, { singleNode: false }), []);
  assert.ok(schedulingProblems(objs, { singleNode: true }).length > 0, 'the strict shape needs several nodes');
  const d = find(objs, 'Deployment', 'assay-admission') as K8sObject & {
    spec: { replicas: number; strategy: { rollingUpdate: { maxSurge: number; maxUnavailable: number } } };
  };
  assert.ok(d.spec.replicas >= 3);
  assert.deepEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 1, maxSurge: 0 }, 'one per node: roll out by replacing');
  for (const name of ['assay-admission', 'assay-nats']) {
    const pod = workloads(objs).find((w) => w.object.metadata.name === name)!.pod;
    assert.ok(
      pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.some(
        (x) => x.topologyKey === 'kubernetes.io/hostname',
      ),
      name,
    );
    assert.ok(
      pod.topologySpreadConstraints?.some((x) => x.whenUnsatisfiable === 'DoNotSchedule'),
      name,
    );
  }
  assert.ok(find(objs, 'PodDisruptionBudget', 'assay-admission'));
  const cert = find(objs, 'Certificate', 'assay-admission') as K8sObject & { spec: { dnsNames: string[]; secretName: string } };
  assert.ok(cert.spec.dnsNames.includes(`assay-admission.${NS}.svc`));
  for (const c of webhookConfigs(objs)) assert.equal(c.metadata.annotations?.['cert-manager.io/inject-ca-from'], `${NS}/assay-admission`);
});

test('helm template: the validating webhook carries the same matchConditions as the kustomize base', () => {
  const expressions = (objs: K8sObject[]) =>
    webhookConfigs(objs)
      .filter((c) => c.kind === 'ValidatingWebhookConfiguration')
      .map((c) => (c['webhooks'] as { matchConditions: unknown }[])[0]!.matchConditions);
  assert.deepEqual(expressions(template()), expressions(renderKustomization(join(repoRoot, 'deploy', 'k8s', 'base'))));
});

test("helm: registries become the three services' registry lists and egress on each registry's port; pin-all drops the objectSelector", () => {
  const registries = [
    { name: 'harbor', url: 'https://harbor.example', trustNotifications: true },
    { name: 'lab', url: 'http://registry.lab.svc.cluster.local:5000', host: 'registry.lab:5000', insecure: true },
  ];
  const set = registries.flatMap((r, i) => Object.entries(r).map(([k, v]) => `registries[${i}].${k}=${String(v)}`));
  const objs = template([...set, 'webhook.pinAll=true', 'webhook.mutateFailurePolicy=Fail']);
  assert.deepEqual(webhookProblems(objs, { failurePolicy: 'Fail', mutatingFailurePolicy: 'Fail', pinAll: true, namespace: NS }), []);
  const admissionEnv = workloads(objs).find((w) => w.object.metadata.name === 'assay-admission')!.pod.containers[0]!.env ?? [];
  assert.equal(admissionEnv.find((e) => e.name === 'ADMISSION_MUTATE_PIN_DIGESTS')?.value, 'true');
  for (const [svc, variable] of [
    ['registry-watcher', 'WATCHER_REGISTRIES'],
    ['scanner', 'SCANNER_REGISTRIES'],
    ['admission', 'ADMISSION_REGISTRIES'],
  ] as const) {
    const sec = find(objs, 'Secret', `assay-${svc}`) as K8sObject & { stringData: Record<string, string> };
    assert.deepEqual(JSON.parse(sec.stringData[variable]!), registries, variable);
  }
  const egress = find(objs, 'NetworkPolicy', 'assay-registry-egress') as K8sObject & {
    spec: { podSelector: { matchExpressions: { values: string[] }[] }; egress: { ports: { port: number }[] }[] };
  };
  assert.deepEqual(egress.spec.podSelector.matchExpressions[0]!.values, ['registry-watcher', 'scanner', 'admission']);
  assert.deepEqual(
    egress.spec.egress.flatMap((e) => e.ports.map((x) => x.port)),
    [443, 5000],
  );
  // Without registries nothing is opened, unless asked for 443 anywhere.
  assert.equal(find(template(), 'NetworkPolicy', 'assay-registry-egress'), undefined);
  const any = find(template(['networkPolicy.registryEgressAnyHTTPS=true']), 'NetworkPolicy', 'assay-registry-egress') as typeof egress;
  assert.deepEqual(
    any.spec.egress.flatMap((e) => e.ports.map((x) => x.port)),
    [443],
  );
});

test('helm: the registry-watcher Pod informer is on by default (ClusterRole, token, egress to the API server, WATCHER_KUBERNETES); services.registry-watcher.kubernetes=false removes all of it', () => {
  const watcherOf = (objs: K8sObject[]) => workloads(objs).find((w) => w.object.metadata.name === 'assay-registry-watcher')!;
  const envOf = (objs: K8sObject[]) => Object.fromEntries((watcherOf(objs).pod.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
  const on = template();
  const role = find(on, 'ClusterRole', 'assay-registry-watcher-pods') as K8sObject & { rules: unknown[] };
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
  ]);
  assert.ok(find(on, 'ClusterRoleBinding', 'assay-registry-watcher-pods'));
  assert.ok(find(on, 'NetworkPolicy', 'assay-registry-watcher-apiserver'));
  assert.equal(watcherOf(on).pod.automountServiceAccountToken, true);
  assert.equal(envOf(on)['WATCHER_KUBERNETES'], 'true');

  const off = template(['services.registry-watcher.kubernetes=false']);
  assert.equal(off.filter((o) => o.metadata.name === 'assay-registry-watcher-pods').length, 0);
  assert.equal(off.filter((o) => o.metadata.name === 'assay-registry-watcher-apiserver').length, 0);
  assert.equal(watcherOf(off).pod.automountServiceAccountToken, false);
  assert.equal(envOf(off)['WATCHER_KUBERNETES'], undefined);
});

test('helm: the scanner reads no Secret by default; services.scanner.readPullSecrets=true grants get on secrets, mounts its token, opens egress to the API server and sets SCANNER_KUBE_PULL_SECRETS', () => {
  const scannerOf = (objs: K8sObject[]) => workloads(objs).find((w) => w.object.metadata.name === 'assay-scanner')!;
  const envOf = (objs: K8sObject[]) => Object.fromEntries((scannerOf(objs).pod.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
  const off = template();
  assert.equal(find(off, 'ClusterRole', 'assay-scanner-pull-secrets'), undefined);
  assert.equal(find(off, 'NetworkPolicy', 'assay-scanner-apiserver'), undefined);
  assert.equal(scannerOf(off).pod.automountServiceAccountToken, false);
  assert.equal(envOf(off)['SCANNER_KUBE_PULL_SECRETS'], undefined);
  // No role of the five services grants anything on secrets (certgen's Job writes the webhook's TLS Secret).
  for (const r of off.filter((o) => (o.kind === 'ClusterRole' || o.kind === 'Role') && !o.metadata.name.includes('certgen')) as Array<
    K8sObject & { rules?: { resources?: string[] }[] }
  >)
    assert.ok(!(r.rules ?? []).some((rule) => rule.resources?.includes('secrets')), `${r.metadata.name} touches secrets`);

  const on = template(['services.scanner.readPullSecrets=true']);
  assert.deepEqual(validateObjects(on).problems, []);
  assert.deepEqual((find(on, 'ClusterRole', 'assay-scanner-pull-secrets') as K8sObject & { rules: unknown[] }).rules, [
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  ]);
  assert.ok(find(on, 'ClusterRoleBinding', 'assay-scanner-pull-secrets'));
  assert.ok(find(on, 'NetworkPolicy', 'assay-scanner-apiserver'));
  assert.equal(scannerOf(on).pod.automountServiceAccountToken, true);
  assert.equal(envOf(on)['SCANNER_KUBE_PULL_SECRETS'], 'true');
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
  for (const c of webhookConfigs(objs))
    for (const h of c['webhooks'] as { failurePolicy: string }[]) assert.equal(h.failurePolicy, 'Ignore');
  const rp = (find(objs, 'ConfigMap', 'assay-runtime-policy') as K8sObject & { data: Record<string, string> }).data['runtime-policy.yaml']!;
  assert.match(rp, /enforcement: enforce/);
  const conf = (find(objs, 'ConfigMap', 'assay-nats-config') as K8sObject & { data: Record<string, string> }).data['nats.conf']!;
  assert.doesNotMatch(conf, /cluster \{/);
  assert.equal((find(objs, 'ConfigMap', 'assay-common') as K8sObject & { data: Record<string, string> }).data['NATS_REPLICAS'], '1');
  // An external replica set: one Secret for policy and scanner, no bundled MongoDB.
  assert.deepEqual(storeProblems(objs, { secret: 'assay-mongo' }), []);
  assert.equal(
    (find(objs, 'Secret', 'assay-mongo') as K8sObject & { stringData: Record<string, string> }).stringData['MONGO_URL'],
    'mongodb://mongo.example:27017/?replicaSet=rs0',
  );
  assert.equal(
    objs.filter((o) => (o.metadata.labels ?? {})['app.kubernetes.io/name'] === 'mongo' && o.kind !== 'Secret').length,
    0,
    'no bundled MongoDB',
  );
  const storeEgress = find(objs, 'NetworkPolicy', 'assay-store-egress') as K8sObject & {
    spec: { egress: { to?: unknown; ports: { port: number }[] }[] };
  };
  assert.ok(
    storeEgress.spec.egress.some((e) => e.to === undefined && e.ports.some((x) => x.port === 27017)),
    'to the external replica set',
  );
  const own = template(['mongo.existingSecret=my-mongo']);
  assert.deepEqual(storeProblems(own, { secret: 'my-mongo' }), []);
  assert.equal(find(own, 'Secret', 'assay-mongo'), undefined);
  assert.equal(
    (find(objs, 'Secret', 'assay-audit') as K8sObject & { stringData: Record<string, string> }).stringData['AUDIT_ES_URL'],
    'https://es.example:9200',
  );
  for (const s of SERVICES)
    assert.equal(
      workloads(objs).find((w) => w.object.metadata.name === `assay-${s}`)!.pod.containers[0]!.image,
      `ghcr.io/assay/assay-${s}:1.2.3`,
    );
  assert.equal(objs.filter((o) => o.apiVersion.startsWith('cert-manager.io/')).length, 0);
  const jobs = objs.filter((o) => o.kind === 'Job');
  assert.equal(jobs.length, 2, 'create and patch Jobs');
  for (const c of webhookConfigs(objs)) assert.equal(c.metadata.annotations?.['cert-manager.io/inject-ca-from'], undefined);
});

test('helm: private Sigstore trusted roots reach the scanner as files it is told to trust; trust.verify and publicGoodRoot become its variables', () => {
  const root = join(repoRoot, 'test', 'trust', 'fixtures', 'cosign', 'trusted_root_pgi.json');
  const objs = helmTemplate(['trust.publicGoodRoot=false'], { setFile: [`trust.trustedRoots.corp=${root}`] });
  assert.deepEqual(validateObjects(objs).problems, []);
  const cm = find(objs, 'ConfigMap', 'assay-trusted-roots');
  assert.ok(cm, 'a ConfigMap of the trusted roots');
  assert.deepEqual(JSON.parse((cm['data'] as Record<string, string>)['corp']!), JSON.parse(readFileSync(root, 'utf8')));
  const scanner = find(objs, 'Deployment', 'assay-scanner')!;
  const pod = (scanner['spec'] as { template: { spec: any } }).template.spec;
  const env = Object.fromEntries((pod.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
  assert.equal(env['TRUST_ROOTS'], '/etc/assay/trust/corp.json');
  assert.equal(env['TRUST_PUBLIC_GOOD_ROOT'], 'false');
  assert.equal(env['TRUST_VERIFY'], 'true');
  assert.ok(
    pod.containers[0].volumeMounts.some((m: { mountPath: string; readOnly?: boolean }) => m.mountPath === '/etc/assay/trust' && m.readOnly),
  );
  assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === 'trusted-roots').configMap.items, [
    { key: 'corp', path: 'corp.json' },
  ]);
  // Without private roots: no ConfigMap, no TRUST_ROOTS; verify off is said.
  const off = template(['trust.verify=false']);
  assert.equal(find(off, 'ConfigMap', 'assay-trusted-roots'), undefined);
  const offEnv = (find(off, 'Deployment', 'assay-scanner')!['spec'] as { template: { spec: any } }).template.spec.containers[0].env as {
    name: string;
    value?: string;
  }[];
  assert.equal(offEnv.find((e) => e.name === 'TRUST_VERIFY')?.value, 'false');
  assert.equal(
    offEnv.find((e) => e.name === 'TRUST_ROOTS'),
    undefined,
  );
});

test('helm: the scanner builds its vulnerability data from osv.dev by default; a mirror or air-gapped ("") as vulnerabilityData.source says', () => {
  const scannerEnv = (set: string[]) =>
    new Map(
      (
        (find(template(set), 'Deployment', 'assay-scanner')!['spec'] as { template: { spec: any } }).template.spec.containers[0].env as {
          name: string;
          value?: string;
        }[]
      ).map((e) => [e.name, e.value]),
    );
  assert.equal(scannerEnv([]).get('VULNDB_SOURCE'), 'osv');
  assert.equal(
    scannerEnv(['vulnerabilityData.source=oci://mirror.example/assay/vulndb:1']).get('VULNDB_SOURCE'),
    'oci://mirror.example/assay/vulndb:1',
  );
  assert.equal(scannerEnv(['vulnerabilityData.source=']).has('VULNDB_SOURCE'), false, 'air-gapped: no source');
});

test('helm refuses invalid values: failurePolicies, a long timeout, an unknown mode, scheduling, no store, a registry URL without scheme, a TLS choice', () => {
  for (const set of [
    'webhook.failurePolicy=Maybe',
    'webhook.mutateFailurePolicy=Maybe',
    'webhook.timeoutSeconds=30',
    'mode=strict',
    'nats.replicas=2',
    'scheduling.podAntiAffinity=sometimes',
    'scheduling.zoneSpread=Never',
    'mongo.enabled=false',
    'registries[0].url=harbor.example',
    'tls.certManager.enabled=maybe',
  ]) {
    const r = run(['template', 'assay', chart, '--namespace', NS, '--set', set]);
    assert.notEqual(r.status, 0, `${set} is refused`);
    assert.ok(r.stderr.includes(set.split('=')[0]!), `the error names ${set.split('=')[0]}: ${r.stderr}`);
  }
});

test('validateObjects notices a schema violation', () => {
  const objs = structuredClone(template());
  const d = find(objs, 'Deployment', 'assay-scanner')!;
  (d['spec'] as Record<string, unknown>)['replicas'] = 'two';
  const v = validateObjects(objs);
  assert.ok(
    v.problems.some((p) => p.includes('assay-scanner') && p.includes('replicas')),
    v.problems.join('\n'),
  );
});
