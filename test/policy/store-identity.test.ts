// One store per deployment, on a real nats-server with real SQLite files: reconciliation of the
// runtime-policy and exception buckets never deletes because a store looks empty (another store
// wrote the bucket, or no writer is recorded and the store holds nothing), and a service whose
// store is not the deployment's never becomes ready and says why.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bucketWriter, claimDeploymentStore, connectBus, deploymentBucket, provisionTopology, type BusConnection } from '@assay/bus';
import { Buckets, DeploymentKeys, FullTopology, encodeBucketKey } from '@assay/proto';
import { policyService } from '@assay/policy';
import { scannerService } from '@assay/scanner';
import { createService, STORE_IDENTITY_CHECK, type ServiceHandle } from '@assay/service-kit';
import { openSqliteStore, type Store } from '@assay/store';
import { DocumentBuckets } from '../../services/policy/src/document-buckets.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { exception, runtimePolicy } from '../store/fixtures.ts';

type TempDir = Awaited<ReturnType<typeof makeTempDir>>;

const NOW = new Date('2026-01-10T00:00:00Z');
const clock = () => NOW;

async function keys(bus: BusConnection, bucket: string): Promise<string[]> {
  const kv = await bus.js.views.kv(bucket, { bindOnly: true });
  const out: string[] = [];
  for await (const k of await kv.keys()) out.push(k);
  return out.sort();
}

