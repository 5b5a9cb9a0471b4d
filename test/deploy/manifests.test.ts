// Deployment files agree with the services that exist and keep the security defaults.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../../scripts/proto-generate.ts';

const services = (await readdir(join(repoRoot, 'services'), { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Container {
  name: string;
  image: string;
  readinessProbe?: { httpGet?: { path?: string } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec?: { securityContext?: { runAsNonRoot?: boolean }; containers?: Container[] } } };
}

async function kustomizeObjects(dir: string): Promise<K8sObject[]> {
  const k = parse(await readFile(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const out: K8sObject[] = [];
  for (const r of k.resources) {
    const docs = parseAllDocuments(await readFile(join(dir, r), 'utf8'));
    for (const d of docs) {
      assert.deepEqual(d.errors, [], `${r} parses`);
      out.push(d.toJS() as K8sObject);
    }
  }
  return out;
}

test('the five services of the design card exist', () => {
  assert.deepEqual(services, ['admission', 'audit', 'policy', 'registry-watcher', 'scanner']);
});

test('kustomize base: one non-root, read-only Deployment per service with /readyz probes', async () => {
  const objs = await kustomizeObjects(join(repoRoot, 'deploy', 'k8s', 'base'));
  const deployments = objs.filter((o) => o.kind === 'Deployment');
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), services);
  for (const d of deployments) {
    const pod = d.spec?.template?.spec;
    assert.equal(pod?.securityContext?.runAsNonRoot, true, `${d.metadata.name} runAsNonRoot`);
    for (const c of pod?.containers ?? []) {
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${c.name} read-only root`);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name} no privilege escalation`);
      assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    }
  }
});

test('skaffold builds an image for every service, and compose runs every service', async () => {
  const skaffold = parse(await readFile(join(repoRoot, 'skaffold.yaml'), 'utf8')) as {
    build: { artifacts: { image: string; docker: { buildArgs: { SERVICE: string } } }[] };
  };
  assert.deepEqual(skaffold.build.artifacts.map((a) => a.docker.buildArgs.SERVICE).sort(), services);
  const compose = parse(await readFile(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { user?: string; read_only?: boolean }>;
  };
  for (const s of services) {
    assert.ok(compose.services[s], `compose has ${s}`);
    assert.equal(compose.services[s]?.read_only, true);
    assert.notEqual(compose.services[s]?.user?.split(':')[0], '0');
  }
});
