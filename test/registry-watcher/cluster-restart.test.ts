// registry-watcher restarted: what the running bucket holds is read back whole, so entries of
// digests nothing runs any more are deleted and a workload keeps its first-seen time (the
// admission grace depends on it). Real nats-server, the Kubernetes API stand-in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import type { KV } from 'nats';
import type { BusConnection } from '@assay/bus';
import { Buckets, digestBucketKey, RunningImageSchema, type RunningImage } from '@assay/proto';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { connectAdmin, startWatcher, type Watcher } from './helpers.ts';

const dg = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;
const DIGESTS = ['1', '2', '3', '4', '5'].map(dg);

describe('registry-watcher: a restart reads the running bucket back whole', () => {
  let nats: NatsServer;
  let standin: KubeApiStandin;
  let bus: BusConnection;
  let running: KV;
  let env: Record<string, string>;
  let watcher: Watcher | undefined;

  const pod = (name: string, digest: string) =>
    standin.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop', labels: {} },
      spec: { containers: [{ name: 'app', image: `registry.example/shop/${name}:1` }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', image: `registry.example/shop/${name}:1`, imageID: `registry.example/shop/${name}@${digest}`, ready: true },
        ],
      },
    });
  async function entry(digest: string): Promise<RunningImage | undefined> {
    const e = await running.get(digestBucketKey(digest));
    return e && e.operation === 'PUT' ? fromBinary(RunningImageSchema, e.value) : undefined;
  }
  const waitListed = (w: Watcher) => waitFor('pods listed', () => (w.api!.cluster?.informer.isSynced ? true : undefined));

  before(async () => {
    nats = await startNatsServer();
    const token = randomBytes(16).toString('hex');
    standin = await KubeApiStandin.start({ token });
    standin.createNamespace('shop');
    const dir = await makeTempDir('watcher-restart');
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    env = {
      WATCHER_KUBERNETES: 'true',
      WATCHER_KUBE_API_URL: standin.url,
      WATCHER_KUBE_TOKEN_FILE: tokenFile,
      WATCHER_RUNNING_DEBOUNCE: '50ms',
    };
    ({ bus } = await connectAdmin(nats.url));
  });
  after(async () => {
    await watcher?.stop();
    await bus?.close();
    await standin?.close();
    await nats?.stop();
  });

  it('entries of pods gone while it was down are deleted; the one still running keeps its first-seen time', async () => {
    DIGESTS.forEach((d, i) => pod(`app${i}`, d));
    watcher = await startWatcher(nats.url, [], env);
    running = await bus.js.views.kv(Buckets.running.name, { bindOnly: true });
    await waitListed(watcher);
    for (const d of DIGESTS) await waitFor(`entry ${d}`, async () => ((await entry(d)) ? true : undefined));
    const kept = DIGESTS[4]!;
    const firstSeen = (await entry(kept))!.workloads[0]!.firstSeen;
    assert.ok(firstSeen && Number(firstSeen.seconds) > 0);
    await watcher.stop();
    watcher = undefined;

    // Down: four of the five pods go; one second later (first-seen is in seconds) it comes back.
    for (let i = 0; i < 4; i++) standin.remove('pods', `app${i}`, 'shop');
    await new Promise((r) => setTimeout(r, 1100));
    watcher = await startWatcher(nats.url, [], env);
    await waitListed(watcher);
    for (const d of DIGESTS.slice(0, 4)) await waitFor(`entry ${d} deleted`, async () => ((await entry(d)) ? undefined : true));
    const after = (await entry(kept))!.workloads[0]!.firstSeen;
    assert.deepEqual([after?.seconds, after?.nanos], [firstSeen.seconds, firstSeen.nanos], 'first-seen survives the restart');
  });
});
