// docker-compose.yml and deploy/compose/registry.yml: the whole stack starts in dependency
// order on health checks, Assay's containers are non-root and read-only, the registry's
// notifications reach the registry-watcher with its token, and every variable handed to a
// service (compose, kustomize, Helm) is one that service actually reads.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { spawnSync } from 'node:child_process';
import { commonSettings } from '@assay/config';
import { natsPermissionsConfig, type ServiceName } from '@assay/proto';
import { parseRegistries } from '@assay/registry-client';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { type K8sObject, renderKustomization } from './kustomize-render.ts';
import { workloads } from './k8s-checks.ts';

const SERVICES = ['admission', 'audit', 'policy', 'registry-watcher', 'scanner'];
const CONFIG_EXPORTS: Record<string, string> = {
  admission: 'admissionConfig',
  audit: 'auditConfig',
  policy: 'policyConfig',
  'registry-watcher': 'registryWatcherConfig',
  scanner: 'scannerConfig',
};
/**
 * Variables the deployment sets ahead of the code that reads them, each with its reason.
 * Remove an entry when its service reads the variable (this test then passes without it).
 */
const PLANNED: Record<string, Record<string, string>> = {};

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  restart?: string;
  healthcheck?: { test: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  volumes?: string[];
  entrypoint?: string[];
}
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** `${NAME:-default}` → default. */
function composeDefault(v: string | undefined): string | undefined {
  const m = /^\$\{[A-Z_]+:-(.*)\}$/.exec(v ?? '');
  return m ? m[1] : v;
}

async function knownVariables(service: string): Promise<Set<string>> {
  const mod = (await import(join(repoRoot, 'services', service, 'src', 'config.ts'))) as Record<string, Record<string, unknown>>;
  const own = mod[CONFIG_EXPORTS[service]!];
  assert.ok(own, `services/${service}/src/config.ts exports ${CONFIG_EXPORTS[service]}`);
  return new Set([
    ...Object.keys(commonSettings({ httpPort: 0 })),
    ...Object.keys(own),
    ...Object.keys(PLANNED[service] ?? {}),
    'NODE_ENV',
    // Read by the Node runtime itself (the admission container bounds its heap with it).
    'NODE_OPTIONS',
  ]);
}

test('compose: the infrastructure and the five services are all there', () => {
  for (const s of ['nats', 'mongo', 'elasticsearch', 'kibana', 'kibana-dashboards', 'registry', 'clamav', ...SERVICES]) {
    assert.ok(compose.services[s], `compose runs ${s}`);
  }
  assert.ok(compose.services['nats']!.entrypoint === undefined);
  const natsCmd = (compose.services['nats'] as { command?: string[] }).command ?? [];
  assert.deepEqual(natsCmd, ['-c', '/etc/nats/nats.conf']);
  assert.ok(compose.services['nats']!.volumes?.includes('./deploy/compose/nats.conf:/etc/nats/nats.conf:ro'));
  assert.match(
    readFileSync(join(repoRoot, 'deploy', 'compose', 'nats.conf'), 'utf8'),
    /^jetstream \{\n  store_dir: \/data\n\}$/m,
    'NATS with JetStream on the volume',
  );
});

test('compose: every service signs in to NATS as itself, with its own permissions and the password NATS expects', () => {
  const conf = readFileSync(join(repoRoot, 'deploy', 'compose', 'nats.conf'), 'utf8');
  const natsEnv = compose.services['nats']!.environment ?? {};
  for (const name of SERVICES) {
    const variable = `NATS_PASSWORD_${name.toUpperCase().replace('-', '_')}`;
    const env = compose.services[name]!.environment ?? {};
    assert.equal(env['NATS_USER'], name);
    assert.equal(env['NATS_PASSWORD'], natsEnv[variable], `${name}: the same variable and default as the NATS container`);
    assert.ok(composeDefault(env['NATS_PASSWORD']), `${name} has a development default`);
    assert.ok(
      conf.includes(`{ user: ${name}, password: $${variable}, permissions: ${natsPermissionsConfig(name as ServiceName)} }`),
      `${name}: the generated permissions`,
    );
  }
});

test('compose: every long-running container has a health check; every dependency waits on health or completion', () => {
  for (const [name, s] of Object.entries(compose.services)) {
    const oneShot = s.restart === 'no';
    if (!oneShot) assert.ok(s.healthcheck && !s.healthcheck.disable && s.healthcheck.test.length > 0, `${name} has a health check`);
    for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
      const target = compose.services[dep];
      assert.ok(target, `${name} depends on ${dep}, which exists`);
      if (target.restart === 'no')
        assert.equal(cond.condition, 'service_completed_successfully', `${name} waits for one-shot ${dep} to finish`);
      else {
        assert.equal(cond.condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
        assert.ok(target.healthcheck, `${dep} has the health check ${name} waits for`);
      }
    }
  }
  for (const s of SERVICES) assert.equal(compose.services[s]!.depends_on?.['nats']?.condition, 'service_healthy', `${s} waits for NATS`);
  assert.equal(compose.services['audit']!.depends_on?.['elasticsearch']?.condition, 'service_healthy');
  assert.equal(compose.services['kibana-dashboards']!.depends_on?.['kibana']?.condition, 'service_healthy');
});

