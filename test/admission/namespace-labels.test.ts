// Namespace labels from the Kubernetes API (list + watch) and runtime policies scoped on them:
// the first list loads, a label change seen by the watch flips which policy the webhook applies,
// a deleted namespace is forgotten, a dropped watch and 410 Gone recover, a wrong token is a
// clear error and keeps the service not ready; a watch that breaks after loading is reported
// stale without making admission unready, and a namespace it has not delivered is looked up
// directly before deciding (bounded in time and concurrency). Always against the API server stand-in; also
// against a real API server when KUBE_API_URL and KUBE_TOKEN are set (KUBE_CA: its CA file).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { createService } from '@assay/service-kit';
import { admissionService, NamespaceLabels, type KubeConnection } from '@assay/admission';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { digestFor, podReview, post, runtimePolicy } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';
import { makeTlsFixtures, type TlsFixtures } from './tls-fixtures.ts';

/** A cluster the test changes namespaces in: the stand-in, or a real API server. */
interface Cluster {
  kind: string;
  url: string;
  tokenFile: string;
  caFile: string | undefined;
  create(name: string, labels: Record<string, string>): Promise<void>;
  label(name: string, labels: Record<string, string | null>): Promise<void>;
  remove(name: string): Promise<void>;
  /** Only the stand-in can drop watches and expire versions. */
  standin?: KubeApiStandin;
  close(): Promise<void>;
}

async function standinCluster(tls: TlsFixtures, dir: string): Promise<Cluster> {
  const token = randomBytes(16).toString('hex');
  const standin = await KubeApiStandin.start({ token, tls: { key: readFileSync(tls.serverKey), cert: readFileSync(tls.serverCert) } });
  const tokenFile = join(dir, 'standin-token');
  writeFileSync(tokenFile, `${token}\n`);
  return {
    kind: 'stand-in',
    url: standin.url,
    tokenFile,
    caFile: tls.caCert,
    create: async (name, labels) => standin.createNamespace(name, labels),
    label: async (name, labels) => standin.labelNamespace(name, labels),
    remove: async (name) => standin.deleteNamespace(name),
    standin,
    close: () => standin.close(),
  };
}

