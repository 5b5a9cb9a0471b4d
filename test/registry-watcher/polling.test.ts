// registry-watcher polling real Distribution registries that send no notifications: it finds
// what was pushed, honours include/exclude globs, does not announce again after a restart (the
// tags and watcher-seen buckets hold its state), works with basic auth, and survives the
// registry going away: the status shows the failures, /readyz stays 200, and it recovers.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KV } from 'nats';
import { type BusConnection, provisionTopology } from '@assay/bus';
import { Buckets, DiscoverySource, Streams } from '@assay/proto';
import { seenKey, type StatusView } from '@assay/registry-watcher';
import { pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { connectAdmin, DiscoveredEvents, smallImage, startWatcher, tagDigest, waitFor, type Watcher } from './helpers.ts';

async function status(w: Watcher, name: string) {
  const res = await fetch(`${w.address}/status`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as StatusView;
  const s = body.registries.find((r) => r.name === name);
  assert.ok(s, `status of ${name}`);
  return s;
}

/** Waits for `n` more completed polls (success or failure) of registry `name`. */
async function polls(w: Watcher, name: string, n: number, timeoutMs = 20_000) {
  const start = (await status(w, name)).polls;
  return waitFor(`${n} more poll(s) of ${name}`, async () => ((await status(w, name)).polls >= start + n ? status(w, name) : undefined), {
    timeoutMs,
    intervalMs: 100,
  });
}

describe('registry-watcher: polling', () => {
  let nats: NatsServer;
  let admin: BusConnection;
  let tags: KV;
  let seen: KV;
  let events: DiscoveredEvents;

  before(async () => {
    nats = await startNatsServer();
    const a = await connectAdmin(nats.url);
    admin = a.bus;
    // The stream must exist before the event collector binds to it (the watchers provision it too).
    await provisionTopology(await admin.jetstreamManager(), {
      streams: [Streams.images],
      consumers: [],
      buckets: [Buckets.tags, Buckets.watcherSeen],
    });
    events = await DiscoveredEvents.start(admin);
  });
  after(async () => {
    events?.stop();
    await admin?.close();
    await nats?.close();
  });

  async function buckets() {
    tags ??= await admin.js.views.kv(Buckets.tags.name, { bindOnly: true });
    seen ??= await admin.js.views.kv(Buckets.watcherSeen.name, { bindOnly: true });
  }

  test('finds images pushed without notifications (globs applied); a restart announces nothing again', async () => {
    const registry = await startRegistry();
    let watcher: Watcher | undefined;
    try {
      const app = await smallImage('polled-app');
      const skip = await smallImage('polled-skip');
      const other = await smallImage('polled-other');
      await pushImage(registry.host, 'poll/app', 'v1', app);
      await pushImage(registry.host, 'poll/app', 'v2', app);
      await pushImage(registry.host, 'poll/skip-me', 'v1', skip);
      await pushImage(registry.host, 'elsewhere/x', 'v1', other);
      const config = [
        { name: 'polled', url: registry.url, pollIntervalSeconds: 1, include: ['poll/**'], exclude: ['**/skip-*'], concurrency: 2 },
      ];

      watcher = await startWatcher(nats.url, config);
      const [e] = await events.waitCount('poll/app', 1);
      await polls(watcher, 'polled', 1);
      assert.equal(events.for('poll/app').length, 1, 'one event for one digest under two tags');
      assert.equal(e!.source, DiscoverySource.POLL);
      assert.equal(e!.image?.digest, app.digest);
      await buckets();
      assert.equal(await tagDigest(tags, registry.host, 'poll/app', 'v1'), app.digest);
      assert.equal(await tagDigest(tags, registry.host, 'poll/app', 'v2'), app.digest);
      assert.equal(events.for('poll/skip-me').length, 0, 'excluded');
      assert.equal(events.for('elsewhere/x').length, 0, 'not included');
      assert.equal(await tagDigest(tags, registry.host, 'elsewhere/x', 'v1'), undefined);
      const s = await status(watcher, 'polled');
      assert.equal(s.consecutiveFailures, 0);
      assert.equal(s.repositories, 1);
      assert.equal(s.tags, 2);
      assert.ok(s.lastSuccessAt);

      const seenRevision = (await seen.get(seenKey(app.digest)))!.revision;
      await watcher.stop();
      watcher = undefined;

      // A new image while the watcher is down, then a restart: only the new one is announced.
      const late = await smallImage('polled-late');
      await pushImage(registry.host, 'poll/late', 'v1', late);
      watcher = await startWatcher(nats.url, config);
      await events.waitCount('poll/late', 1);
      await polls(watcher, 'polled', 2);
      assert.equal(events.for('poll/app').length, 1, 'not announced again after the restart');
      assert.equal((await seen.get(seenKey(app.digest)))!.revision, seenRevision, 'not even claimed again');
      assert.equal(events.for('poll/late').length, 1);

      // A tag deleted from the registry (its manifest deleted) leaves the bucket at the next poll.
      const del = await fetch(`${registry.url}/v2/poll/late/manifests/${late.digest}`, { method: 'DELETE' });
      assert.equal(del.status, 202);
      await polls(watcher, 'polled', 2);
      assert.equal(await tagDigest(tags, registry.host, 'poll/late', 'v1'), undefined);
    } finally {
      await watcher?.stop();
      await registry.close();
    }
  });

  test('basic-auth registry: polls with credentials (password from a file); wrong ones show in the status', async () => {
    const registry = await startRegistry({ basicAuth: { username: 'watcher', password: 's3cret-pw' } });
    const dir = await makeTempDir('watcher-creds');
    let watcher: Watcher | undefined;
    try {
      const image = await smallImage('authed');
      await pushImage(registry.host, 'auth/app', 'v1', image, { auth: { username: 'watcher', password: 's3cret-pw' } });
      const pwFile = join(dir.path, 'pw');
      await writeFile(pwFile, 's3cret-pw\n');
      watcher = await startWatcher(nats.url, [
        { name: 'authed', url: registry.url, pollIntervalSeconds: 1, credentials: { username: 'watcher', passwordFile: pwFile } },
        { name: 'wrong', url: registry.url, pollIntervalSeconds: 1, credentials: { username: 'watcher', password: 'nope' } },
      ]);
      const [e] = await events.waitCount('auth/app', 1);
      assert.equal(e!.image?.digest, image.digest);
      const wrong = await polls(watcher, 'wrong', 1);
      assert.ok(wrong.consecutiveFailures >= 1);
      assert.match(wrong.lastError ?? '', /401|unauthor|denied/i);
      assert.equal((await status(watcher, 'authed')).consecutiveFailures, 0);
    } finally {
      await watcher?.stop();
      await registry.close();
      await dir.remove();
    }
  });

  test('the registry going away: failures in /status, /readyz stays 200 with a detail, recovery after it returns', async () => {
    const registry = await startRegistry();
    let watcher: Watcher | undefined;
    try {
      const first = await smallImage('flaky-1');
      await pushImage(registry.host, 'flaky/app', 'v1', first);
      watcher = await startWatcher(nats.url, [{ name: 'flaky', url: registry.url, pollIntervalSeconds: 1 }], {
        WATCHER_REGISTRY_TIMEOUT: '2s',
      });
      await events.waitCount('flaky/app', 1);

      await registry.stop();
      const down = await waitFor(
        'two consecutive failures',
        async () => {
          const s = await status(watcher!, 'flaky');
          return s.consecutiveFailures >= 2 ? s : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      assert.ok(down.lastError, 'last error recorded');
      assert.ok(down.lastErrorAt);
      assert.equal(watcher.state, 'running');
      const ready = await fetch(`${watcher.address}/readyz`);
      assert.equal(ready.status, 200, 'a registry outage does not make the watcher unready');
      const body = (await ready.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
      const check = body.checks.find((c) => c.name === 'registries');
      assert.ok(check?.ok);
      assert.match(check.detail ?? '', /flaky: \d+ failed poll/);

      await registry.start();
      const second = await smallImage('flaky-2');
      await pushImage(registry.host, 'flaky/app', 'v2', second);
      await events.waitCount('flaky/app', 2, 30_000);
      const up = await waitFor('recovered', async () => {
        const s = await status(watcher!, 'flaky');
        return s.consecutiveFailures === 0 ? s : undefined;
      });
      assert.ok(up.lastSuccessAt! >= down.lastErrorAt!);
      assert.equal(events.for('flaky/app').length, 2);
    } finally {
      await watcher?.stop();
      await registry.close();
    }
  });

  test('two watcher replicas polling one registry announce each digest once', async () => {
    const registry = await startRegistry();
    const replicas: Watcher[] = [];
    try {
      const images = await Promise.all([1, 2, 3].map((i) => smallImage(`replica-${i}`)));
      for (const [i, img] of images.entries()) await pushImage(registry.host, 'replicas/app', `v${i}`, img);
      const config = [{ name: 'shared', url: registry.url, pollIntervalSeconds: 1 }];
      replicas.push(
        ...(await Promise.all([
          startWatcher(nats.url, config, { SERVICE_INSTANCE: 'w-a' }),
          startWatcher(nats.url, config, { SERVICE_INSTANCE: 'w-b' }),
        ])),
      );
      await events.waitCount('replicas/app', 3);
      await Promise.all(replicas.map((w) => polls(w, 'shared', 2)));
      assert.equal(events.for('replicas/app').length, 3);
      assert.deepEqual(new Set(events.for('replicas/app').map((e) => e.image?.digest)), new Set(images.map((i) => i.digest)));
    } finally {
      await Promise.all(replicas.map((w) => w.stop()));
      await registry.close();
    }
  });
});
