// The kustomize base and overlays, rendered (test/deploy/kustomize-render.ts, cross-checked with
// `kubectl kustomize` when kubectl is on PATH), validated against the Kubernetes schemas, and
// checked for the security properties, webhook coverage and HA shape the issue asks for.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { parseRegistries } from '@assay/registry-client';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { referenceProblems, securityProblems, validateObjects, webhookConfigs, webhookProblems, workloads } from './k8s-checks.ts';
import { type K8sObject, KustomizeError, kubectlKustomize, objectId, renderKustomization } from './kustomize-render.ts';
import { schedulingProblems } from './scheduling-checks.ts';
import { storeProblems } from './store-checks.ts';

const k8s = join(repoRoot, 'deploy', 'k8s');
const DIRS = { base: join(k8s, 'base'), kind: join(k8s, 'overlays', 'kind'), production: join(k8s, 'overlays', 'production') };
const SERVICES = ['admission', 'audit', 'policy', 'registry-watcher', 'scanner'];
const NS = 'assay-system';
/** Secrets an operator creates (envFrom; assay-mongo is required) or a bootstrap Job writes. */
const EXTERNAL_SECRETS = ['assay-admission-tls', 'assay-mongo', ...SERVICES.map((s) => `assay-${s}`)];
const MONGO_URL = `mongodb://mongo-0.mongo.${NS}.svc.cluster.local:27017/?replicaSet=rs0`;

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
    const clusterScoped = new Set([
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
    ]);
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
        const selects =
          sel.matchLabels?.['app.kubernetes.io/name'] === s ||
          sel.matchExpressions?.some((e) => e.key === 'app.kubernetes.io/component' && e.values.includes(s));
        return (
          selects &&
          spec(p).egress?.some(
            (e) =>
              e.ports?.some((x) => x.port === 4222) && e.to?.some((t) => t.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'nats'),
          )
        );
      });
      assert.ok(out, `${s} may reach NATS`);
    }
  });

  test(`${name}: NATS runs as many servers as streams have replicas (kind: one, no routes; else a 3-node cluster)`, () => {
    const objs = render(name);
    const sts = find(objs, 'StatefulSet', 'nats') as K8sObject & { spec: { replicas: number; serviceName: string } };
    const servers = name === 'kind' ? 1 : 3;
    assert.equal(sts.spec.replicas, servers);
    const headless = find(objs, 'Service', sts.spec.serviceName) as K8sObject & { spec: { clusterIP: string } };
    assert.equal(headless.spec.clusterIP, 'None');
    const data = (find(objs, 'ConfigMap', 'nats-config') as K8sObject & { data: Record<string, string> }).data;
    assert.match(data['nats.conf'] ?? '', /jetstream\s*\{/);
    assert.match(data['nats.conf'] ?? '', /^\s*include \.\/cluster\.conf$/m, 'the cluster block is its own key');
    const cluster = data['cluster.conf'] ?? '';
    if (servers === 1) assert.doesNotMatch(cluster, /cluster\s*\{/, 'one server: no cluster block');
    for (let i = 0; i < 3; i++)
      assert.equal(cluster.includes(`nats-${i}.${sts.spec.serviceName}.${NS}.svc`), i < servers && servers > 1, `route to nats-${i}`);
    const common = (find(objs, 'ConfigMap', 'assay-common') as K8sObject & { data: Record<string, string> }).data;
    assert.equal(common['NATS_REPLICAS'], String(servers), 'streams and buckets have as many replicas as there are servers');
    assert.ok(find(objs, 'PodDisruptionBudget', 'nats'));
  });

  test(`${name}: schedulable (${name === 'production' ? 'rollouts that cannot deadlock' : 'on a single node'}), drains possible`, () => {
    assert.deepEqual(schedulingProblems(render(name), { singleNode: name !== 'production' }), []);
  });

  test(`${name}: policy and scanner share one MongoDB from Secret assay-mongo${name === 'kind' ? ' (a single-member replica set in the overlay)' : ''}`, () => {
    const bundled = name === 'kind' ? { statefulSet: 'mongo', url: MONGO_URL } : undefined;
    assert.deepEqual(storeProblems(render(name), { secret: 'assay-mongo', ...(bundled ? { bundled } : {}) }), []);
  });

  test(`${name}: admission reads Secret assay-admission (ADMISSION_REGISTRIES) and may reach registries`, () => {
    const objs = render(name);
    const admission = workloads(objs).find((x) => x.object.metadata.name === 'admission')!;
    assert.deepEqual(admission.pod.containers[0]!.envFrom?.find((e) => e.secretRef?.name === 'assay-admission')?.secretRef, {
      name: 'assay-admission',
      optional: true,
    });
    const egress = objs.filter(
      (o) => o.kind === 'NetworkPolicy' && JSON.stringify((o['spec'] as { podSelector: unknown }).podSelector).includes('admission'),
    );
    const ports = egress.flatMap((o) =>
      ((o['spec'] as { egress?: { ports?: { port: number }[] }[] }).egress ?? []).flatMap((e) => (e.ports ?? []).map((x) => x.port)),
    );
    for (const port of [443, 5000]) assert.ok(ports.includes(port), `admission egress on ${port}`);
  });

  test(`${name}: only the TLS bootstrap identity, admission, policy and the registry-watcher may call the API server`, () => {
    const objs = render(name);
    // No account mounts a token by default; the certgen Jobs and the admission and policy pods ask
    // for it in their pod specs (securityProblems checks those against TOKEN_ALLOWED). policy joined
    // with issue 19: its controller watches Assay's custom resources and writes their status.
    for (const sa of objs.filter((o) => o.kind === 'ServiceAccount')) {
      if (sa.metadata.name !== 'assay-certgen')
        assert.equal(sa['automountServiceAccountToken'], false, `${sa.metadata.name} has no token by default`);
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
      if (r.metadata.name === 'assay-registry-watcher-pods') {
        // registry-watcher's Pod informer: pods list/watch, get on their owners, no Secrets.
        assert.deepEqual(rules, [
          { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
          { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
          { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
        ]);
        continue;
      }
      if (r.metadata.name === 'assay-policy-resources') {
        // policy's controller: reads the three assay.dev resources, writes only their status.
        assert.deepEqual(rules, [
          {
            apiGroups: ['assay.dev'],
            resources: ['imageassurancepolicies', 'runtimepolicies', 'policyexceptions'],
            verbs: ['get', 'list', 'watch'],
          },
          {
            apiGroups: ['assay.dev'],
            resources: ['imageassurancepolicies/status', 'runtimepolicies/status', 'policyexceptions/status'],
            verbs: ['update', 'patch'],
          },
          // Its running-workload reports (no list/watch: it reads only the ones it names).
          { apiGroups: ['openreports.io'], resources: ['reports', 'clusterreports'], verbs: ['get', 'create', 'update', 'delete'] },
          {
            apiGroups: ['wgpolicyk8s.io'],
            resources: ['policyreports', 'clusterpolicyreports'],
            verbs: ['get', 'create', 'update', 'delete'],
          },
        ]);
        continue;
      }
      for (const rule of rules)
        assert.ok(!rule.verbs.includes('list') && !rule.verbs.includes('watch'), `${r.metadata.name}: no list/watch`);
      if (r.kind === 'ClusterRole')
        for (const rule of rules) assert.deepEqual(rule.resourceNames, ['assay'], 'cluster-wide only on Assay’s own webhooks');
    }
    const binding = objs.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'assay-admission-namespaces') as K8sObject & {
      subjects: { kind: string; name: string; namespace: string }[];
    };
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'assay-admission', namespace: NS }]);
    const admission = workloads(objs).find((x) => x.object.metadata.name === 'admission')!;
    assert.equal(admission.pod.automountServiceAccountToken, true, 'admission mounts its token');
    const policyBinding = find(objs, 'ClusterRoleBinding', 'assay-policy-resources') as K8sObject & { subjects: unknown[] };
    assert.deepEqual(policyBinding.subjects, [{ kind: 'ServiceAccount', name: 'assay-policy', namespace: NS }]);
    const policy = workloads(objs).find((x) => x.object.metadata.name === 'policy')!;
    assert.equal(policy.pod.automountServiceAccountToken, true, 'policy mounts its token');
    const apiserver = find(objs, 'NetworkPolicy', 'policy-apiserver') as K8sObject & { spec: { egress: { ports: { port: number }[] }[] } };
    assert.deepEqual(
      apiserver.spec.egress.flatMap((e) => e.ports.map((x) => x.port)),
      [443, 6443],
      'policy may reach the API server',
    );
    const env = Object.fromEntries((admission.pod.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env['ADMISSION_NAMESPACE_LABELS'], 'true');
    const watcherBinding = find(objs, 'ClusterRoleBinding', 'assay-registry-watcher-pods') as K8sObject & { subjects: unknown[] };
    assert.deepEqual(watcherBinding.subjects, [{ kind: 'ServiceAccount', name: 'assay-registry-watcher', namespace: NS }]);
    const watcher = workloads(objs).find((x) => x.object.metadata.name === 'registry-watcher')!;
    assert.equal(watcher.pod.automountServiceAccountToken, true, 'registry-watcher mounts its token');
    const watcherEnv = Object.fromEntries((watcher.pod.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(watcherEnv['WATCHER_KUBERNETES'], 'true');
    const watcherApi = find(objs, 'NetworkPolicy', 'registry-watcher-apiserver') as K8sObject & {
      spec: { egress: { ports: { port: number }[] }[] };
    };
    assert.deepEqual(
      watcherApi.spec.egress.flatMap((e) => e.ports.map((x) => x.port)),
      [443, 6443],
      'registry-watcher may reach the API server',
    );
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

test('base and overlays: validating covers every workload kind (CREATE, image-changing UPDATE), mutating pod CREATE of labelled pods, v1, short timeout, exclusions', () => {
  assert.deepEqual(webhookProblems(render('base'), { failurePolicy: 'Fail', namespace: NS }), []);
  assert.deepEqual(webhookProblems(render('production'), { failurePolicy: 'Fail', namespace: NS }), []);
  assert.deepEqual(webhookProblems(render('kind'), { failurePolicy: 'Ignore', namespace: NS }), []);
});

test('webhookProblems notices a missing workload kind, a long timeout and a missing exclusion', () => {
  const objs = structuredClone(render('base'));
  const hook = (
    webhookConfigs(objs)[0]!['webhooks'] as {
      timeoutSeconds: number;
      rules: { resources: string[] }[];
      namespaceSelector: { matchExpressions: { values: string[] }[] };
    }[]
  )[0]!;
  hook.timeoutSeconds = 30;
  hook.rules[1]!.resources = hook.rules[1]!.resources.filter((r) => r !== 'daemonsets');
  hook.namespaceSelector.matchExpressions[0]!.values = ['kube-system'];
  delete (hook as { matchConditions?: unknown }).matchConditions;
  const mutating = webhookConfigs(objs).find((c) => c.kind === 'MutatingWebhookConfiguration')!;
  const pin = (mutating['webhooks'] as { failurePolicy: string; objectSelector?: unknown; rules: { operations: string[] }[] }[])[0]!;
  pin.rules[0]!.operations = ['CREATE', 'UPDATE'];
  delete pin.objectSelector;
  pin.failurePolicy = 'Fail';
  const p = webhookProblems(objs, { failurePolicy: 'Fail', namespace: NS });
  assert.ok(p.some((x) => x.includes('timeoutSeconds 30')));
  assert.ok(p.some((x) => x.includes('CREATE apps/daemonsets is not covered')));
  assert.ok(p.some((x) => x.includes(`namespace ${NS} is not excluded`)));
  assert.ok(p.some((x) => x.includes('validate.assay.dev') && x.includes('no matchCondition')));
  assert.ok(p.some((x) => x.includes('mutate.assay.dev') && x.includes('expected pods CREATE only')));
  assert.ok(p.some((x) => x.includes('mutate.assay.dev') && x.includes('assay.dev/pin-digests')));
  assert.ok(p.some((x) => x.includes('mutate.assay.dev') && x.includes('failurePolicy Fail, expected Ignore')));
});

test('securityProblems notices a root, writable, escalating container', () => {
  const objs = structuredClone(render('base'));
  const w = workloads(objs).find((x) => x.object.metadata.name === 'scanner')!;
  w.pod.securityContext = {};
  w.pod.containers[0]!.securityContext = { readOnlyRootFilesystem: false };
  const p = securityProblems(objs);
  for (const what of ['runAsNonRoot', 'seccompProfile', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem', 'drop ALL']) {
    assert.ok(
      p.some((x) => x.includes('scanner') && x.includes(what)),
      what,
    );
  }
});

test('schedulingProblems notices required anti-affinity with a surge, a strict spread on one node, a PDB that blocks drains', () => {
  const objs = structuredClone(render('production'));
  const d = find(objs, 'Deployment', 'admission') as K8sObject & { spec: { strategy: { rollingUpdate: Record<string, number> } } };
  d.spec.strategy.rollingUpdate = { maxSurge: 1, maxUnavailable: 0 };
  const pdb = find(objs, 'PodDisruptionBudget', 'nats') as K8sObject & { spec: Record<string, unknown> };
  pdb.spec = { ...pdb.spec, maxUnavailable: 0 };
  const p = schedulingProblems(objs, { singleNode: true });
  assert.ok(
    p.some((x) => x.includes('Deployment/assay-system/admission') && x.includes('maxSurge 0')),
    p.join('\n'),
  );
  assert.ok(p.some((x) => x.includes('admission') && x.includes('DoNotSchedule')));
  assert.ok(p.some((x) => x.includes('StatefulSet/assay-system/nats') && x.includes('one pod per node')));
  assert.ok(p.some((x) => x.includes('PodDisruptionBudget/assay-system/nats') && x.includes('never evict')));
});

test('storeProblems notices an optional store Secret, a private SQLite file, an open MongoDB, a missing initialisation', () => {
  const objs = structuredClone(render('kind'));
  const policy = workloads(objs).find((x) => x.object.metadata.name === 'policy')!.pod.containers[0]!;
  policy.envFrom = policy.envFrom!.map((e) =>
    e.secretRef?.name === 'assay-mongo' ? { secretRef: { name: 'assay-mongo', optional: true } } : e,
  );
  policy.env = [...(policy.env ?? []), { name: 'SQLITE_PATH', value: '/data/assay.db' }];
  const np = find(objs, 'NetworkPolicy', 'mongo') as K8sObject & { spec: { ingress: { from?: unknown[] }[] } };
  np.spec.ingress[0]!.from = undefined;
  const withoutInit = objs.filter((o) => !(o.kind === 'Job' && o.metadata.name === 'mongo-init'));
  const p = storeProblems(withoutInit, { secret: 'assay-mongo', bundled: { statefulSet: 'mongo', url: MONGO_URL } });
  for (const what of ['is optional', 'SQLITE_PATH', 'accepts any source', 'no Job initiates'])
    assert.ok(
      p.some((x) => x.includes(what)),
      `${what}: ${p.join('\n')}`,
    );
});

test('kind: an in-cluster registry on NodePort 30500 notifies the watcher; every service names it by localhost:30500 and reaches its Service', () => {
  const objs = render('kind');
  const svc = find(objs, 'Service', 'registry') as K8sObject & { spec: { type: string; ports: { port: number; nodePort?: number }[] } };
  assert.equal(svc.spec.type, 'NodePort');
  assert.deepEqual(
    svc.spec.ports.map((x) => [x.port, x.nodePort]),
    [[5000, 30500]],
  );
  const registry = workloads(objs).find((w) => w.object.kind === 'Deployment' && w.object.metadata.name === 'registry')!;
  assert.match(registry.pod.containers[0]!.image, /^registry:2/);
  const secret = (n: string) => (find(objs, 'Secret', n) as K8sObject & { stringData: Record<string, string> }).stringData;
  const watcher = secret('assay-registry-watcher');
  const [kind] = parseRegistries(parse(watcher['WATCHER_REGISTRIES']!));
  assert.equal(kind!.host, 'localhost:30500', 'references name what the node pulls');
  assert.equal(kind!.baseUrl, `http://registry.${NS}.svc.cluster.local:5000`, 'requests go to the Service');
  assert.ok(kind!.trustNotifications);
  for (const [s, v] of [
    ['assay-scanner', 'SCANNER_REGISTRIES'],
    ['assay-admission', 'ADMISSION_REGISTRIES'],
  ] as const) {
    const [r] = parseRegistries(parse(secret(s)[v]!));
    assert.deepEqual([r!.host, r!.baseUrl], [kind!.host, kind!.baseUrl], v);
  }
  // Notifications: to the watcher's Service and port, for the registry's name, with its token.
  const conf = parse((find(objs, 'ConfigMap', 'registry-config') as K8sObject & { data: Record<string, string> }).data['config.yml']!) as {
    notifications: { endpoints: { url: string; headers: { Authorization: string[] } }[] };
  };
  const endpoint = conf.notifications.endpoints[0]!;
  assert.equal(endpoint.url, `http://registry-watcher.${NS}.svc.cluster.local:8081/registry/events/${kind!.name}`);
  assert.ok((find(objs, 'Service', 'registry-watcher')!['spec'] as { ports: { port: number }[] }).ports.some((x) => x.port === 8081));
  assert.deepEqual(endpoint.headers.Authorization, [`Bearer ${watcher['NOTIFICATION_TOKEN']}`]);
});

test('kind: kind-cluster.yaml maps the registry NodePort to the machine and lets containerd pull it over plain HTTP', () => {
  const dir = join(k8s, 'overlays', 'kind');
  const cluster = parse(readFileSync(join(dir, 'kind-cluster.yaml'), 'utf8')) as {
    kind: string;
    apiVersion: string;
    containerdConfigPatches: string[];
    nodes: {
      role: string;
      extraPortMappings: { containerPort: number; hostPort: number }[];
      extraMounts: { hostPath: string; containerPath: string }[];
    }[];
  };
  assert.deepEqual([cluster.kind, cluster.apiVersion], ['Cluster', 'kind.x-k8s.io/v1alpha4']);
  const node = cluster.nodes[0]!;
  assert.ok(node.extraPortMappings.some((m) => m.containerPort === 30500 && m.hostPort === 30500));
  const configPath = /config_path\s*=\s*"([^"]+)"/.exec(cluster.containerdConfigPatches.join('\n'))?.[1];
  const mount = node.extraMounts.find((m) => m.containerPath === `${configPath}/localhost:30500/hosts.toml`);
  assert.ok(mount, `the registry's hosts.toml is mounted under the containerd hosts directory ${configPath}`);
  const hosts = join(repoRoot, mount.hostPath);
  assert.ok(existsSync(hosts), `${mount.hostPath} (relative to the repository root) exists`);
  assert.match(readFileSync(hosts, 'utf8'), /^\[host\."http:\/\/localhost:30500"\]/m);
});

test('production: admission runs 3+ replicas, never two per node, spread over zones, with a PDB', () => {
  const objs = render('production');
  const d = find(objs, 'Deployment', 'admission') as K8sObject & { spec: { replicas: number } };
  assert.ok(d.spec.replicas >= 3, `replicas ${d.spec.replicas}`);
  const pod = workloads([d])[0]!.pod;
  assert.ok(
    pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.some((t) => t.topologyKey === 'kubernetes.io/hostname'),
  );
  assert.ok(
    pod.topologySpreadConstraints?.some((t) => t.topologyKey === 'topology.kubernetes.io/zone' && t.whenUnsatisfiable === 'DoNotSchedule'),
  );
  const pdb = find(objs, 'PodDisruptionBudget', 'admission') as K8sObject & {
    spec: { maxUnavailable?: number; minAvailable?: number; selector: { matchLabels: Record<string, string> } };
  };
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
  const cert = find(objs, 'Certificate', 'assay-admission') as K8sObject & {
    spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string } };
  };
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
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      'resources: [cm.yaml]\npatches: [{path: json.yaml, target: {kind: ConfigMap, name: a}}]\n',
    );
    assert.deepEqual(renderKustomization(dir)[0]!['data'], { k: 'z' });
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      'resources: [cm.yaml]\npatches: [{path: json.yaml, target: {kind: ConfigMap, name: b}}]\n',
    );
    assert.throws(() => renderKustomization(dir), /matches nothing/);
    writeFileSync(
      join(dir, 'two.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {j: w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {i: v}\n',
    );
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [cm.yaml]\npatches: [{path: two.yaml}]\n');
    assert.throws(() => renderKustomization(dir), /one per file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
