// Per-service NATS permissions on a real nats-server configured as `npm start` configures it:
// each service can provision its slice of the topology and publish its own events and bucket
// writes; it cannot publish another service's events, write another service's bucket, or delete
// or purge a stream. (The demo test runs the whole system under these permissions.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { connectBus, newEventMeta, provisionTopology, publishEvent, type BusConnection } from '@assay/bus';
import {
  AuditBatchSchema,
  Buckets,
  digestBucketKey,
  FullTopology,
  ImageDiscoveredSchema,
  natsPermissions,
  SERVICE_NAMES,
  Streams,
  Topics,
} from '@assay/proto';
import { admissionTopology } from '@assay/admission';
import { auditService, auditTopology } from '@assay/audit';
import { createService } from '@assay/service-kit';
import { policyTopology } from '@assay/policy';
import { registryWatcherTopology } from '@assay/registry-watcher';
import { scannerTopology } from '@assay/scanner';
import { ADMIN_USER, ensureUsers, startNats, type NatsProcess, type NatsUserCredentials } from '../../scripts/local-stack/nats.ts';
import { makeTempDir } from '../support/tempdir.ts';

const topologies = {
  'registry-watcher': { ...registryWatcherTopology, buckets: [...registryWatcherTopology.buckets, Buckets.watcherSeen] },
  scanner: scannerTopology,
  policy: policyTopology,
  admission: admissionTopology,
  audit: auditTopology(createService(auditService, { env: {} }).config),
} as const;

const enc = new TextEncoder();
const isDenied = (err: unknown) => /permissions? violation|permission/i.test(String((err as Error)?.message ?? err));

describe('per-service NATS permissions (the npm start configuration)', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let nats: NatsProcess;
  let users: Map<string, NatsUserCredentials>;
  const buses = new Map<string, BusConnection>();

  before(async () => {
    dir = await makeTempDir('nats-permissions');
    users = await ensureUsers(dir.path, [ADMIN_USER, ...SERVICE_NAMES]);
    nats = await startNats({ dir: dir.path, port: 0, users: [...users.values()], onLine: () => {} });
    const admin = await as(ADMIN_USER);
    await provisionTopology(await admin.jetstreamManager(), FullTopology, { replicas: 1 });
  });
  after(async () => {
    for (const b of buses.values()) await b.close().catch(() => {});
    await nats?.child.stop(5000);
    await dir?.remove();
  });

  async function as(name: string): Promise<BusConnection> {
    let b = buses.get(name);
    if (!b) {
      const u = users.get(name)!;
      b = await connectBus({ servers: nats.url, name: `test-${name}`, user: u.user, password: u.password });
      buses.set(name, b);
    }
    return b;
  }

  for (const service of SERVICE_NAMES) {
    it(`${service} provisions its own slice of the topology`, async () => {
      const bus = await as(service);
      await provisionTopology(await bus.jetstreamManager(), topologies[service], { replicas: 1 });
    });
  }

  it('each service may publish its own events and nothing of the others', async () => {
    const discovered = () => create(ImageDiscoveredSchema, { meta: newEventMeta('test'), image: { digest: `sha256:${'1'.repeat(64)}` } });
    const watcher = await as('registry-watcher');
    const ack = await publishEvent(watcher.js, Topics.imageDiscovered, discovered(), { timeoutMs: 2000 });
    assert.ok(ack.seq > 0);
    for (const other of ['scanner', 'policy', 'admission', 'audit'] as const) {
      await assert.rejects(
        publishEvent((await as(other)).js, Topics.imageDiscovered, discovered(), { timeoutMs: 2000 }),
        isDenied,
        `${other} must not announce images`,
      );
    }
    const admission = await as('admission');
    const batch = create(AuditBatchSchema, { meta: newEventMeta('test'), events: [] });
    assert.ok((await publishEvent(admission.js, Topics.auditAdmissionBatch, batch, { timeoutMs: 2000 })).seq > 0);
    await assert.rejects(publishEvent((await as('policy')).js, Topics.auditAdmissionBatch, batch, { timeoutMs: 2000 }), isDenied);
  });

  it('only policy writes verdicts; only the watcher writes tags; everyone may read them', async () => {
    const key = digestBucketKey(`sha256:${'2'.repeat(64)}`);
    const policy = await (await as('policy')).js.views.kv(Buckets.verdicts.name, { bindOnly: true });
    await policy.put(key, enc.encode('compliant'));
    for (const other of ['registry-watcher', 'scanner', 'admission', 'audit'] as const) {
      const kv = await (await as(other)).js.views.kv(Buckets.verdicts.name, { bindOnly: true });
      assert.equal((await kv.get(key))?.string(), 'compliant', `${other} reads verdicts`);
      await assert.rejects(kv.put(key, enc.encode('forged')), isDenied, `${other} must not write verdicts`);
    }
    const tags = await (await as('admission')).js.views.kv(Buckets.tags.name, { bindOnly: true });
    await assert.rejects(tags.put('registry.local/x=3Av1', enc.encode('sha256:forged')), isDenied);
    assert.equal((await policy.get(key))?.string(), 'compliant', 'nothing forged landed');
  });

  it('no service may delete or purge a stream', async () => {
    for (const service of SERVICE_NAMES) {
      const jsm = await (await as(service)).jetstreamManager();
      await assert.rejects(jsm.streams.purge(Streams.audit.name), isDenied, `${service} purge`);
      await assert.rejects(jsm.streams.delete(Streams.audit.name), isDenied, `${service} delete`);
    }
    const info = await (await (await as(ADMIN_USER)).jetstreamManager()).streams.info(Streams.audit.name);
    assert.ok(info.state.messages >= 1, 'the audit stream is intact');
  });

  it('services subscribe only to their inboxes', () => {
    for (const service of SERVICE_NAMES) assert.deepEqual(natsPermissions(service).subscribe.allow, ['_INBOX.>']);
  });
});
