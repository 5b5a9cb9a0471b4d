// What `helm install` with the chart's defaults meets on a real cluster: the TLS source follows
// what the cluster serves (cert-manager.io/v1 or the certgen hook Jobs), the generated NATS
// passwords are ones nats-server can read (a real nats-server starts on them and every service
// signs in), the policy API gets a token the NOTES say how to read, and the certgen RBAC is
// deleted with its Jobs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'nats';
import { findObject, helmNotes, helmTemplate, NS } from './helm-render.ts';
import { webhookConfigs, workloads } from './k8s-checks.ts';
import type { K8sObject } from './kustomize-render.ts';
import { freePort } from '../support/ports.ts';
import { startProcess, waitFor } from '../support/processes.ts';

const SERVICES = ['registry-watcher', 'scanner', 'policy', 'admission', 'audit'];
const CERT_MANAGER = { apiVersions: ['cert-manager.io/v1'] };
type Secret = K8sObject & { data?: Record<string, string>; stringData?: Record<string, string> };
type EnvFrom = { secretRef?: { name: string; optional?: boolean } };

const annotations = (o: K8sObject) => o.metadata.annotations ?? {};
const certgenJobs = (objs: K8sObject[]) => objs.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith('assay-certgen-'));
const certManagerObjects = (objs: K8sObject[]) => objs.filter((o) => o.apiVersion.startsWith('cert-manager.io/'));

test('tls.certManager.enabled auto (default): cert-manager when the cluster serves cert-manager.io/v1, else the certgen hook Jobs; true and false force', () => {
  // No cert-manager: nothing of kind Certificate (the install would fail on it), the certgen Jobs instead.
  const bare = helmTemplate();
  assert.deepEqual(certManagerObjects(bare), []);
  assert.deepEqual(
    certgenJobs(bare)
      .map((j) => j.metadata.name)
      .sort(),
    ['assay-certgen-create', 'assay-certgen-patch'],
  );
  for (const c of webhookConfigs(bare)) assert.equal(annotations(c)['cert-manager.io/inject-ca-from'], undefined);
  assert.match(helmNotes(), /TLS from the certgen hook Jobs \(cert-manager\.io\/v1 is not served here/);

  // cert-manager installed: its Issuer and Certificate, CA injection, no certgen.
  const managed = helmTemplate([], CERT_MANAGER);
  assert.deepEqual(
    certManagerObjects(managed)
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort(),
    ['Certificate/assay-admission', 'Issuer/assay-selfsigned'],
  );
  assert.deepEqual(certgenJobs(managed), []);
  assert.equal(managed.filter((o) => o.metadata.name === 'assay-certgen').length, 0, 'no certgen RBAC');
  for (const c of webhookConfigs(managed)) assert.equal(annotations(c)['cert-manager.io/inject-ca-from'], `${NS}/assay-admission`);
  assert.match(helmNotes([], CERT_MANAGER), /TLS from cert-manager\./);

  // Forced either way, whatever the cluster serves.
  assert.equal(certManagerObjects(helmTemplate(['tls.certManager.enabled=true'])).length, 2);
  const off = helmTemplate(['tls.certManager.enabled=false'], CERT_MANAGER);
  assert.deepEqual(certManagerObjects(off), []);
  assert.equal(certgenJobs(off).length, 2);
  assert.match(helmNotes(['tls.certManager.enabled=false'], CERT_MANAGER), /TLS from the certgen hook Jobs\./);
});

/** The chart-generated NATS passwords of one render, decoded. */
function natsPasswords(objs: K8sObject[]): Record<string, string> {
  const s = findObject(objs, 'Secret', 'assay-nats-users') as Secret | undefined;
  assert.ok(s?.data, 'the chart creates assay-nats-users');
  assert.deepEqual(Object.keys(s.data).sort(), [...SERVICES].sort());
  return Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

test('generated NATS passwords start with a letter and hold only letters and digits, in every render', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    for (const [svc, pw] of Object.entries(natsPasswords(helmTemplate(['nats.replicas=1'])))) {
      assert.match(pw, /^[A-Za-z][A-Za-z0-9]{31}$/, `${svc}: ${pw}`);
      seen.add(pw);
    }
  }
  assert.equal(seen.size, 40, 'random in every render');
});

