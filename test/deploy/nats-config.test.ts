// The NATS server configuration shipped in the ConfigMaps (kustomize and Helm) is one that
// nats-server accepts (`nats-server -t`), with POD_NAME given as the StatefulSet gives it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { natsPermissionsConfig, type ServiceName } from '@assay/proto';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { type K8sObject, renderKustomization } from './kustomize-render.ts';

/** The NATS ConfigMap's files: nats.conf and what it includes (cluster.conf). */
function natsFiles(objs: K8sObject[]): Record<string, string> {
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('nats-config')) as
    (K8sObject & { data: Record<string, string> }) | undefined;
  assert.ok(cm?.data['nats.conf'], 'a nats.conf ConfigMap');
  return cm.data;
}
const natsConf = (objs: K8sObject[]): string => natsFiles(objs)['nats.conf']!;

function helmObjects(set: string[]): K8sObject[] {
  const r = spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'helm'),
    ['template', 'assay', join(repoRoot, 'deploy', 'helm', 'assay'), '-n', 'assay-system', ...set.flatMap((s) => ['--set', s])],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const SERVICES = ['registry-watcher', 'scanner', 'policy', 'admission', 'audit'];

test('kustomize base: every service signs in to NATS as its own user, with a password from assay-nats-users', () => {
  const objs = renderKustomization(join(repoRoot, 'deploy', 'k8s', 'base'));
  const conf = natsConf(objs);
  type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
  type Workload = K8sObject & { spec: { template: { spec: { containers: { name: string; env?: EnvVar[] }[] } } } };
  const nats = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'nats') as Workload | undefined;
  assert.ok(nats);
  const natsEnv = nats.spec.template.spec.containers[0]!.env ?? [];
  for (const svc of SERVICES) {
    const variable = `NATS_PASSWORD_${svc.toUpperCase().replace('-', '_')}`;
    assert.match(conf, new RegExp(`user: ${svc}, password: \\$${variable}\\b`), `${svc} is a NATS user`);
    assert.deepEqual(natsEnv.find((e) => e.name === variable)?.valueFrom?.secretKeyRef, { name: 'assay-nats-users', key: svc });
    const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === svc) as Workload | undefined;
    assert.ok(dep, `${svc} deployment`);
    const env = dep.spec.template.spec.containers.find((c) => c.name === svc)?.env ?? [];
    assert.equal(env.find((e) => e.name === 'NATS_USER')?.value, svc);
    assert.deepEqual(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef, { name: 'assay-nats-users', key: svc });
  }
});

type PodTemplated = K8sObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } };
const natsStatefulSet = (objs: K8sObject[]): PodTemplated => {
  const sts = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name.endsWith('nats')) as PodTemplated | undefined;
  assert.ok(sts, 'the NATS StatefulSet');
  return sts;
};

// nats-server reads its configuration only at start. A running cluster upgraded with new
// permissions (the watcher's trust refreshes) kept refusing them until the servers restarted:
// the pod template must change whenever nats.conf does.
test('kustomize: the NATS pod template carries the hash of nats.conf, so a changed configuration restarts the servers', () => {
  for (const dir of [['base'], ['overlays', 'kind']]) {
    const objs = renderKustomization(join(repoRoot, 'deploy', 'k8s', ...dir));
    const hash = createHash('sha256').update(natsConf(objs)).digest('hex').slice(0, 16);
    assert.equal(
      natsStatefulSet(objs).spec.template.metadata.annotations?.['assay.dev/nats-conf-sha256'],
      hash,
      `${dir.join('/')}: set assay.dev/nats-conf-sha256 in base/nats.yaml to ${hash}`,
    );
  }
});

test('helm: the NATS pod template carries the checksum of its configuration, which changes with it', () => {
  const checksum = (set: string[]) => natsStatefulSet(helmObjects(set)).spec.template.metadata.annotations?.['checksum/config'];
  const three = checksum([]);
  assert.match(three ?? '', /^[0-9a-f]{16}$/);
  assert.equal(checksum([]), three, 'the same configuration, the same checksum');
  assert.notEqual(checksum(['nats.replicas=1']), three, 'another configuration (no cluster block), another checksum');
});

const cases: [string, () => Record<string, string>][] = [
  ['kustomize base', () => natsFiles(renderKustomization(join(repoRoot, 'deploy', 'k8s', 'base')))],
  ['kustomize kind (one server)', () => natsFiles(renderKustomization(join(repoRoot, 'deploy', 'k8s', 'overlays', 'kind')))],
  ['helm, 3 replicas', () => natsFiles(helmObjects([]))],
  ['helm, 1 replica', () => natsFiles(helmObjects(['nats.replicas=1']))],
];

/** nats-server on PATH or in the sbin directories Debian installs it to. */
const natsServer = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  .filter(Boolean)
  .map((d) => join(d, 'nats-server'))
  .find((p) => existsSync(p));

for (const [label, conf] of cases) {
  test(`every service's NATS user has exactly the generated permissions (${label})`, () => {
    const text = conf()['nats.conf']!;
    for (const svc of SERVICES) {
      const variable = `NATS_PASSWORD_${svc.toUpperCase().replace('-', '_')}`;
      const line = `{ user: ${svc}, password: $${variable}, permissions: ${natsPermissionsConfig(svc as ServiceName)} }`;
      assert.ok(text.includes(line), `${svc}: expected\n${line}`);
    }
  });

  test(`nats-server accepts the NATS configuration (${label})`, (t) => {
    if (natsServer === undefined) {
      t.skip('nats-server is not on PATH (npm test installs Debian nats-server)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'assay-nats-conf-'));
    try {
      // Every key of the ConfigMap, as its volume mounts them (nats.conf includes cluster.conf).
      for (const [name, text] of Object.entries(conf())) writeFileSync(join(dir, name), text);
      const file = join(dir, 'nats.conf');
      // The kustomize base signs each service in as its own user; passwords come from the environment.
      const passwords = Object.fromEntries(SERVICES.map((s) => [`NATS_PASSWORD_${s.toUpperCase().replace('-', '_')}`, `pw-${s}`]));
      const ok = spawnSync(natsServer, ['-t', '-c', file], { encoding: 'utf8', env: { ...process.env, POD_NAME: 'nats-0', ...passwords } });
      assert.equal(ok.status, 0, ok.stderr + ok.stdout);
      const noName = spawnSync(natsServer, ['-t', '-c', file], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
      assert.notEqual(noName.status, 0, 'the server name comes from POD_NAME');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('nats-server accepts the docker compose NATS configuration', (t) => {
  if (natsServer === undefined) {
    t.skip('nats-server is not on PATH (npm test installs Debian nats-server)');
    return;
  }
  const passwords = Object.fromEntries(
    [...SERVICES, 'operator'].map((s) => [`NATS_PASSWORD_${s.toUpperCase().replace('-', '_')}`, `pw-${s}`]),
  );
  const r = spawnSync(natsServer, ['-t', '-c', join(repoRoot, 'deploy', 'compose', 'nats.conf')], {
    encoding: 'utf8',
    env: { ...process.env, ...passwords },
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});
