// A store replaced under a running service (a wiped MongoDB volume and a re-initiated replica
// set; a SQLite database recreated): the running pod re-reads its store's identity at every
// recheck and stops being ready, with the reason, the alert metric and an error log, instead of
// serving from an empty store. An unreachable store is the `store` check's business, not this one's.
// Real nats-server, the MongoDB wire stand-in and real SQLite files.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { connectBus } from '@assay/bus';
import { Buckets, encodeBucketKey } from '@assay/proto';
import { policyService } from '@assay/policy';
import {
  createService,
  requireDeploymentStore,
  STORE_IDENTITY_CHECK,
  type ServiceDefinition,
  type ServiceHandle,
} from '@assay/service-kit';
import { openMongoStore, openSqliteStore, type Store } from '@assay/store';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { runtimePolicy } from '../store/fixtures.ts';
import { logSink } from '../support/log-sink.ts';

const TOKEN = 'store-replaced-token-0123456789';

const mismatchMetric = async (h: ServiceHandle<any, any>) =>
  /^assay_store_identity_mismatch\{[^}]*\} (\d)$/m.exec(await h.metrics.text())?.[1];

async function identityCheck(h: ServiceHandle<any, any>) {
  return (await h.readiness()).checks.find((c) => c.name === STORE_IDENTITY_CHECK);
}

