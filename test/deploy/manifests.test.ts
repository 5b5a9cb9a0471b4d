// Deployment files agree with the services that exist: the kustomize base runs each one,
// skaffold builds each one (and its kind profile deploys the kind overlay with port-forwards),
// compose runs each one. Details of each are in kustomize/helm/compose/docker.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { renderKustomization } from './kustomize-render.ts';
import { workloads } from './k8s-checks.ts';

const services = readdirSync(join(repoRoot, 'services'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test('the five services of the design card exist', () => {
  assert.deepEqual(services, ['admission', 'audit', 'policy', 'registry-watcher', 'scanner']);
});

test('kustomize base: one Deployment per service, with /readyz readiness and its image', () => {
  const objs = renderKustomization(join(repoRoot, 'deploy', 'k8s', 'base'));
  const deployments = objs.filter((o) => o.kind === 'Deployment');
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), services);
  for (const w of workloads(deployments)) {
    const c = w.pod.containers[0]!;
    assert.equal(c.image, `assay-${w.object.metadata.name}`);
    assert.equal((c.readinessProbe as { httpGet?: { path?: string } }).httpGet?.path, '/readyz');
  }
});

interface Skaffold {
  build: { artifacts: { image: string; docker: { dockerfile: string; buildArgs: { SERVICE: string } } }[] };
  manifests: { kustomize: { paths: string[] } };
  deploy: { kubectl?: object };
  profiles: {
    name: string;
    build?: { local?: { push?: boolean } };
    manifests?: { kustomize?: { paths: string[] } };
    deploy?: { kubectl?: object };
    portForward?: { resourceType: string; resourceName: string; namespace: string; port: number; localPort: number }[];
  }[];
}

test('skaffold: builds an image for every service; the kind profile loads them and deploys overlays/kind', () => {
  const skaffold = parse(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8')) as Skaffold;
  assert.deepEqual(skaffold.build.artifacts.map((a) => a.docker.buildArgs.SERVICE).sort(), services);
  for (const a of skaffold.build.artifacts) {
    assert.equal(a.image, `assay-${a.docker.buildArgs.SERVICE}`, 'the image name the manifests use');
    assert.ok(existsSync(join(repoRoot, a.docker.dockerfile)));
  }
  for (const p of skaffold.manifests.kustomize.paths) assert.ok(existsSync(join(repoRoot, p, 'kustomization.yaml')), p);
  const kind = skaffold.profiles.find((p) => p.name === 'kind');
  assert.ok(kind, 'a kind profile');
  assert.equal(kind.build?.local?.push, false, 'images are loaded into kind, not pushed');
  assert.deepEqual(kind.manifests?.kustomize?.paths, ['deploy/k8s/overlays/kind']);
  assert.ok(kind.deploy?.kubectl, 'deployed with kubectl');
  const objs = renderKustomization(join(repoRoot, 'deploy', 'k8s', 'overlays', 'kind'));
  for (const name of ['admission', 'policy', 'kibana']) {
    const pf = kind.portForward?.find((f) => f.resourceName === name);
    assert.ok(pf, `port-forward to ${name}`);
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === name && o.metadata.namespace === pf.namespace);
    assert.ok(svc, `Service ${pf.namespace}/${name} exists in the kind overlay`);
    assert.ok(
      (svc['spec'] as { ports: { port: number }[] }).ports.some((p) => p.port === pf.port),
      `${name} has port ${pf.port}`,
    );
  }
});

test('compose runs every service', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, unknown>;
  };
  for (const s of services) assert.ok(compose.services[s], `compose has ${s}`);
});
