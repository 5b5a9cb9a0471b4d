// The cluster as a discovery source: registry-watcher's read-only Pod informer against the
// Kubernetes API server stand-in, and a real nats-server. What runs is read from pod status
// (imageID in its three forms), aggregated per digest and workload (Deployment through its
// ReplicaSet, CronJob through its Job, StatefulSet, a bare Pod), written to the running bucket
// only when an entry changes, deleted when nothing runs the digest; a 410 re-list drops pods
// deleted during the gap; unknown digests are announced once (DISCOVERY_SOURCE_CLUSTER).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import type { KV } from 'nats';
import type { BusConnection } from '@assay/bus';
import { Buckets, digestBucketKey, DiscoverySource, RunningImageSchema, type RunningImage } from '@assay/proto';
import { seenKey, tagKey } from '@assay/registry-watcher';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { connectAdmin, DiscoveredEvents, metricValue, startWatcher, type Watcher } from './helpers.ts';

const dg = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;
const enc = new TextEncoder();

interface C {
  name: string;
  image: string;
  imageID: string;
}

describe('registry-watcher: running workloads from the Pod informer', () => {
  let nats: NatsServer;
  let standin: KubeApiStandin;
  let watcher: Watcher;
  let bus: BusConnection;
  let running: KV;
  let events: DiscoveredEvents;

  const pod = (
    ns: string,
    name: string,
    containers: C[],
    opts: { owner?: [string, string, string]; labels?: Record<string, string>; phase?: string; pullSecrets?: string[] } = {},
  ) =>
    standin.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        labels: opts.labels ?? {},
        ...(opts.owner
          ? {
              ownerReferences: [
                { apiVersion: opts.owner[0], kind: opts.owner[1], name: opts.owner[2], uid: `uid-${opts.owner[2]}`, controller: true },
              ],
            }
          : {}),
      },
      spec: {
        containers: containers.map((c) => ({ name: c.name, image: c.image })),
        ...(opts.pullSecrets ? { imagePullSecrets: opts.pullSecrets.map((name) => ({ name })) } : {}),
      },
      status: {
        phase: opts.phase ?? 'Running',
        containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: c.imageID, ready: true })),
      },
    });
  const owned = (apiVersion: string, kind: string, ns: string, name: string, owner: [string, string, string]) =>
    standin.apply({
      apiVersion,
      kind,
      metadata: {
        name,
        namespace: ns,
        ownerReferences: [{ apiVersion: owner[0], kind: owner[1], name: owner[2], uid: `uid-${owner[2]}`, controller: true }],
      },
      spec: {},
    });

  async function entry(digest: string): Promise<{ value: RunningImage; revision: number } | undefined> {
    const e = await running.get(digestBucketKey(digest));
    return e && e.operation === 'PUT' ? { value: fromBinary(RunningImageSchema, e.value), revision: e.revision } : undefined;
  }
  const until = (what: string, digest: string, ok: (r: RunningImage | undefined) => boolean) =>
    waitFor(what, async () => {
      const e = await entry(digest);
      return ok(e?.value) ? (e ?? null) : undefined;
    });
  const settle = () => new Promise((r) => setTimeout(r, 400));

  before(async () => {
    nats = await startNatsServer();
    const token = randomBytes(16).toString('hex');
    standin = await KubeApiStandin.start({ token });
    for (const ns of ['shop', 'data', 'ops', 'pin', 'known', 'priv']) standin.createNamespace(ns);
    const dir = await makeTempDir('watcher-cluster');
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    ({ bus } = await connectAdmin(nats.url));
    watcher = await startWatcher(nats.url, [], {
      WATCHER_KUBERNETES: 'true',
      WATCHER_KUBE_API_URL: standin.url,
      WATCHER_KUBE_TOKEN_FILE: tokenFile,
      WATCHER_RUNNING_DEBOUNCE: '50ms',
    });
    running = await bus.js.views.kv(Buckets.running.name, { bindOnly: true });
    events = await DiscoveredEvents.start(bus);
    await waitFor('pods listed', () => (watcher.api!.cluster?.informer.isSynced ? true : undefined));
  });

  after(async () => {
    events?.stop();
    await watcher?.stop();
    await bus?.close();
    await standin?.close();
    await nats?.stop();
  });

  it('a Deployment (through its ReplicaSet) with two pods counts 2; docker-pullable imageID', async () => {
    owned('apps/v1', 'ReplicaSet', 'shop', 'web-7d9f8b', ['apps/v1', 'Deployment', 'web']);
    const c = [{ name: 'app', image: 'registry.example/shop/web:1.0', imageID: `docker-pullable://registry.example/shop/web@${dg('a')}` }];
    for (const n of ['web-7d9f8b-x1', 'web-7d9f8b-x2'])
      pod('shop', n, c, { owner: ['apps/v1', 'ReplicaSet', 'web-7d9f8b'], labels: { 'pod-template-hash': '7d9f8b' } });
    const e = await until('web running on 2 pods', dg('a'), (r) => r?.workloads[0]?.pods === 2);
    const v = e!.value;
    assert.equal(v.digest, dg('a'));
    assert.equal(v.image?.registry, 'registry.example');
    assert.equal(v.image?.repository, 'shop/web');
    assert.equal(v.workloads.length, 1);
    const w = v.workloads[0]!;
    assert.deepEqual([w.namespace, w.kind, w.name, w.pods], ['shop', 'Deployment', 'web', 2]);
    assert.deepEqual(w.containers, ['app']);
    assert.equal(w.specImage, 'registry.example/shop/web:1.0');
    assert.equal(w.specDiffers, false);
    assert.ok(w.firstSeen && Number(w.firstSeen.seconds) > 0);
    assert.ok(v.updatedAt);
    // Two pods, one ReplicaSet: read once (cached).
    assert.equal(watcher.api!.cluster!.owners.gets, 1);
  });

  it('a ReplicaSet that cannot be read is named from the pod (name minus its pod-template-hash)', async () => {
    const c = [{ name: 'api', image: 'registry.example/api:3', imageID: `registry.example/api@${dg('5')}` }];
    pod('shop', 'api-5c6d7f-q1', c, { owner: ['apps/v1', 'ReplicaSet', 'api-5c6d7f'], labels: { 'pod-template-hash': '5c6d7f' } });
    pod('shop', 'odd-q1', c, { owner: ['apps/v1', 'ReplicaSet', 'odd'], labels: { 'pod-template-hash': '5c6d7f' } });
    const v = (await until('api', dg('5'), (r) => r?.workloads.length === 2))!.value;
    assert.deepEqual(
      v.workloads.map((w) => [w.kind, w.name]),
      [
        ['Deployment', 'api'],
        ['ReplicaSet', 'odd'],
      ],
    );
  });

  it('a StatefulSet (containerd imageID), a bare Pod (sha256: alone: the digest its spec pins), a CronJob through its Job', async () => {
    pod('data', 'db-0', [{ name: 'db', image: 'registry.example/db:16', imageID: `registry.example/db@${dg('b')}` }], {
      owner: ['apps/v1', 'StatefulSet', 'db'],
    });
    // A bare id is the image's config digest, not a manifest digest: only a pinned spec says what runs.
    pod('default', 'debug', [{ name: 'sh', image: `busybox@${dg('c')}`, imageID: dg('0') }]);
    pod('default', 'loaded', [{ name: 'sh', image: 'busybox:1.36', imageID: dg('4') }]);
    owned('batch/v1', 'Job', 'ops', 'backup-29000000', ['batch/v1', 'CronJob', 'backup']);
    pod(
      'ops',
      'backup-29000000-abcde',
      [{ name: 'backup', image: 'registry.example/ops/backup:2', imageID: `registry.example/ops/backup@${dg('d')}` }],
      {
        owner: ['batch/v1', 'Job', 'backup-29000000'],
      },
    );
    const db = (await until('db', dg('b'), (r) => r !== undefined))!.value;
    assert.deepEqual([db.workloads[0]!.kind, db.workloads[0]!.name, db.workloads[0]!.namespace], ['StatefulSet', 'db', 'data']);
    const bare = (await until('debug pod', dg('c'), (r) => r !== undefined))!.value;
    assert.deepEqual([bare.workloads[0]!.kind, bare.workloads[0]!.name], ['Pod', 'debug']);
    assert.deepEqual([bare.image?.registry, bare.image?.repository], ['docker.io', 'library/busybox']);
    const cron = (await until('backup', dg('d'), (r) => r !== undefined))!.value;
    assert.deepEqual([cron.workloads[0]!.kind, cron.workloads[0]!.name], ['CronJob', 'backup']);
    assert.equal(await entry(dg('0')), undefined, 'a bare image id is not announced as a digest');
    assert.equal(await entry(dg('4')), undefined, 'a bare image id with a tag-only spec runs nothing known');
  });

  it('pods not running (Succeeded) or without a digest yet run nothing', async () => {
    pod('ops', 'done', [{ name: 'x', image: 'registry.example/done:1', imageID: `registry.example/done@${dg('9')}` }], {
      phase: 'Succeeded',
    });
    pod('ops', 'pulling', [{ name: 'x', image: 'registry.example/pulling:1', imageID: '' }], { phase: 'Pending' });
    await settle();
    assert.equal(await entry(dg('9')), undefined);
  });

  it('spec_differs: the spec pins another digest, or its tag maps in the tags bucket to another digest', async () => {
    pod('pin', 'pinned', [{ name: 'app', image: `registry.example/pin@${dg('e')}`, imageID: `registry.example/pin@${dg('f')}` }]);
    const pinned = (await until('pinned', dg('f'), (r) => r !== undefined))!.value;
    assert.equal(pinned.workloads[0]!.specDiffers, true);

    const tags = await bus.js.views.kv(Buckets.tags.name, { bindOnly: true });
    const key = tagKey({ registry: 'registry.example', repository: 'tagged', tag: '1' });
    await tags.put(key, enc.encode(dg('1')));
    await waitFor('tags mirror', () => (watcher.api!.tags.get(key) === dg('1') ? true : undefined));
    pod('pin', 'tagged', [{ name: 'app', image: 'registry.example/tagged:1', imageID: `registry.example/tagged@${dg('2')}` }]);
    pod('pin', 'current', [{ name: 'app', image: 'registry.example/tagged:1', imageID: `registry.example/tagged@${dg('1')}` }]);
    const moved = (await until('tagged', dg('2'), (r) => r !== undefined))!.value;
    assert.equal(moved.workloads[0]!.specDiffers, true);
    const same = (await until('current', dg('1'), (r) => r !== undefined))!.value;
    assert.equal(same.workloads[0]!.specDiffers, false);
    // The tag moves on (a push): the pod still running the old digest now differs from its spec.
    await tags.put(key, enc.encode(dg('3')));
    await until('current differs once its tag moved', dg('1'), (r) => r?.workloads[0]?.specDiffers === true);
  });

  it('no write when nothing changed: a pod update that changes no entry, a 410 re-list', async () => {
    const before = (await entry(dg('b')))!.revision;
    pod('data', 'db-0', [{ name: 'db', image: 'registry.example/db:16', imageID: `registry.example/db@${dg('b')}` }], {
      owner: ['apps/v1', 'StatefulSet', 'db'],
      labels: { touched: 'yes' },
    });
    await settle();
    assert.equal((await entry(dg('b')))!.revision, before);
    const lists = watcher.api!.cluster!.informer.lists;
    // The version the informer holds becomes too old: 410 Gone, a full re-list of unchanged pods.
    standin.refuseWatches = true;
    standin.dropWatches();
    standin.createNamespace('filler');
    standin.compact();
    standin.refuseWatches = false;
    await waitFor('re-listed', () => (watcher.api!.cluster!.informer.lists > lists ? true : undefined));
    await settle();
    assert.equal((await entry(dg('b')))!.revision, before);
    assert.equal((await entry(dg('a')))!.value.workloads[0]!.pods, 2);
  });

  it('a deleted pod decrements; the last one deletes the key', async () => {
    standin.remove('pods', 'web-7d9f8b-x1', 'shop');
    await until('web on 1 pod', dg('a'), (r) => r?.workloads[0]?.pods === 1);
    standin.remove('pods', 'web-7d9f8b-x2', 'shop');
    await until('web gone', dg('a'), (r) => r === undefined);
    assert.equal(await entry(dg('a')), undefined);
  });

  it('a 410 re-list drops pods deleted while the watch was down', async () => {
    const cluster = watcher.api!.cluster!;
    const lists = cluster.informer.lists;
    standin.refuseWatches = true;
    standin.dropWatches();
    standin.remove('pods', 'debug', 'default');
    standin.compact();
    standin.refuseWatches = false;
    await waitFor('re-listed', () => (cluster.informer.lists > lists ? true : undefined), { timeoutMs: 20_000 });
    await until('debug pod gone', dg('c'), (r) => r === undefined);
  });

  it('an unknown running digest is announced once (DISCOVERY_SOURCE_CLUSTER); a known one is not', async () => {
    await waitFor('db announced', () => (events.for('db').length >= 1 ? true : undefined));
    const db = events.for('db');
    assert.equal(db.length, 1);
    assert.equal(db[0]!.source, DiscoverySource.CLUSTER);
    assert.equal(db[0]!.image?.digest, dg('b'));
    assert.equal(db[0]!.image?.registry, 'registry.example');

    const seen = await bus.js.views.kv(Buckets.watcherSeen.name, { bindOnly: true });
    await seen.put(seenKey(dg('7')), enc.encode(JSON.stringify({ state: 'announced', by: 'elsewhere', at: new Date().toISOString() })));
    pod('known', 'k', [{ name: 'app', image: 'registry.example/known:1', imageID: `registry.example/known@${dg('7')}` }]);
    await until('known', dg('7'), (r) => r !== undefined);
    // the db pod changed entries meanwhile (label) and was re-listed: still announced once
    pod('data', 'db-1', [{ name: 'db', image: 'registry.example/db:16', imageID: `registry.example/db@${dg('b')}` }], {
      owner: ['apps/v1', 'StatefulSet', 'db'],
    });
    await until('db on 2 pods', dg('b'), (r) => r?.workloads[0]?.pods === 2);
    await settle();
    assert.equal(events.for('known').length, 0);
    assert.equal(events.for('db').length, 1);
    assert.ok((await metricValue(watcher, 'assay_watcher_images_discovered_total', { source: 'cluster' })) >= 1);
    assert.ok((await metricValue(watcher, 'assay_watcher_running_digests')) >= 1);
    assert.equal(await metricValue(watcher, 'assay_watcher_pod_informer_synced'), 1);
  });

  it("an announced running digest carries the references of its pod's image pull secrets (never their content)", async () => {
    pod('priv', 'vault-0', [{ name: 'app', image: 'registry.example/priv/vault:1', imageID: `registry.example/priv/vault@${dg('8')}` }], {
      pullSecrets: ['regcred', 'backup-cred'],
    });
    await until('vault running', dg('8'), (r) => r !== undefined);
    await waitFor('vault announced', () => (events.for('priv/vault').length >= 1 ? true : undefined));
    const e = events.for('priv/vault')[0]!;
    assert.equal(e.source, DiscoverySource.CLUSTER);
    assert.deepEqual(
      e.pullSecrets.map((r) => ({ namespace: r.namespace, name: r.name })),
      [
        { namespace: 'priv', name: 'regcred' },
        { namespace: 'priv', name: 'backup-cred' },
      ],
    );
    // a pod naming none: an empty list
    assert.deepEqual(events.for('db')[0]!.pullSecrets, []);
  });
});
