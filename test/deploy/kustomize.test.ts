// The kustomize base and overlays, rendered (test/deploy/kustomize-render.ts, cross-checked with
// `kubectl kustomize` when kubectl is on PATH), validated against the Kubernetes schemas, and
// checked for the security properties, webhook coverage and HA shape the issue asks for.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { referenceProblems, securityProblems, validateObjects, webhookConfigs, webhookProblems, workloads } from './k8s-checks.ts';
import { type K8sObject, KustomizeError, kubectlKustomize, objectId, renderKustomization } from './kustomize-render.ts';

const k8s = join(repoRoot, 'deploy', 'k8s');
const DIRS = { base: join(k8s, 'base'), kind: join(k8s, 'overlays', 'kind'), production: join(k8s, 'overlays', 'production') };
const SERVICES = ['admission', 'audit', 'policy', 'registry-watcher', 'scanner'];
const NS = 'assay-system';
/** Secrets an operator creates (envFrom, optional) or a bootstrap Job writes. */
const EXTERNAL_SECRETS = ['assay-admission-tls', ...SERVICES.map((s) => `assay-${s}`)];

const rendered = new Map<string, K8sObject[]>();
function render(name: keyof typeof DIRS): K8sObject[] {
  let objs = rendered.get(name);
  if (!objs) {
    objs = renderKustomization(DIRS[name]);
    rendered.set(name, objs);
  }
  return objs;
}
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