describe('policy document buckets: reconciliation keeps what another store wrote', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  let dir: TempDir;
  const stores: Store[] = [];

  before(async () => {
    nats = await startNatsServer();
    dir = await makeTempDir('policy-store-identity');
  });
  after(async () => {
    for (const s of stores) await s.close();
    await bus?.close();
    await nats?.close();
    await dir?.remove();
  });

  /** A fresh bus topology (buckets purged by deleting and re-provisioning) for each case. */
  async function freshBus(): Promise<void> {
    if (bus) {
      const jsm = await bus.jetstreamManager();
      for (const b of [Buckets.runtimePolicies, Buckets.exceptions, Buckets.deployment]) await jsm.streams.delete(`KV_${b.name}`);
      await bus.close();
    }
    bus = await connectBus({ servers: nats.url, name: 'store-identity-test' });
    await provisionTopology(await bus.jetstreamManager(), FullTopology);
  }

  async function store(name: string): Promise<Store> {
    const s = await openSqliteStore({ path: join(dir.path, `${name}.db`), clock });
    stores.push(s);
    return s;
  }

  async function documents(s: Store, adopt = false): Promise<DocumentBuckets> {
    return new DocumentBuckets(
      s,
      await bus.js.views.kv(Buckets.runtimePolicies.name, { bindOnly: true }),
      await bus.js.views.kv(Buckets.exceptions.name, { bindOnly: true }),
      { kv: await deploymentBucket(bus.js), store: await s.identity(), by: 'policy@test', adopt },
      clock,
    );
  }

  /** A store holding runtime policy `rt-a` and exception `ex-a`, reconciled into the buckets. */
  async function writtenBy(name: string): Promise<Store> {
    const s = await store(name);
    await s.runtimePolicies.put('rt-a', runtimePolicy(), { expectedVersion: 0, by: 'alice' });
    await s.exceptions.create(exception('ex-a', NOW, new Date('2026-02-01T00:00:00Z')));
    const r = await (await documents(s)).reconcile();
    assert.deepEqual(
      r.map((x) => x.mode),
      ['full', 'full'],
    );
    assert.deepEqual(await keys(bus, Buckets.runtimePolicies.name), [encodeBucketKey('rt-a')]);
    assert.deepEqual(await keys(bus, Buckets.exceptions.name), [encodeBucketKey('ex-a')]);
    return s;
  }

  it("racing services with different stores: exactly one records its store, every other one is told it is not the deployment's", async () => {
    await freshBus();
    const kv = await deploymentBucket(bus.js);
    const candidates = await Promise.all(['race-1', 'race-2', 'race-3', 'race-4'].map(async (n) => (await store(n)).identity()));
    const claims = await Promise.all(candidates.map((c, i) => claimDeploymentStore(kv, c, { by: `svc@${i}` })));
    const winners = claims.filter((c) => c.outcome === 'recorded');
    assert.equal(winners.length, 1, JSON.stringify(claims));
    const winner = winners[0]!.recorded;
    for (const c of claims) assert.equal(c.recorded.id, winner.id, 'everyone sees the one recorded store');
    assert.equal(claims.filter((c) => c.outcome === 'mismatch').length, 3);
    // The winner asking again matches; a loser with STORE_ADOPT replaces it and keeps the one it replaced.
    const again = await claimDeploymentStore(
      kv,
      candidates.find((c) => c.id === winner.id)!,
      { by: 'svc@again' },
    );
    assert.equal(again.outcome, 'matches');
    const loser = candidates.find((c) => c.id !== winner.id)!;
    const adopted = await claimDeploymentStore(kv, loser, { by: 'svc@adopt', adopt: true });
    assert.equal(adopted.outcome, 'adopted');
    assert.equal(adopted.outcome === 'adopted' ? adopted.previous.id : '', winner.id);
    assert.equal((await claimDeploymentStore(kv, loser, { by: 'svc@after' })).outcome, 'matches');
  });

  it('same store: reconciles in full (deletes what the store no longer holds) and records itself as the writer', async () => {
    await freshBus();
    const a = await writtenBy('same');
    const writer = await bucketWriter(await deploymentBucket(bus.js), Buckets.runtimePolicies.name);
    assert.equal(writer?.id, (await a.identity()).id);
    assert.equal(writer?.recordedBy, 'policy@test');
    await a.runtimePolicies.delete('rt-a', { expectedVersion: 1, by: 'alice' });
    const r = await (await documents(a)).reconcile();
    assert.deepEqual(
      r.map((x) => x.mode),
      ['full', 'full'],
    );
    assert.deepEqual(await keys(bus, Buckets.runtimePolicies.name), [], 'the removed policy is gone from the bucket');
    assert.deepEqual(await keys(bus, Buckets.exceptions.name), [encodeBucketKey('ex-a')]);
  });

  it('a change handled after the store lost the document (wiped, replaced) leaves the key; a deleted document (tombstone) removes it', async () => {
    await freshBus();
    await writtenBy('late-event');
    // Another store that never held rt-a / ex-a (the volume wiped under a running service).
    const empty = await store('late-event-empty');
    const docs = await documents(empty);
    await docs.syncRuntimePolicy('rt-a');
    await docs.syncException('ex-a');
    assert.deepEqual(await keys(bus, Buckets.runtimePolicies.name), [encodeBucketKey('rt-a')], 'enforcement kept');
    assert.deepEqual(await keys(bus, Buckets.exceptions.name), [encodeBucketKey('ex-a')]);
    // The store that deleted it (a tombstone version) removes the key.
    await empty.runtimePolicies.put('rt-a', runtimePolicy(), { expectedVersion: 0, by: 'alice' });
    await empty.runtimePolicies.delete('rt-a', { expectedVersion: 1, by: 'alice' });
    await docs.syncRuntimePolicy('rt-a');
    assert.deepEqual(await keys(bus, Buckets.runtimePolicies.name), []);
  });

  it('another store wrote the buckets: nothing is deleted or overwritten, only missing keys are added, and the reason names both stores', async () => {
    await freshBus();
    const a = await writtenBy('writer');
    const b = await store('empty-other');
    await b.runtimePolicies.put('rt-b', runtimePolicy({ name: 'only in b' }), { expectedVersion: 0, by: 'bob' });
    const r = await (await documents(b)).reconcile();
    assert.deepEqual(
      r.map((x) => x.mode),
      ['additive', 'additive'],
    );
    const [rt, ex] = r;
    assert.deepEqual(rt!.kept, [encodeBucketKey('rt-a')]);
    assert.deepEqual(ex!.kept, [encodeBucketKey('ex-a')]);
    assert.ok(rt!.reason?.includes((await a.identity()).id), rt!.reason);
    assert.ok(rt!.reason?.includes((await b.identity()).id), rt!.reason);
    assert.match(rt!.reason!, /last reconciled from store sqlite:.*writer\.db/);
    assert.deepEqual(await keys(bus, Buckets.runtimePolicies.name), [encodeBucketKey('rt-a'), encodeBucketKey('rt-b')].sort());
    assert.deepEqual(await keys(bus, Buckets.exceptions.name), [encodeBucketKey('ex-a')], 'the exception in force stays');
    const writer = await bucketWriter(await deploymentBucket(bus.js), Buckets.runtimePolicies.name);
    assert.equal(writer?.id, (await a.identity()).id, 'the writer record still names the store that wrote the bucket');
  });

  it('no writer recorded (written before stores had identities) and an empty store: nothing is deleted', async () => {
    await freshBus();
    await writtenBy('legacy');
    await (await deploymentBucket(bus.js)).delete(DeploymentKeys.writtenBy(Buckets.runtimePolicies.name));
    await (await deploymentBucket(bus.js)).delete(DeploymentKeys.writtenBy(Buckets.exceptions.name));
    const empty = await store('empty-upgrade');
    const r = await (await documents(empty)).reconcile();
    assert.deepEqual(
      r.map((x) => x.mode),
      ['additive', 'additive'],
    );
    assert.match(r[0]!.reason!, /holds 1 keys but this service's store .* holds none, and no store is recorded/);
    assert.deepEqual(await keys(bus, Buckets.runtimePolicies.name), [encodeBucketKey('rt-a')]);
    assert.deepEqual(await keys(bus, Buckets.exceptions.name), [encodeBucketKey('ex-a')]);
  });

  it('STORE_ADOPT: the new store is the source of truth, deletions included, and is recorded as the writer', async () => {
    await freshBus();
    await writtenBy('replaced');
    const fresh = await store('adopted');
    const r = await (await documents(fresh, true)).reconcile();
    assert.deepEqual(
      r.map((x) => x.mode),
      ['full', 'full'],
    );
    assert.deepEqual(await keys(bus, Buckets.runtimePolicies.name), []);
    assert.deepEqual(await keys(bus, Buckets.exceptions.name), []);
    const writer = await bucketWriter(await deploymentBucket(bus.js), Buckets.exceptions.name);
    assert.equal(writer?.id, (await fresh.identity()).id);
  });
});

