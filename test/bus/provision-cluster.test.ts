// Replicas 3 on a real 3-node cluster: streams and buckets are placed on all three nodes, and a
// bucket keeps serving with one node stopped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Buckets, FullTopology, Streams } from '@assay/proto';
import { connectBus, provisionTopology } from '@assay/bus';
import { startNatsCluster } from '../support/nats-server.ts';
import { eventually } from './helpers.ts';

test('replicas 3 on a 3-node cluster; a bucket survives one node stopped', async () => {
  const cluster = await startNatsCluster(3);
  const bus = await connectBus({ servers: cluster.urls, name: 'cluster-test', reconnectTimeWaitMs: 250 });
  try {
    const jsm = await bus.jetstreamManager();
    // The servers answer before JetStream's meta group knows all three peers (on a loaded machine
    // the first stream can meet "no suitable peers for placement"): wait until R3 can be placed.
    await eventually(
      'JetStream placing three replicas',
      async () => {
        const probe = await jsm.streams.add({ name: 'PLACEMENT_PROBE', subjects: ['placement.probe'], num_replicas: 3 });
        await jsm.streams.delete(probe.config.name);
        return true;
      },
      30_000,
      250,
    );
    const report = await provisionTopology(jsm, FullTopology, { replicas: 3 });
    assert.ok(Object.values(report.streams).every((a) => a === 'created'));
    const images = await jsm.streams.info(Streams.images.name);
    assert.equal(images.config.num_replicas, 3);
    assert.equal((images.cluster?.replicas ?? []).length, 2, 'a leader and two replicas');
    const verdicts = await jsm.streams.info(`KV_${Buckets.verdicts.name}`);
    assert.equal(verdicts.config.num_replicas, 3);

    // Running it again on the cluster changes nothing.
    const again = await provisionTopology(jsm, FullTopology, { replicas: 3 });
    assert.ok(Object.values(again.buckets).every((a) => a === 'unchanged'));

    const kv = await bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
    await kv.put('before', new TextEncoder().encode('v1'));

    // Stop the node the bucket's leader lives on, the hardest case.
    const leader = verdicts.cluster?.leader;
    const victim = cluster.nodes.find((n) => n.name === leader) ?? cluster.nodes[0]!;
    await victim.stop();

    await eventually(
      'a put and a get on the bucket with one node down',
      async () => {
        await kv.put('after', new TextEncoder().encode('v2'));
        const e = await kv.get('after');
        return e?.string() === 'v2';
      },
      30_000,
      250,
    );
    assert.equal((await kv.get('before'))?.string(), 'v1');
  } finally {
    await bus.close();
    await cluster.close();
  }
});