/** Waits for the store-identity check to fail with a detail matching `re`; returns the detail. */
async function failedWith(h: ServiceHandle<any, any>, re: RegExp, timeoutMs: number): Promise<string> {
  return waitFor(
    `the store-identity check to fail with ${re}`,
    async () => {
      const c = await identityCheck(h);
      return c && !c.ok && re.test(c.detail ?? '') ? c.detail : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

describe('a store replaced under a running service', () => {
  let nats: NatsServer;
  let mongo: MongoStandin;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  const handles: ServiceHandle<any, any>[] = [];
  const stores: Store[] = [];

  before(async () => {
    nats = await startNatsServer();
    mongo = await startMongoStandin();
    dir = await makeTempDir('store-replaced');
  });
  after(async () => {
    for (const h of handles.reverse()) await h.stop();
    for (const s of stores) await s.close();
    await mongo?.close();
    await nats?.close();
    await dir?.remove();
  });

  it('policy on a MongoDB that is wiped and re-initiated: unready within one recheck (10 s), metric 1, an error log, the buckets kept', async () => {
    const logs = logSink();
    const policy = createService(policyService, {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        METRICS_DEFAULT: 'false',
        MONGO_URL: mongo.url,
        MONGO_DB: 'assay',
        POLICY_API_TOKEN: TOKEN,
      },
      logDestination: logs.destination,
    }) as ServiceHandle<any, any>;
    handles.push(policy);
    await policy.start();
    await policy.ready({ timeoutMs: 20_000 });
    const put = await fetch(`${policy.address}/api/v1/runtime-policies/default`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'if-match': '"0"' },
      body: JSON.stringify({ document: runtimePolicy({ imagePolicies: [] }) }),
    });
    assert.ok(put.status < 300, `runtime policy stored: ${put.status} ${await put.text()}`);
    assert.equal(await mismatchMetric(policy), '0');

    // The volume is wiped and the replica set re-initiated: the client reconnects to an empty database.
    mongo.dropAll();
    const started = Date.now();
    const detail = await failedWith(policy, /was replaced while it ran/, 20_000);
    assert.ok(Date.now() - started < 15_000, 'noticed within one recheck');
    assert.match(
      detail,
      /mongodb:127\.0\.0\.1:\d+\/assay \(id [0-9a-f-]{36}\) \(the deployment's store\) now answers as mongodb:.* \(id [0-9a-f-]{36}\)/,
    );
    assert.match(detail, /STORE_ADOPT=true/);
    const readyz = await fetch(`${policy.address}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(await mismatchMetric(policy), '1');
    assert.ok(
      logs.lines.some((l) => l['level'] === 'error' && /was replaced while it ran/.test(String(l['msg']))),
      'an error is logged',
    );
    // Enforcement stays on: the bucket copy admission decides from is left alone.
    const admin = await connectBus({ servers: nats.url, name: 'store-replaced-admin' });
    try {
      const kv = await admin.js.views.kv(Buckets.runtimePolicies.name, { bindOnly: true });
      assert.equal((await kv.get(encodeBucketKey('default')))?.operation, 'PUT');
    } finally {
      await admin.close();
    }
    await policy.stop();
  });

  /** A service that gates on its store the way policy and scanner do, rechecking every 150 ms. */
  function gated(store: Store, name: string, adopt = true): ServiceHandle<any, any> {
    const def: ServiceDefinition<{}, void> = {
      name,
      httpPort: 0,
      topology: { streams: [], consumers: [], buckets: [Buckets.deployment] },
      async start(ctx) {
        await requireDeploymentStore(ctx, store, { adopt, recheckMs: 150 });
      },
    };
    const h = createService(def, {
      env: { NATS_URL: nats.url, HTTP_PORT: '0', LOG_LEVEL: 'silent', METRICS_DEFAULT: 'false' },
    }) as ServiceHandle<any, any>;
    handles.push(h);
    return h;
  }

  it('follows the deployment to the replacing store once it is adopted on purpose, without a restart', async () => {
    mongo.dropAll();
    const store = await openMongoStore({ url: mongo.url, dbName: 'follow' });
    stores.push(store);
    // Adopting at start only makes this database the deployment's whatever earlier tests recorded.
    const follower = gated(store, 'follower', true);
    await follower.start();
    await follower.ready({ timeoutMs: 10_000 });
    mongo.dropAll();
    const detail = await failedWith(follower, /was replaced while it ran/, 10_000);
    assert.match(detail, /restart policy once with STORE_ADOPT=true: follower then follows by itself/);
    // The deployment moves to the new database on purpose (policy started once with STORE_ADOPT).
    const adopting = await openMongoStore({ url: mongo.url, dbName: 'follow' });
    stores.push(adopting);
    const adopter = gated(adopting, 'adopter', true);
    await adopter.start();
    await adopter.ready({ timeoutMs: 10_000 });
    await follower.ready({ timeoutMs: 10_000 });
    assert.equal(await mismatchMetric(follower), '0');
    // And it keeps following the record from then on: another replacement is noticed again.
    mongo.dropAll();
    await failedWith(follower, /was replaced while it ran/, 10_000);
  });

  it('an identity that cannot be read fails the check until it can; an unreachable store does not', async () => {
    mongo.dropAll();
    const store = await openMongoStore({ url: mongo.url, dbName: 'gate', serverSelectionTimeoutMS: 300 });
    stores.push(store);
    const h = gated(store, 'gate-mongo');
    await h.start();
    await h.ready({ timeoutMs: 10_000 });
    const { id } = await store.identity();

    const client = new MongoClient(mongo.url);
    try {
      const identities = client.db('gate').collection<{ _id: string; id: unknown }>('store_identity');
      await identities.updateOne({ _id: 'store' }, { $set: { id: 42 } });
      assert.match(await failedWith(h, /cannot read the identity of this service's store/, 5000), /unreadable store identity/);
      assert.equal(await mismatchMetric(h), '1');
      await identities.updateOne({ _id: 'store' }, { $set: { id } });
      await h.ready({ timeoutMs: 5000 });
      assert.equal(await mismatchMetric(h), '0');
    } finally {
      await client.close();
    }

    // Unreachable: several rechecks fail to reach it, and the check stays as it was.
    await mongo.close();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await identityCheck(h))?.ok, true, 'an unreachable store is not a replaced one');
    assert.equal(await mismatchMetric(h), '0');
    await mongo.restart();
    await h.ready({ timeoutMs: 5000 });
    await h.stop();
  });

  it('a SQLite database recreated under a running service (its identity gone) fails the check', async () => {
    const path = join(dir.path, 'gate.db');
    const store = await openSqliteStore({ path });
    stores.push(store);
    const h = gated(store, 'gate-sqlite');
    await h.start();
    await h.ready({ timeoutMs: 10_000 });
    const before = await store.identity();
    // Another process empties the database (as a restore of an empty backup would).
    const other = new DatabaseSync(path);
    try {
      other.exec('DELETE FROM store_identity');
    } finally {
      other.close();
    }
    const detail = await failedWith(h, /was replaced while it ran/, 5000);
    assert.ok(detail.includes(before.id), detail);
    assert.notEqual((await store.identity()).id, before.id);
    assert.equal(await mismatchMetric(h), '1');
    await h.stop();
  });
});
