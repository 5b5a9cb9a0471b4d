// admission mirrors the verdicts, tags, runtime-policies, policy-exceptions and running buckets and is
// ready only once every mirror is in sync and its webhook listens: values put before it starts
// are in its mirror when it reports ready, while it cannot watch a bucket /readyz answers 503
// naming the mirror and why, and the bus is not among its checks (it decides from memory).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { connectBus, provisionTopology, type BusConnection } from '@assay/bus';
import { Buckets, Compliance, tagBucketKey, VerdictSchema } from '@assay/proto';
import { createService } from '@assay/service-kit';
import { admissionService, admissionTopology } from '@assay/admission';
import { authorization, configuredNats, type ConfiguredNats } from './nats-config.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { waitFor } from '../support/processes.ts';
import { makeTlsFixtures, type TlsFixtures } from '../admission/tls-fixtures.ts';

const DIGEST_A = 'sha256.' + 'a'.repeat(64);
const TAG_KEY = tagBucketKey('registry.local/team/app:v1');
const DIGEST_B = 'sha256.' + 'b'.repeat(64);
const DIGEST_C = 'sha256.' + 'c'.repeat(64);

function verdict(compliance: Compliance, vulnDb: string): Uint8Array {
  return toBinary(VerdictSchema, create(VerdictSchema, { compliance, vulnDbVersion: vulnDb }));
}

async function seed(bus: BusConnection) {
  await provisionTopology(await bus.jetstreamManager(), { streams: [], consumers: [], buckets: [Buckets.verdicts, Buckets.tags] });
  const verdicts = await bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
  const tags = await bus.js.views.kv(Buckets.tags.name, { bindOnly: true });
  await verdicts.put(DIGEST_A, verdict(Compliance.COMPLIANT, 'db-1'));
  await verdicts.put(DIGEST_B, verdict(Compliance.NON_COMPLIANT, 'db-1'));
  await verdicts.put(DIGEST_B, verdict(Compliance.COMPLIANT, 'db-2')); // the latest revision counts
  await tags.put(TAG_KEY, new TextEncoder().encode(DIGEST_A.replace('.', ':')));
  return { verdicts, tags };
}

/** The webhook's TLS files (it starts only with them) and its port: any free one. */
let tls: TlsFixtures;
before(async () => {
  tls = await makeTlsFixtures();
});
after(async () => {
  await tls?.remove();
});
const webhookEnv = () => ({ ADMISSION_PORT: '0', ADMISSION_TLS_CERT: tls.serverCert, ADMISSION_TLS_KEY: tls.serverKey });

async function readyz(address: string) {
  const res = await fetch(`${address}/readyz`);
  return { status: res.status, body: (await res.json()) as { failing: string[]; checks: { name: string; ok: boolean }[] } };
}

describe('admission: bucket mirrors', () => {
  let nats: NatsServer;
  let admin: BusConnection;
  before(async () => {
    nats = await startNatsServer();
    admin = await connectBus({ servers: nats.url });
  });
  after(async () => {
    await admin?.close();
    await nats?.close();
  });

  it('provisions its buckets and is ready only with every mirror synced, holding what was there before', async () => {
    const { verdicts, tags } = await seed(admin);
    const svc = createService(admissionService, { env: { NATS_URL: nats.url, HTTP_PORT: '0', LOG_LEVEL: 'warn', ...webhookEnv() } });
    try {
      await svc.start();
      await svc.ready({ timeoutMs: 20_000 });
      const r = await readyz(svc.address!);
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.checks.map((c) => c.name),
        [
          'started',
          'topology',
          'mirror:verdicts',
          'mirror:tags',
          'mirror:runtime-policies',
          'mirror:policy-exceptions',
          'mirror:running',
          'webhook',
        ],
      );
      const metricsBefore = await (await fetch(`${svc.address}/metrics`)).text();
      assert.match(metricsBefore, /^assay_admission_mirror_stale_seconds\{service="admission"\} 0$/m);

      const api = svc.api!;
      assert.equal(api.verdicts.size, 2);
      assert.equal(api.verdicts.get(DIGEST_A)?.compliance, Compliance.COMPLIANT);
      assert.equal(api.verdicts.get(DIGEST_B)?.compliance, Compliance.COMPLIANT);
      assert.equal(api.verdicts.get(DIGEST_B)?.vulnDbVersion, 'db-2');
      assert.equal(api.tags.get(TAG_KEY), DIGEST_A.replace('.', ':'));

      // And it stays current.
      await verdicts.put(DIGEST_C, verdict(Compliance.PENDING, 'db-2'));
      await tags.delete(TAG_KEY);
      await waitFor('new verdict mirrored', () => (api.verdicts.get(DIGEST_C)?.compliance === Compliance.PENDING ? true : undefined));
      await waitFor('tag deletion mirrored', () => (api.tags.has(TAG_KEY) ? undefined : true));

      const metrics = await (await fetch(`${svc.address}/metrics`)).text();
      assert.match(metrics, /^assay_admission_mirror_keys\{bucket="verdicts",service="admission"\} 3$/m);
      assert.match(metrics, /^assay_admission_mirror_synced\{bucket="tags",service="admission"\} 1$/m);
    } finally {
      await svc.stop();
    }
    assert.equal(svc.state, 'stopped');
  });

  it('the topology it provisions: the five buckets it mirrors and the two streams it publishes to', () => {
    assert.deepEqual(admissionTopology.buckets.map((b) => b.name).sort(), [
      'policy-exceptions',
      'running',
      'runtime-policies',
      'tags',
      'verdicts',
    ]);
    assert.deepEqual(admissionTopology.streams.map((s) => s.name).sort(), ['ASSAY_AUDIT', 'ASSAY_SCANS']);
    assert.equal(admissionTopology.consumers.length, 0);
  });
});

