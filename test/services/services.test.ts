// Each of the five services, imported as a library: it starts against a fresh NATS, provisions
// its own slice of the topology, reports ready, and stops cleanly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, bucketStreamName, type BusConnection } from '@assay/bus';
import { Buckets, Consumers, Streams, type Topology } from '@assay/proto';
import { createService, type ServiceDefinition } from '@assay/service-kit';
import { admissionService } from '@assay/admission';
import { auditService } from '@assay/audit';
import { policyService } from '@assay/policy';
import { registryWatcherService } from '@assay/registry-watcher';
import { scannerService } from '@assay/scanner';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';

const cases: Array<[ServiceDefinition<any, any>, number, Topology]> = [
  [registryWatcherService, 8081, { streams: [Streams.images, Streams.scans], consumers: [], buckets: [Buckets.tags] }],
  [
    scannerService,
    8082,
    {
      streams: [Streams.images, Streams.scans, Streams.policy, Streams.audit, Streams.deadLetter],
      consumers: [Consumers.scannerDiscovered, Consumers.scannerRequests],
      buckets: [Buckets.deployment],
    },
  ],
  [
    policyService,
    8083,
    {
      streams: [Streams.images, Streams.scans, Streams.policy, Streams.audit, Streams.deadLetter],
      consumers: [
        Consumers.policyDiscovered,
        Consumers.policyIndexes,
        Consumers.policyRequests,
        Consumers.policyScans,
        Consumers.policyChanges,
        Consumers.policyVulnDb,
      ],
      // running: created by whichever of policy (reports) and the watcher (its writer) starts first.
      buckets: [Buckets.verdicts, Buckets.runtimePolicies, Buckets.exceptions, Buckets.imageIndexes, Buckets.deployment, Buckets.running],
    },
  ],
  [
    admissionService,
    8084,
    {
      streams: [Streams.audit, Streams.scans],
      consumers: [],
      buckets: [Buckets.verdicts, Buckets.tags, Buckets.runtimePolicies, Buckets.exceptions, Buckets.running],
    },
  ],
  [auditService, 8085, { streams: [Streams.audit, Streams.deadLetter], consumers: [Consumers.auditElasticsearch], buckets: [] }],
];

describe('the five services', () => {
  it('have distinct default health ports', () => {
    for (const [def, port] of cases) {
      assert.equal(def.httpPort, port, def.name);
      assert.equal(createService(def, { env: {} }).config.HTTP_PORT, port);
    }
  });

  for (const [def, , topology] of cases) {
    describe(def.name, () => {
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

      it('provisions its slice of the topology and reports ready', async () => {
        const svc = createService(def, { env: { NATS_URL: nats.url, HTTP_PORT: '0', LOG_LEVEL: 'warn' } });
        try {
          await svc.start();
          await svc.ready({ timeoutMs: 20_000 });
          const res = await fetch(`${svc.address}/readyz`);
          assert.equal(res.status, 200);

          const jsm = await admin.jetstreamManager();
          const streams = (await jsm.streams.names().next()).sort();
          const expected = [...topology.streams.map((s) => s.name), ...topology.buckets.map((b) => bucketStreamName(b.name))].sort();
          assert.deepEqual(streams, expected, 'exactly its own streams and buckets');
          for (const c of topology.consumers) {
            const info = await jsm.consumers.info(c.stream, c.durable);
            assert.equal(info.config.filter_subject, c.filterSubject);
          }
        } finally {
          await svc.stop();
        }
        assert.equal(svc.state, 'stopped');
      });
    });
  }
});