test('compose: Assay containers are non-root, read-only, capability-free, built from the one Dockerfile', () => {
  for (const name of SERVICES) {
    const s = compose.services[name]!;
    const [uid, gid] = (s.user ?? '0').split(':');
    assert.ok(Number(uid) > 0 && Number(gid ?? 1) > 0, `${name} runs as ${s.user}`);
    assert.equal(s.read_only, true, `${name} read_only`);
    assert.deepEqual(s.cap_drop, ['ALL'], `${name} drops all capabilities`);
    assert.ok(s.security_opt?.includes('no-new-privileges:true'), `${name} no-new-privileges`);
    assert.ok(
      s.tmpfs?.some((t) => t.startsWith('/tmp')),
      `${name} has a tmpfs /tmp`,
    );
    assert.ok(
      s.volumes?.some((v) => v.endsWith(':/data')),
      `${name} writes its data to a volume`,
    );
    assert.equal(s.build?.dockerfile, 'deploy/docker/Dockerfile');
    assert.equal(s.build?.args?.['SERVICE'], name);
    const hc = Array.isArray(s.healthcheck?.test) ? s.healthcheck.test.join(' ') : '';
    assert.match(hc, /healthcheck\.mjs/, `${name} health check uses the image's node fetch`);
  }
});

test('compose: the registry notifies the registry-watcher at a registry it knows, with its token', () => {
  const watcher = compose.services['registry-watcher']!;
  const reg = compose.services['registry']!;
  assert.ok(
    reg.volumes?.includes('./deploy/compose/registry.yml:/etc/docker/registry/config.yml:ro'),
    'the config is mounted where registry:2 reads it',
  );
  const conf = parse(readFileSync(join(repoRoot, 'deploy', 'compose', 'registry.yml'), 'utf8')) as {
    notifications: { endpoints: { url: string; headers: Record<string, string[]> }[] };
  };
  const ep = conf.notifications.endpoints[0]!;
  const url = new URL(ep.url);
  assert.equal(url.hostname, 'registry-watcher');
  assert.equal(url.port, watcher.environment?.['HTTP_PORT']);
  const m = /^\/registry\/events\/([^/]+)$/.exec(url.pathname);
  assert.ok(m, `${url.pathname} is the Distribution endpoint with a registry name`);
  const registries = parseRegistries(parse(watcher.environment?.['WATCHER_REGISTRIES'] ?? '[]'));
  const named = registries.find((r) => r.name === m[1]);
  assert.ok(named, `WATCHER_REGISTRIES names ${m[1]}`);
  assert.equal(named.host, 'registry:5000');
  assert.deepEqual(ep.headers['Authorization'], [`Bearer ${composeDefault(watcher.environment?.['NOTIFICATION_TOKEN'])}`]);
});

test('compose: the Kibana dashboards one-shot runs deploy/kibana/import.sh against Kibana', () => {
  const k = compose.services['kibana-dashboards']!;
  assert.ok(k.volumes?.some((v) => v.startsWith('./deploy/kibana:')));
  const script = k.entrypoint?.at(-1) ?? '';
  assert.ok(script.endsWith('/import.sh'));
  assert.ok(existsSync(join(repoRoot, 'deploy', 'kibana', 'import.sh')), 'the import script exists');
  assert.equal(k.environment?.['KIBANA_URL'], 'http://kibana:5601');
});

test('every variable compose, kustomize and Helm give a service is one the service reads', async () => {
  const known = new Map<string, Set<string>>();
  for (const s of SERVICES) known.set(s, await knownVariables(s));
  const problems: string[] = [];
  for (const s of SERVICES) {
    for (const k of Object.keys(compose.services[s]!.environment ?? {})) if (!known.get(s)!.has(k)) problems.push(`compose ${s}: ${k}`);
  }
  const helm = spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'helm'),
    [
      'template',
      'assay',
      join(repoRoot, 'deploy', 'helm', 'assay'),
      '--namespace',
      'assay-system',
      '--set',
      'mongo.url=mongodb://m:27017,elasticsearch.url=http://es:9200',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(helm.status, 0, helm.stderr);
  const helmObjs = parseAllDocuments(helm.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  for (const [overlay, objs] of [
    ['kind', renderKustomization(join(repoRoot, 'deploy', 'k8s', 'overlays', 'kind'))],
    ['production', renderKustomization(join(repoRoot, 'deploy', 'k8s', 'overlays', 'production'))],
    ['helm', helmObjs],
  ] as const) {
    const data = (kind: string, name: string) => {
      const o = objs.find((x) => x.kind === kind && x.metadata.name === name) as
        { data?: Record<string, string>; stringData?: Record<string, string> } | undefined;
      return Object.keys(o?.data ?? o?.stringData ?? {});
    };
    for (const w of workloads(objs)) {
      const s = w.object.metadata.name.replace(/^assay-/, '');
      if (!SERVICES.includes(s)) continue;
      for (const c of w.pod.containers) {
        const names = [...(c.env ?? []).map((e) => e.name)];
        for (const e of c.envFrom ?? []) {
          if (e.configMapRef) names.push(...data('ConfigMap', e.configMapRef.name));
          if (e.secretRef) names.push(...data('Secret', e.secretRef.name));
        }
        for (const n of names) if (!known.get(s)!.has(n)) problems.push(`${overlay} ${s}: ${n}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