describe('admission: not ready while a mirror cannot sync', () => {
  let nats: ConfiguredNats;
  after(async () => {
    await nats?.close();
  });

  it('answers 503 naming the mirrors, then 200 once they sync', async () => {
    // The admission user may not create the watch consumers on the buckets' streams: its
    // mirrors cannot load, while its connection and provisioning work.
    const denied = `{ publish: { allow: ">", deny: ["$JS.API.CONSUMER.CREATE.KV_verdicts", "$JS.API.CONSUMER.CREATE.KV_verdicts.>", "$JS.API.CONSUMER.CREATE.KV_tags", "$JS.API.CONSUMER.CREATE.KV_tags.>"] }, subscribe: ">" }`;
    const users = (admissionPermissions?: string) =>
      authorization([
        { user: 'admin', password: 'admin-pw' },
        { user: 'admission', password: 'admission-pw', ...(admissionPermissions ? { permissions: admissionPermissions } : {}) },
      ]);
    nats = await configuredNats({ authorization: users(denied) });
    await nats.start();
    const admin = await connectBus({ servers: nats.url, user: 'admin', password: 'admin-pw' });
    try {
      await seed(admin);
    } finally {
      await admin.close();
    }

    const svc = createService(admissionService, {
      env: {
        NATS_URL: nats.url,
        NATS_USER: 'admission',
        NATS_PASSWORD: 'admission-pw',
        HTTP_PORT: '0',
        LOG_LEVEL: 'fatal',
        ...webhookEnv(),
      },
    });
    try {
      await svc.start();
      assert.equal(svc.state, 'running');
      // The buckets it may watch sync at once; the denied two never do.
      await waitFor('the permitted mirrors in sync', () =>
        svc.api!.runtimePolicies.isSynced() && svc.api!.exceptions.isSynced() && svc.api!.running.isSynced() ? true : undefined,
      );
      // Give the mirrors time to try (and fail); readiness must stay 503 throughout.
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const r = await readyz(svc.address!);
        assert.equal(r.status, 503);
        assert.deepEqual(r.body.failing, ['mirror:verdicts', 'mirror:tags']);
        // Each says what is missing: the bucket, and why its watch fails.
        for (const name of r.body.failing) {
          const c = r.body.checks.find((x) => x.name === name) as { detail?: string } | undefined;
          assert.match(
            c?.detail ?? '',
            new RegExp(
              `^initial load of KV bucket ${name.slice('mirror:'.length)} not complete \\((watch failing: .*[Pp]ermission|loading)`,
            ),
            c?.detail,
          );
        }
        await new Promise((res) => setTimeout(res, 250));
      }
      assert.equal(svc.api!.verdicts.isSynced(), false);

      await nats.reload(users());
      await svc.ready({ timeoutMs: 30_000 });
      assert.equal((await readyz(svc.address!)).status, 200);
      assert.equal(svc.api!.verdicts.get(DIGEST_B)?.vulnDbVersion, 'db-2');
      assert.equal(svc.api!.tags.get(TAG_KEY), DIGEST_A.replace('.', ':'));
    } finally {
      await svc.stop();
    }
  });
});