for (const name of ['base', 'kind', 'production'] as const) {
  test(`${name}: the renderer agrees with kubectl kustomize`, (t) => {
    const ours = render(name);
    const theirs = kubectlKustomize(DIRS[name]);
    if (theirs === undefined) {
      t.skip('kubectl is not on PATH: overlays rendered by test/deploy/kustomize-render.ts only');
      return;
    }
    const a = new Map(ours.map((o) => [objectId(o), o]));
    const b = new Map(theirs.map((o) => [objectId(o), o]));
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), 'same objects');
    for (const [id, o] of b) assert.ok(isDeepStrictEqual(a.get(id), o), `${id} renders the same`);
  });

  test(`${name}: every object is valid against the Kubernetes schemas`, (t) => {
    const res = validateObjects(render(name));
    assert.deepEqual(res.problems, []);
    assert.ok(res.validated > 20, `${res.validated} objects validated`);
    if (res.structural.length > 0) t.diagnostic(`checked structurally (no schema in kubernetes-models): ${res.structural.join(', ')}`);
  });

  test(`${name}: every workload is non-root, read-only, unprivileged, seccomp'd, with requests/limits and probes`, () => {
    const objs = render(name);
    assert.deepEqual(securityProblems(objs), []);
    const names = workloads(objs).map((w) => w.object.metadata.name);
    for (const s of [...SERVICES, 'nats']) assert.ok(names.includes(s), `${s} is deployed`);
  });

  test(`${name}: references resolve (ConfigMaps, Secrets, volumes, Service selectors)`, () => {
    assert.deepEqual(referenceProblems(render(name), { secrets: EXTERNAL_SECRETS }), []);
  });

  test(`${name}: every namespaced object is in ${NS}, which enforces the restricted Pod Security profile`, () => {
    const objs = render(name);
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
    for (const o of objs) {
      if (clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name} is cluster-scoped`);
      else assert.equal(o.metadata.namespace, NS, `${o.kind}/${o.metadata.name} namespace`);
    }
    assert.equal(find(objs, 'Namespace', NS)?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  test(`${name}: network policies deny by default and open only the needed flows`, () => {
    const objs = render(name);
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    type NP = {
      podSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; values: string[] }[] };
      policyTypes: string[];
      ingress?: { from?: unknown[]; ports?: { port: number }[] }[];
      egress?: { to?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port: number }[] }[];
    };
    const spec = (o: K8sObject) => o['spec'] as NP;
    const deny = policies.find((p) => Object.keys(spec(p).podSelector).length === 0 && !spec(p).ingress && !spec(p).egress);
    assert.ok(deny, 'a default-deny policy selects every pod');
    assert.deepEqual([...spec(deny).policyTypes].sort(), ['Egress', 'Ingress']);
    const webhook = policies.find((p) => spec(p).podSelector.matchLabels?.['app.kubernetes.io/name'] === 'admission');
    const rule = webhook && spec(webhook).ingress?.find((r) => r.ports?.some((x) => x.port === 8443));
    assert.ok(rule, 'admission accepts 8443');
    assert.equal(rule.from, undefined, 'from anywhere (the API server)');
    const natsIn = policies.find((p) => spec(p).podSelector.matchLabels?.['app.kubernetes.io/name'] === 'nats');
    assert.ok(natsIn?.metadata && spec(natsIn).ingress?.some((r) => r.ports?.some((x) => x.port === 4222)), 'NATS accepts clients on 4222');
    for (const s of SERVICES) {
      const out = policies.some((p) => {
        const sel = spec(p).podSelector;
        const selects = sel.matchLabels?.['app.kubernetes.io/name'] === s || sel.matchExpressions?.some((e) => e.key === 'app.kubernetes.io/component' && e.values.includes(s));
        return selects && spec(p).egress?.some((e) => e.ports?.some((x) => x.port === 4222) && e.to?.some((t) => t.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'nats'));
      });
      assert.ok(out, `${s} may reach NATS`);
    }
  });

  test(`${name}: NATS is a 3-node JetStream cluster whose routes name every peer`, () => {
    const objs = render(name);
    const sts = find(objs, 'StatefulSet', 'nats') as K8sObject & { spec: { replicas: number; serviceName: string } };
    assert.equal(sts.spec.replicas, 3);
    const headless = find(objs, 'Service', sts.spec.serviceName) as K8sObject & { spec: { clusterIP: string } };
    assert.equal(headless.spec.clusterIP, 'None');
    const conf = (find(objs, 'ConfigMap', 'nats-config') as K8sObject & { data: Record<string, string> }).data['nats.conf'] ?? '';
    assert.match(conf, /jetstream\s*\{/);
    for (let i = 0; i < 3; i++) assert.ok(conf.includes(`nats-${i}.${sts.spec.serviceName}.${NS}.svc`), `route to nats-${i}`);
    const common = (find(objs, 'ConfigMap', 'assay-common') as K8sObject & { data: Record<string, string> }).data;
    assert.equal(common['NATS_REPLICAS'], '3', 'streams and buckets at R3');
    assert.ok(find(objs, 'PodDisruptionBudget', 'nats'));
  });

  test(`${name}: only the TLS bootstrap identity and admission may call the API server`, () => {
    const objs = render(name);
    // No account mounts a token by default; the certgen Jobs and the admission pod ask for it
    // in their pod specs (securityProblems checks those against TOKEN_ALLOWED).
    for (const sa of objs.filter((o) => o.kind === 'ServiceAccount')) {
      if (sa.metadata.name !== 'assay-certgen') assert.equal(sa['automountServiceAccountToken'], false, `${sa.metadata.name} has no token by default`);
    }
    for (const r of objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
      const rules = r['rules'] as { apiGroups: string[]; verbs: string[]; resources: string[]; resourceNames?: string[] }[];
      for (const rule of rules) {
        assert.ok(!rule.verbs.includes('*') && !rule.resources.includes('*'), `${r.metadata.name}: no wildcards`);
      }
      if (r.metadata.name === 'assay-admission-namespaces') {
        // admission reads namespace labels: read-only on namespaces, nothing else.
        assert.deepEqual(rules, [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] }]);
        continue;
      }
      for (const rule of rules) assert.ok(!rule.verbs.includes('list') && !rule.verbs.includes('watch'), `${r.metadata.name}: no list/watch`);
      if (r.kind === 'ClusterRole') for (const rule of rules) assert.deepEqual(rule.resourceNames, ['assay'], 'cluster-wide only on Assay’s own webhooks');
    }
    const binding = objs.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'assay-admission-namespaces') as K8sObject & { subjects: { kind: string; name: string; namespace: string }[] };
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'assay-admission', namespace: NS }]);
    const admission = workloads(objs).find((x) => x.object.metadata.name === 'admission')!;
    assert.equal(admission.pod.automountServiceAccountToken, true, 'admission mounts its token');
    const env = Object.fromEntries((admission.pod.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env['ADMISSION_NAMESPACE_LABELS'], 'true');
  });

  test(`${name}: the admission container serves TLS from the mounted Secret`, () => {
    const w = workloads(render(name)).find((x) => x.object.metadata.name === 'admission')!;
    const c = w.pod.containers[0]!;
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env['ADMISSION_PORT'], '8443');
    assert.ok(c.ports?.some((p) => p.containerPort === 8443 && p.name === 'webhook'));
    const mount = c.volumeMounts?.find((m) => env['ADMISSION_TLS_CERT']?.startsWith(m.mountPath + '/'));
    assert.ok(mount, 'ADMISSION_TLS_CERT lies under a mount');
    assert.ok(env['ADMISSION_TLS_KEY']?.startsWith(mount.mountPath + '/'));
    assert.equal(w.pod.volumes?.find((v) => v.name === mount.name)?.secret?.secretName, 'assay-admission-tls');
  });
}

test('base and overlays: webhooks cover every workload kind, CREATE+UPDATE, v1, short timeout, exclusions', () => {
  assert.deepEqual(webhookProblems(render('base'), { failurePolicy: 'Fail', namespace: NS }), []);
  assert.deepEqual(webhookProblems(render('production'), { failurePolicy: 'Fail', namespace: NS }), []);
  assert.deepEqual(webhookProblems(render('kind'), { failurePolicy: 'Ignore', namespace: NS }), []);
});

test('webhookProblems notices a missing workload kind, a long timeout and a missing exclusion', () => {
  const objs = structuredClone(render('base'));
  const hook = (webhookConfigs(objs)[0]!['webhooks'] as { timeoutSeconds: number; rules: { resources: string[] }[]; namespaceSelector: { matchExpressions: { values: string[] }[] } }[])[0]!;
  hook.timeoutSeconds = 30;
  hook.rules[1]!.resources = hook.rules[1]!.resources.filter((r) => r !== 'daemonsets');
  hook.namespaceSelector.matchExpressions[0]!.values = ['kube-system'];
  const p = webhookProblems(objs, { failurePolicy: 'Fail', namespace: NS });
  assert.ok(p.some((x) => x.includes('timeoutSeconds 30')));
  assert.ok(p.some((x) => x.includes('CREATE apps/daemonsets is not covered')));
  assert.ok(p.some((x) => x.includes(`namespace ${NS} is not excluded`)));
});

test('securityProblems notices a root, writable, escalating container', () => {
  const objs = structuredClone(render('base'));
  const w = workloads(objs).find((x) => x.object.metadata.name === 'scanner')!;
  w.pod.securityContext = {};
  w.pod.containers[0]!.securityContext = { readOnlyRootFilesystem: false };
  const p = securityProblems(objs);
  for (const what of ['runAsNonRoot', 'seccompProfile', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem', 'drop ALL']) {
    assert.ok(p.some((x) => x.includes('scanner') && x.includes(what)), what);
  }
});

test('production: admission runs 3+ replicas, never two per node, spread over zones, with a PDB', () => {
  const objs = render('production');
  const d = find(objs, 'Deployment', 'admission') as K8sObject & { spec: { replicas: number } };
  assert.ok(d.spec.replicas >= 3, `replicas ${d.spec.replicas}`);
  const pod = workloads([d])[0]!.pod;
  assert.ok(pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.some((t) => t.topologyKey === 'kubernetes.io/hostname'));
  assert.ok(pod.topologySpreadConstraints?.some((t) => t.topologyKey === 'topology.kubernetes.io/zone' && t.whenUnsatisfiable === 'DoNotSchedule'));
  const pdb = find(objs, 'PodDisruptionBudget', 'admission') as K8sObject & { spec: { maxUnavailable?: number; minAvailable?: number; selector: { matchLabels: Record<string, string> } } };
  assert.equal(pdb.spec.selector.matchLabels['app.kubernetes.io/name'], 'admission');
  const allowedDown = pdb.spec.maxUnavailable ?? d.spec.replicas - (pdb.spec.minAvailable ?? d.spec.replicas);
  assert.ok(allowedDown >= 1 && allowedDown < d.spec.replicas - 1, 'drains proceed, two replicas stay');
  for (const w of workloads(objs)) {
    for (const c of w.pod.containers) assert.match(c.image, /:[\w.-]+$|@sha256:/, `${c.image} is pinned`);
  }
  for (const s of SERVICES) {
    const img = workloads(objs).find((w) => w.object.metadata.name === s)!.pod.containers[0]!.image;
    assert.match(img, new RegExp(`/assay-${s}:`), `${s} comes from the release registry`);
  }
});

test('production: webhook TLS from cert-manager, its CA injected into both webhook configurations', () => {
  const objs = render('production');
  const cert = find(objs, 'Certificate', 'assay-admission') as K8sObject & { spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string } } };
  assert.ok(cert, 'a Certificate');
  assert.equal(cert.spec.secretName, 'assay-admission-tls');
  assert.ok(cert.spec.dnsNames.includes(`admission.${NS}.svc`), 'the name the API server dials');
  assert.ok(find(objs, 'Issuer', cert.spec.issuerRef.name), 'its Issuer');
  for (const c of webhookConfigs(objs)) {
    assert.equal(c.metadata.annotations?.['cert-manager.io/inject-ca-from'], `${NS}/${cert.metadata.name}`, c.kind);
  }
  assert.equal(objs.filter((o) => o.kind === 'Job').length, 0, 'no bootstrap Jobs');
});

test('kind: the bootstrap Jobs create the TLS Secret and patch both webhook configurations', () => {
  const objs = render('kind');
  const jobs = workloads(objs).filter((w) => w.object.kind === 'Job');
  const args = jobs.flatMap((j) => j.pod.containers.flatMap((c) => (c as { args?: string[] }).args ?? []));
  assert.ok(args.includes('create') && args.includes('patch'));
  assert.ok(args.includes('--secret-name=assay-admission-tls'));
  assert.ok(args.includes('--webhook-name=assay'));
  assert.ok(args.some((a) => a.startsWith('--host=') && a.includes(`admission.${NS}.svc`)));
  for (const c of webhookConfigs(objs)) assert.equal(c.metadata.name, 'assay');
  assert.equal(objs.filter((o) => o.apiVersion.startsWith('cert-manager.io/')).length, 0, 'no cert-manager needed');
});

test('kustomize-render.ts refuses features it does not implement, and applies the ones it does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'assay-kustomize-'));
  try {
    writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: v}\n');
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [cm.yaml]\nnamePrefix: p-\n');
    assert.throws(() => renderKustomization(dir), KustomizeError);
    writeFileSync(join(dir, 'patch.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: null, j: w}\n');
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [cm.yaml]\npatches: [{path: patch.yaml}]\n');
    assert.deepEqual(renderKustomization(dir)[0]!['data'], { j: 'w' });
    writeFileSync(join(dir, 'json.yaml'), '- {op: replace, path: /data/k, value: z}\n');
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [cm.yaml]\npatches: [{path: json.yaml, target: {kind: ConfigMap, name: a}}]\n');
    assert.deepEqual(renderKustomization(dir)[0]!['data'], { k: 'z' });
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [cm.yaml]\npatches: [{path: json.yaml, target: {kind: ConfigMap, name: b}}]\n');
    assert.throws(() => renderKustomization(dir), /matches nothing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