describe('services on one bus with different stores', () => {
  let nats: NatsServer;
  let dir: TempDir;
  const handles: ServiceHandle<any, any>[] = [];

  before(async () => {
    nats = await startNatsServer();
    dir = await makeTempDir('store-identity-services');
  });
  after(async () => {
    for (const h of handles.reverse()) await h.stop();
    await nats?.close();
    await dir?.remove();
  });

  function service(def: any, file: string, env: Record<string, string> = {}): ServiceHandle<any, any> {
    const h = createService(def, {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        METRICS_DEFAULT: 'false',
        SQLITE_PATH: join(dir.path, file),
        POLICY_API_TOKEN: 'store-identity-token-0123456789',
        ...env,
      },
    }) as ServiceHandle<any, any>;
    handles.push(h);
    return h;
  }

  async function readyz(h: ServiceHandle<any, any>): Promise<{ status: number; body: any }> {
    const res = await fetch(`${h.address}/readyz`);
    return { status: res.status, body: await res.json() };
  }

  async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('the second service, on a SQLite file of its own, never becomes ready and /readyz and the metric say why', async () => {
    const policy = service(policyService, 'policy.db');
    await policy.start();
    await policy.ready({ timeoutMs: 20_000 });
    assert.match(await policy.metrics.text(), /^assay_store_identity_mismatch\{[^}]*\} 0$/m);

    // As in Kubernetes without MONGO_URL: the scanner opened SQLite on its own emptyDir.
    const scanner = service(scannerService, 'scanner.db');
    const starting = scanner.start().catch((err: Error) => err);
    const report = await waitFor('the store-identity check to fail', async () => {
      if (!scanner.address) return undefined;
      const r = await readyz(scanner);
      const check = r.body.checks.find((c: { name: string }) => c.name === STORE_IDENTITY_CHECK);
      return check && !check.ok && /is not the deployment's store/.test(check.detail) ? { ...r, check } : undefined;
    });
    assert.equal(report.status, 503);
    assert.ok(report.body.failing.includes(STORE_IDENTITY_CHECK));
    const detail: string = report.check.detail;
    assert.match(
      detail,
      /this service's store sqlite:.*scanner\.db \(id [0-9a-f-]{36}\) is not the deployment's store sqlite:.*policy\.db/,
    );
    assert.match(detail, /recorded by policy@/);
    assert.match(detail, /set MONGO_URL/);
    assert.match(detail, /STORE_ADOPT=true/);
    assert.match(await scanner.metrics.text(), /^assay_store_identity_mismatch\{[^}]*\} 1$/m);
    // It stays that way: still not ready a while later (it consumes nothing meanwhile).
    await assert.rejects(scanner.ready({ timeoutMs: 1500 }));
    assert.equal(scanner.api, undefined, 'the scanner never started its work');

    await scanner.stop();
    assert.ok((await starting) instanceof Error, 'start gave up when the service stopped');

    // The same file as policy: ready.
    const shared = service(scannerService, 'policy.db');
    await shared.start();
    await shared.ready({ timeoutMs: 20_000 });
    assert.match(await shared.metrics.text(), /^assay_store_identity_mismatch\{[^}]*\} 0$/m);
    await shared.stop();
  });

  it('a policy pod back on an empty store (a fresh volume) refuses to become ready and leaves the buckets alone', async () => {
    // The first policy of this bus wrote the buckets from policy.db; put a runtime policy there.
    const first = handles.find((h) => h.name === 'policy')!;
    const put = await fetch(`${first.address}/api/v1/runtime-policies/prod`, {
      method: 'PUT',
      headers: { authorization: 'Bearer store-identity-token-0123456789', 'content-type': 'application/json', 'if-match': '"0"' },
      body: JSON.stringify({ document: runtimePolicy({ imagePolicies: [] }) }),
    });
    assert.ok(put.status < 300, `runtime policy stored: ${put.status} ${await put.text()}`);
    const admin = await connectBus({ servers: nats.url, name: 'store-identity-admin' });
    try {
      await waitFor('the runtime policy in its bucket', async () =>
        (await keys(admin, Buckets.runtimePolicies.name)).includes(encodeBucketKey('prod')) ? true : undefined,
      );
      await first.stop();
      const restarted = service(policyService, 'fresh-volume.db');
      const starting = restarted.start().catch((err: Error) => err);
      const detail = await waitFor('the store-identity check to fail', async () => {
        if (!restarted.address) return undefined;
        const c = (await readyz(restarted)).body.checks.find((x: { name: string }) => x.name === STORE_IDENTITY_CHECK);
        return c && !c.ok && /is not the deployment's store/.test(c.detail) ? (c.detail as string) : undefined;
      });
      assert.match(detail, /fresh-volume\.db.*is not the deployment's store sqlite:.*policy\.db/);
      assert.deepEqual(await keys(admin, Buckets.runtimePolicies.name), [encodeBucketKey('prod')], 'enforcement stays on');
      await restarted.stop();
      await starting;
    } finally {
      await admin.close();
    }
  });

  it('a running service follows the record: another store recorded makes it unready at once; a deleted record is written again', async () => {
    const admin = await connectBus({ servers: nats.url, name: 'store-identity-admin' });
    try {
      const kv = await deploymentBucket(admin.js);
      const scanner = service(scannerService, 'policy.db');
      await scanner.start();
      await scanner.ready({ timeoutMs: 20_000 });
      const mine = (await scanner.api!.store.identity()) as { id: string };
      const elsewhere = {
        id: '00000000-0000-4000-8000-000000000000',
        kind: 'mongodb',
        location: 'mongo-0.mongo:27017/assay',
        createdAt: NOW.toISOString(),
        recordedBy: 'policy@other',
        recordedAt: NOW.toISOString(),
      };
      await kv.put(DeploymentKeys.store, new TextEncoder().encode(JSON.stringify(elsewhere)));
      const detail = await waitFor('the store-identity check to fail', async () => {
        const c = (await scanner.readiness()).checks.find((x) => x.name === STORE_IDENTITY_CHECK);
        return c && !c.ok && /is not the deployment's store/.test(c.detail ?? '') ? c.detail : undefined;
      });
      assert.match(
        detail ?? '',
        /is not the deployment's store mongodb:mongo-0\.mongo:27017\/assay \(id 00000000-.*recorded by policy@other/,
      );
      assert.match(await scanner.metrics.text(), /^assay_store_identity_mismatch\{[^}]*\} 1$/m);
      await kv.delete(DeploymentKeys.store);
      await scanner.ready({ timeoutMs: 10_000 });
      const e = await kv.get(DeploymentKeys.store);
      assert.equal(
        e && e.operation === 'PUT' ? (JSON.parse(new TextDecoder().decode(e.value)) as { id: string }).id : undefined,
        mine.id,
        'recorded again',
      );
      assert.match(await scanner.metrics.text(), /^assay_store_identity_mismatch\{[^}]*\} 0$/m);
      await scanner.stop();
    } finally {
      await admin.close();
    }
  });

  it('a malformed store record keeps the service unready, saying what to delete', async () => {
    const admin = await connectBus({ servers: nats.url, name: 'store-identity-admin' });
    try {
      await (await deploymentBucket(admin.js)).put(DeploymentKeys.store, new TextEncoder().encode('not json'));
      const scanner = service(scannerService, 'policy.db');
      const starting = scanner.start().catch((err: Error) => err);
      const detail = await waitFor('the store-identity check to fail', async () => {
        if (!scanner.address) return undefined;
        const c = (await readyz(scanner)).body.checks.find((x: { name: string }) => x.name === STORE_IDENTITY_CHECK);
        return c && !c.ok && /does not hold/.test(c.detail) ? (c.detail as string) : undefined;
      });
      assert.match(detail, /deployment bucket key store does not hold a store record .* delete it to record again/);
      assert.match(await scanner.metrics.text(), /^assay_store_identity_mismatch\{[^}]*\} 0$/m, 'unknown is not a mismatch');
      // Deleted: the next check records this store and the scanner becomes ready.
      await (await deploymentBucket(admin.js)).delete(DeploymentKeys.store);
      await scanner.ready({ timeoutMs: 10_000 });
      await scanner.stop();
      await starting;
    } finally {
      await admin.close();
    }
  });
});