async function realCluster(dir: string): Promise<Cluster> {
  const url = process.env.KUBE_API_URL!.replace(/\/+$/, '');
  const tokenFile = join(dir, 'real-token');
  writeFileSync(tokenFile, process.env.KUBE_TOKEN!);
  const caFile = process.env.KUBE_CA;
  const agent = new Agent(caFile ? { connect: { ca: readFileSync(caFile, 'utf8') } } : {});
  const created = new Set<string>();
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await request(url + path, {
      method: method as 'GET',
      dispatcher: agent,
      headers: { authorization: `Bearer ${process.env.KUBE_TOKEN}`, 'content-type': contentType },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  };
  return {
    kind: 'real API server',
    url,
    tokenFile,
    caFile,
    async create(name, labels) {
      await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
      created.add(name);
    },
    label: (name, labels) => call('PATCH', `/api/v1/namespaces/${name}`, { metadata: { labels } }, 'application/merge-patch+json'),
    async remove(name) {
      await call('DELETE', `/api/v1/namespaces/${name}`);
      created.delete(name);
    },
    async close() {
      for (const name of created) await call('DELETE', `/api/v1/namespaces/${name}`).catch(() => {});
      await agent.close();
    },
  };
}

const connectionTo = (c: Cluster, tokenFile = c.tokenFile): KubeConnection => ({
  url: c.url,
  tokenFile,
  ca: c.caFile ? readFileSync(c.caFile, 'utf8') : undefined,
});

const targets: Array<{ kind: string; make: (tls: TlsFixtures, dir: string) => Promise<Cluster> }> = [
  { kind: 'stand-in', make: standinCluster },
];
if (process.env.KUBE_API_URL && process.env.KUBE_TOKEN) targets.push({ kind: 'real API server', make: (_tls, dir) => realCluster(dir) });

// Deleting a namespace on a real server waits for its finalizers.
const SLOW = { timeoutMs: 90_000, intervalMs: 100 };

for (const target of targets) {
  describe(`admission: namespace labels (${target.kind})`, () => {
    let tls: TlsFixtures;
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let cluster: Cluster;
    const prefix = `assay-nsl-${randomBytes(3).toString('hex')}`;
    const ns = (n: string) => `${prefix}-${n}`;
    const watches: NamespaceLabels[] = [];
    const watch = (tokenFile?: string) => {
      const w = new NamespaceLabels({ connection: connectionTo(cluster, tokenFile), pageSize: 2, backoff: { min: 50, max: 500 } });
      watches.push(w);
      w.start();
      return w;
    };

    before(async () => {
      tls = await makeTlsFixtures();
      tmp = await makeTempDir('nsl');
      cluster = await target.make(tls, tmp.path);
    });
    after(async () => {
      for (const w of watches) await w.stop();
      await cluster.close();
      await tmp.remove();
      await tls.remove();
    });

    it('the first list loads every namespace, paged, and readiness follows it', async () => {
      await cluster.create(ns('a'), { team: 'payments' });
      await cluster.create(ns('b'), {});
      const w = watch();
      assert.deepEqual(w.readiness().ok, false);
      await w.loaded;
      assert.equal(w.get(ns('a'))?.team, 'payments');
      assert.equal(w.get(ns('b'))?.team, undefined);
      assert.ok(w.get(ns('b')), 'a namespace without our labels is still known');
      assert.equal(w.get(ns('never')), undefined);
      assert.ok(w.size >= 3, 'the cluster namespaces are there too');
      assert.deepEqual(w.readiness(), { ok: true });
    });

    it('a deleted namespace is forgotten; a new one is learnt from the watch', async () => {
      const w = watch();
      await w.loaded;
      await cluster.create(ns('late'), { tier: 'gold' });
      await waitFor('the new namespace', () => w.get(ns('late'))?.tier, SLOW);
      await cluster.remove(ns('late'));
      await waitFor('the namespace forgotten', () => (w.get(ns('late')) === undefined ? true : undefined), SLOW);
    });

    it('a wrong token is a clear error and never ready', async () => {
      const bad = join(tmp.path, 'wrong-token');
      writeFileSync(bad, 'not-the-token');
      const w = watch(bad);
      const error = await waitFor('the refusal', () => w.lastError);
      assert.match(error, /401/);
      assert.match(error, /token was refused/);
      const r = w.readiness();
      assert.equal(r.ok, false);
      assert.match(r.detail ?? '', /401/);
      assert.equal(w.isLoaded(), false);
    });

    it('a dropped watch resumes without losing changes; 410 Gone re-lists', async (t) => {
      const standin = cluster.standin;
      if (!standin) return t.skip('only the stand-in can drop watches and expire versions');
      await cluster.create(ns('drop'), { stage: 'one' });
      const w = watch();
      await w.loaded;
      await waitFor('a watch open', () => (standin.openWatches > 0 ? true : undefined));
      const lists = w.lists;
      standin.dropWatches();
      await cluster.label(ns('drop'), { stage: 'two' });
      await waitFor('the change made while the watch was down', () => (w.get(ns('drop'))?.stage === 'two' ? true : undefined));
      assert.equal(w.lists, lists, 'resumed from its resourceVersion, not re-listed');

      // Changes, then every version expires: the resumed watch gets 410 and the list is redone.
      await waitFor('a watch open again', () => (standin.openWatches > 0 ? true : undefined));
      standin.dropWatches();
      await cluster.label(ns('drop'), { stage: 'three' });
      await cluster.remove(ns('b'));
      standin.compact();
      await waitFor('the re-list', () => (w.get(ns('drop'))?.stage === 'three' ? true : undefined));
      assert.equal(w.lists, lists + 1);
      assert.equal(w.get(ns('b')), undefined, 'the re-list replaced what was held');
      assert.equal(w.readiness().ok, true);
    });

    it('direct lookups: a namespace the watch has not delivered, a missing one, bounded in time and concurrency', async (t) => {
      const standin = cluster.standin;
      if (!standin) return t.skip('only the stand-in can refuse watches and delay answers');
      const results: string[] = [];
      const w = new NamespaceLabels({
        connection: connectionTo(cluster),
        backoff: { min: 50, max: 200 },
        lookup: { timeoutMs: 300, concurrency: 1, cacheSize: 10, ttlMs: 60_000 },
        onLookup: (r) => results.push(r),
      });
      watches.push(w);
      w.start();
      await w.loaded;
      assert.equal(w.staleSeconds(), 0);
      standin.refuseWatches = true;
      standin.dropWatches();
      await waitFor('the broken watch reported stale', () => (w.staleSeconds() > 0 ? true : undefined));
      const r = w.readiness();
      assert.equal(r.ok, true, 'a watch that broke after loading keeps it ready');
      assert.match(r.detail ?? '', /^stale for \d+ s \(watch broken: .*503.*\); unknown namespaces are looked up directly$/);

      await cluster.create(ns('unseen'), { compliance: 'pci' });
      assert.equal(w.get(ns('unseen')), undefined, 'the broken watch did not deliver it');
      const gets = standin.gets;
      await w.lookup(ns('unseen'));
      assert.equal(w.get(ns('unseen'))?.compliance, 'pci');
      await w.lookup(ns('unseen'));
      await w.lookup('default');
      assert.equal(standin.gets, gets + 1, 'remembered, and a namespace the watch knows is not fetched');
      await w.lookup(ns('missing'));
      assert.equal(w.get(ns('missing')), undefined);
      assert.deepEqual(results, ['found', 'not_found']);

      // A slow API server: the lookup gives up at its deadline; one at a time, the rest go without.
      standin.getDelayMs = 2000;
      await cluster.create(ns('slow'), { compliance: 'pci' });
      await cluster.create(ns('slow2'), {});
      const started = Date.now();
      await Promise.all([w.lookup(ns('slow')), w.lookup(ns('slow2'))]);
      const took = Date.now() - started;
      assert.ok(took < 1500, `bounded by the lookup deadline (took ${took} ms)`);
      assert.deepEqual(results.slice(2).sort(), ['busy', 'error']);
      assert.equal(w.get(ns('slow')), undefined);
      standin.getDelayMs = 0;

      standin.refuseWatches = false;
      await waitFor('the watch back, no longer stale', () =>
        w.staleSeconds() === 0 && w.get(ns('slow'))?.compliance === 'pci' ? true : undefined,
      );
      assert.deepEqual(w.readiness(), { ok: true });
    });

    it('a rotated token is read again at the next connection', async (t) => {
      const standin = cluster.standin;
      if (!standin) return t.skip('only the stand-in can rotate its token');
      const w = watch();
      await w.loaded;
      const rotated = randomBytes(16).toString('hex');
      writeFileSync(cluster.tokenFile, rotated);
      standin.token = rotated;
      standin.dropWatches();
      await cluster.create(ns('rotated'), { ok: 'yes' });
      await waitFor('the watch back with the new token', () => w.get(ns('rotated'))?.ok);
    });

    describe('through the webhook', () => {
      let stack: Stack;
      before(async () => {
        stack = await startStack();
        // Unregistered images are let in, except in namespaces labelled compliance: pci.
        await stack.putPolicy(runtimePolicy('baseline', { scope: { namespaces: ['*'] }, blockUnregistered: false }));
        await stack.putPolicy(
          runtimePolicy('pci', { scope: { namespaces: ['*'], namespaceLabels: { compliance: 'pci' } }, blockUnregistered: true }),
        );
      });
      after(async () => {
        await stack.close();
      });
      const env = () => ({
        ADMISSION_NAMESPACE_LABELS: 'true',
        ADMISSION_KUBE_API_URL: cluster.url,
        ADMISSION_KUBE_TOKEN_FILE: cluster.tokenFile,
        ...(cluster.caFile ? { ADMISSION_KUBE_CA: cluster.caFile } : {}),
      });

      it('a label change flips which runtime policy governs the namespace', async () => {
        const svc = await stack.service(env());
        const url = `${svc.api!.webhook!.address}/validate`;
        const name = ns('shop');
        await cluster.create(name, {});
        let n = 0;
        const allowed = async () => {
          const r = await post(stack.agent, url, podReview(`u${n++}`, name, [`registry.example/shop/app@${digestFor('unregistered')}`]));
          assert.equal(r.status, 200);
          return r.json.response.allowed as boolean;
        };
        await waitFor('baseline governs', async () => ((await allowed()) ? true : undefined), SLOW);
        await cluster.label(name, { compliance: 'pci' });
        await waitFor('pci governs', async () => ((await allowed()) ? undefined : true), SLOW);
        await cluster.label(name, { compliance: null });
        await waitFor('baseline governs again', async () => ((await allowed()) ? true : undefined), SLOW);
      });

      it('a broken watch: still ready, reported stale, and a namespace it has not seen is looked up before deciding', async (t) => {
        const standin = cluster.standin;
        if (!standin) return t.skip('only the stand-in can refuse watches');
        const svc = await stack.service(env());
        const url = `${svc.api!.webhook!.address}/validate`;
        standin.refuseWatches = true;
        try {
          standin.dropWatches();
          await waitFor('stale', () => (svc.api!.namespaceLabels!.staleSeconds() > 0 ? true : undefined));
          // Created while the watch is down: only a direct lookup can know it is a pci namespace.
          const name = ns('new-pci');
          await cluster.create(name, { compliance: 'pci' });
          const res = await post(stack.agent, url, podReview('stale-1', name, [`registry.example/shop/app@${digestFor('unregistered')}`]));
          assert.equal(res.status, 200);
          assert.equal(res.json.response.allowed, false, 'the pci policy governs the namespace it looked up');
          const report = await svc.readiness();
          assert.equal(report.ready, true);
          assert.match(report.checks.find((c) => c.name === 'namespace-labels')?.detail ?? '', /^stale for/);
          const metrics = await (await fetch(`${svc.address}/metrics`)).text();
          const stale = /^assay_admission_namespace_labels_stale_seconds\{[^}]*\} (\S+)$/m.exec(metrics);
          assert.ok(stale && Number(stale[1]) > 0, 'the stale gauge counts');
          assert.match(metrics, /^assay_admission_namespace_lookups_total\{result="found",service="admission"\} 1$/m);
        } finally {
          standin.refuseWatches = false;
        }
      });

      it('with a wrong token the service stays not ready and says why', async () => {
        const bad = join(tmp.path, 'svc-wrong-token');
        writeFileSync(bad, 'not-the-token');
        const svc = createService(admissionService, {
          env: {
            NATS_URL: stack.nats.url,
            HTTP_PORT: '0',
            ADMISSION_PORT: '0',
            LOG_LEVEL: 'silent',
            METRICS_DEFAULT: 'false',
            ...env(),
            ADMISSION_KUBE_TOKEN_FILE: bad,
          },
        });
        await svc.start();
        try {
          const check = await waitFor('the namespace-labels check failing with the cause', async () => {
            const report = await svc.readiness();
            const c = report.checks.find((x) => x.name === 'namespace-labels');
            return c && /401/.test(c.detail ?? '') ? { report, c } : undefined;
          });
          assert.equal(check.report.ready, false);
          assert.equal(check.c.ok, false);
        } finally {
          await svc.stop();
        }
      });
    });
  });
}