test('a real nats-server starts on the rendered configuration with generated passwords, and each service signs in; a digit-leading one is what broke it', async () => {
  const objs = helmTemplate(['nats.replicas=1']);
  const passwords = natsPasswords(objs);
  const conf = (findObject(objs, 'ConfigMap', 'assay-nats-config') as K8sObject & { data: Record<string, string> }).data['nats.conf']!;
  const dir = await mkdtemp(join(tmpdir(), 'assay-helm-nats-'));
  const [port, http] = [await freePort(), await freePort()];
  // The pod's addresses and paths, moved to this machine's loopback and a temporary directory.
  const local = conf
    .replace(/^listen: .*$/m, `listen: 127.0.0.1:${port}`)
    .replace(/^http: .*$/m, `http: 127.0.0.1:${http}`)
    .replace(/^pid_file: .*$/m, `pid_file: ${JSON.stringify(join(dir, 'nats.pid'))}`)
    .replace(/store_dir: \/data/, `store_dir: ${JSON.stringify(join(dir, 'data'))}`);
  const file = join(dir, 'nats.conf');
  await writeFile(file, local);
  const env = {
    PATH: process.env['PATH'] ?? '',
    POD_NAME: 'assay-nats-0',
    ...Object.fromEntries(SERVICES.map((s) => [`NATS_PASSWORD_${s.toUpperCase().replace('-', '_')}`, passwords[s]!])),
  };
  const server = startProcess('nats-server', ['-c', file], { env });
  try {
    await waitFor('nats-server ready', () => (server.output().includes('Server is ready') ? true : undefined), {
      process: server,
      timeoutMs: 20_000,
    });
    for (const svc of SERVICES) {
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, user: svc, pass: passwords[svc]!, reconnect: false });
      await nc.flush();
      await nc.close();
    }
    await assert.rejects(
      connect({ servers: `nats://127.0.0.1:${port}`, user: 'scanner', pass: passwords['policy']!, reconnect: false }),
      /Authorization/i,
    );
    // Why the first letter matters: the value is read as a configuration value, and `1e5…` is a number.
    const broken = spawnSync('nats-server', ['-t', '-c', file], {
      encoding: 'utf8',
      env: { ...env, NATS_PASSWORD_SCANNER: `1e5${passwords['scanner']!.slice(3)}` },
    });
    assert.notEqual(broken.status, 0);
    assert.match(broken.stderr + broken.stdout, /NATS_PASSWORD_SCANNER.*could not be parsed/);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

const policyEnvFrom = (objs: K8sObject[]): EnvFrom[] =>
  (workloads(objs).find((w) => w.object.metadata.name === 'assay-policy')!.pod.containers[0] as { envFrom?: EnvFrom[] }).envFrom ?? [];

test('the policy API gets a token: generated into Secret assay-policy unless one is given, and the NOTES say how to read it', () => {
  const readCommand = (secret: string) => `kubectl -n ${NS} get secret ${secret} -o jsonpath='{.data.POLICY_API_TOKEN}' | base64 -d`;
  const tokens = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const objs = helmTemplate();
    const token = (findObject(objs, 'Secret', 'assay-policy') as Secret | undefined)?.stringData?.['POLICY_API_TOKEN'];
    assert.match(token ?? '', /^[A-Za-z0-9]{40}$/, 'a generated token');
    tokens.add(token!);
    assert.ok(
      policyEnvFrom(objs).some((e) => e.secretRef?.name === 'assay-policy'),
      'policy reads it',
    );
  }
  assert.equal(tokens.size, 3, 'random per install (an upgrade keeps the installed one: lookup)');
  const notes = helmNotes();
  assert.ok(notes.includes(readCommand('assay-policy')), notes);
  assert.match(notes, /curl -H "Authorization: Bearer \$POLICY_API_TOKEN"/);

  // Given in values: used as it is.
  const given = helmTemplate(['services.policy.secretEnv.POLICY_API_TOKEN=token-from-values-0123456789']);
  assert.equal((findObject(given, 'Secret', 'assay-policy') as Secret).stringData?.['POLICY_API_TOKEN'], 'token-from-values-0123456789');

  // An existing Secret: read (required), nothing generated.
  const own = helmTemplate(['services.policy.existingSecret=my-policy-token']);
  assert.equal(findObject(own, 'Secret', 'assay-policy'), undefined);
  assert.ok(policyEnvFrom(own).some((e) => e.secretRef?.name === 'my-policy-token' && e.secretRef.optional !== true));
  assert.ok(helmNotes(['services.policy.existingSecret=my-policy-token']).includes(readCommand('my-policy-token')));
});

test("certgen hooks: the ServiceAccount, Roles and bindings exist for each Job's phase and are deleted once it succeeded", () => {
  const objs = helmTemplate(['tls.certManager.enabled=false']);
  const certgen = objs.filter((o) => o.metadata.name.startsWith('assay-certgen'));
  assert.deepEqual(certgen.map((o) => o.kind).sort(), [
    'ClusterRole',
    'ClusterRoleBinding',
    'Job',
    'Job',
    'Role',
    'RoleBinding',
    'ServiceAccount',
  ]);
  const events = (o: K8sObject) => (annotations(o)['helm.sh/hook'] ?? '').split(',');
  const weight = (o: K8sObject) => Number(annotations(o)['helm.sh/hook-weight'] ?? '0');
  for (const o of certgen) {
    assert.deepEqual(
      (annotations(o)['helm.sh/hook-delete-policy'] ?? '').split(',').sort(),
      ['before-hook-creation', 'hook-succeeded'],
      `${o.kind}/${o.metadata.name}`,
    );
  }
  // Helm deletes hook-succeeded resources when their phase ends: each phase with a Job must create its RBAC again, first.
  for (const job of certgenJobs(objs)) {
    for (const event of events(job)) {
      for (const o of certgen.filter((x) => x.kind !== 'Job')) {
        assert.ok(events(o).includes(event), `${o.kind}/${o.metadata.name} is there for ${job.metadata.name} (${event})`);
        assert.ok(weight(o) < weight(job), `${o.kind}/${o.metadata.name} before ${job.metadata.name}`);
      }
    }
  }
  // The only cluster-scoped grant besides admission's own namespace reader is the certgen hook's.
  for (const o of objs.filter((x) => x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding')) {
    if (o.metadata.name === 'assay-certgen') assert.ok(events(o).length > 0);
    else assert.doesNotMatch(JSON.stringify(o), /admissionregistration/, `${o.kind}/${o.metadata.name}`);
  }
});
