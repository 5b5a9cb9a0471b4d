// registry-watcher with a real Distribution registry whose notifications point at it: pushes
// become exactly one ImageDiscovered per manifest digest and keep the tags bucket current;
// indexes expand per platform; re-pushes announce nothing; moved tags follow; deletes are
// recorded; bad requests are refused (400/401/404); Harbor webhooks work the same way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KV } from 'nats';
import type { BusConnection } from '@assay/bus';
import { Buckets, DiscoverySource, Streams, Topics } from '@assay/proto';
import { discoveryEventId, indexEventId, seenKey } from '@assay/registry-watcher';
import { buildIndex, httpRequest, MediaTypes, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { freePort } from '../support/ports.ts';
import {
  connectAdmin,
  DiscoveredEvents,
  metricValue,
  sleep,
  smallImage,
  startWatcher,
  tagDigest,
  TOKEN,
  waitFor,
  type Watcher,
} from './helpers.ts';

describe('registry-watcher: Distribution notifications', () => {
  let nats: NatsServer;
  let registry: Registry;
  let quiet: Registry; // sends no notifications: a stand-in for a Harbor-fronted registry
  let watcher: Watcher;
  let admin: BusConnection;
  let tags: KV;
  let seen: KV;
  let events: DiscoveredEvents;
  let indexEvents: DiscoveredEvents; // assay.image.index

  before(async () => {
    nats = await startNatsServer();
    const port = await freePort();
    registry = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/registry/events/local`, token: TOKEN } });
    quiet = await startRegistry();
    watcher = await startWatcher(
      nats.url,
      [
        { name: 'local', url: registry.url, trustNotifications: true },
        { name: 'harbor', url: quiet.url, trustNotifications: true, notificationHosts: ['harbor.example.test'] },
        { name: 'untrusted', url: 'http://127.0.0.1:1', trustNotifications: false },
      ],
      { HTTP_PORT: String(port) },
    );
    const a = await connectAdmin(nats.url);
    admin = a.bus;
    tags = await a.tags();
    seen = await admin.js.views.kv(Buckets.watcherSeen.name, { bindOnly: true });
    events = await DiscoveredEvents.start(admin);
    indexEvents = await DiscoveredEvents.start(admin, Topics.indexDiscovered.subject);
  });

  after(async () => {
    events?.stop();
    indexEvents?.stop();
    await watcher?.stop();
    await admin?.close();
    await registry?.close();
    await quiet?.close();
    await nats?.close();
  });

  /** Waits until the watcher has queued `n` more manifest pushes than `before` and handled them. */
  async function pushesHandled(before: number, n = 1): Promise<void> {
    await waitFor('push notification received', async () =>
      (await metricValue(watcher, 'assay_watcher_notification_events_total', { action: 'push', outcome: 'queued' })) >= before + n
        ? true
        : undefined,
    );
    await watcher.api!.idle();
  }

  const queuedPushes = () => metricValue(watcher, 'assay_watcher_notification_events_total', { action: 'push', outcome: 'queued' });

  test('a pushed image: exactly one ImageDiscovered, and the tags bucket maps the reference to its digest', async () => {
    const image = await smallImage('one');
    const before = await queuedPushes();
    await pushImage(registry.host, 'team/app', 'v1', image);
    const [e] = await events.waitCount('team/app', 1);
    await pushesHandled(before);
    assert.equal(events.for('team/app').length, 1);
    assert.equal(e!.image?.registry, registry.host);
    assert.equal(e!.image?.tag, 'v1');
    assert.equal(e!.image?.digest, image.digest);
    assert.equal(e!.image?.mediaType, MediaTypes.ociManifest);
    assert.equal(e!.image?.platform?.os, 'linux');
    assert.equal(e!.image?.platform?.architecture, image.platform.architecture);
    assert.equal(e!.source, DiscoverySource.NOTIFICATION);
    assert.equal(e!.meta?.id, discoveryEventId(image.digest));
    assert.equal(e!.meta?.producer, 'registry-watcher');
    assert.deepEqual(e!.manifests, []);
    assert.equal(await tagDigest(tags, registry.host, 'team/app', 'v1'), image.digest);
  });

  test('a multi-platform index: one ImageDiscovered per platform manifest; the tag maps to the index', async () => {
    const amd = await smallImage('multi', { os: 'linux', architecture: 'amd64' });
    const arm = await smallImage('multi', { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const index = buildIndex([amd, arm]);
    assert.equal(indexEvents.for('team/multi').length, 0);
    await pushImage(registry.host, 'team/multi', 'v1', index);
    const got = await events.waitCount('team/multi', 2);
    await watcher.api!.idle();
    assert.equal(events.for('team/multi').length, 2);
    const byDigest = new Map(got.map((e) => [e.image!.digest, e]));
    assert.deepEqual([...byDigest.keys()].sort(), [amd.digest, arm.digest].sort());
    assert.equal(byDigest.get(amd.digest)!.image!.platform?.architecture, 'amd64');
    assert.equal(byDigest.get(arm.digest)!.image!.platform?.architecture, 'arm64');
    assert.equal(byDigest.get(arm.digest)!.image!.platform?.variant, 'v8');
    for (const e of got) {
      assert.equal(e.image?.tag, 'v1');
      assert.equal(e.image?.mediaType, MediaTypes.ociManifest);
      assert.deepEqual(e.manifests, []);
    }
    assert.equal(await tagDigest(tags, registry.host, 'team/multi', 'v1'), index.digest);

    // And the index itself, once, on assay.image.index: the index digest with its platforms.
    const [ix] = await indexEvents.waitCount('team/multi', 1);
    await sleep(300);
    assert.equal(indexEvents.for('team/multi').length, 1, 'exactly one index event');
    assert.equal(ix!.meta?.id, indexEventId(index.digest));
    assert.notEqual(ix!.meta?.id, discoveryEventId(index.digest));
    assert.equal(ix!.meta?.producer, 'registry-watcher');
    assert.equal(ix!.source, DiscoverySource.NOTIFICATION);
    assert.equal(ix!.image?.registry, registry.host);
    assert.equal(ix!.image?.repository, 'team/multi');
    assert.equal(ix!.image?.digest, index.digest);
    assert.equal(ix!.image?.tag, 'v1');
    assert.equal(ix!.image?.mediaType, MediaTypes.ociIndex);
    assert.deepEqual(
      ix!.manifests.map((m) => ({
        registry: m.registry,
        repository: m.repository,
        digest: m.digest,
        mediaType: m.mediaType,
        platform: m.platform && { os: m.platform.os, architecture: m.platform.architecture, variant: m.platform.variant },
      })),
      [
        {
          registry: registry.host,
          repository: 'team/multi',
          digest: amd.digest,
          mediaType: MediaTypes.ociManifest,
          platform: { os: 'linux', architecture: 'amd64', variant: '' },
        },
        {
          registry: registry.host,
          repository: 'team/multi',
          digest: arm.digest,
          mediaType: MediaTypes.ociManifest,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
    );
  });

  test('re-pushing the same index: no second index event (stored once), no new platform events', async () => {
    const amd = await smallImage('multi', { os: 'linux', architecture: 'amd64' });
    const arm = await smallImage('multi', { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const index = buildIndex([amd, arm]);
    assert.equal(indexEvents.for('team/multi')[0]?.image?.digest, index.digest, 'the previous test announced this very index');
    const before = await queuedPushes();
    await pushImage(registry.host, 'team/multi', 'v1', index);
    await pushesHandled(before);
    await sleep(300);
    assert.equal(indexEvents.for('team/multi').length, 1, 'no second index event');
    assert.equal(events.for('team/multi').length, 2, 'no new ImageDiscovered');
    // The stream itself holds one message for this index's event id.
    const jsm = await admin.jetstreamManager();
    const stored = await jsm.streams.getMessage(Streams.images.name, { last_by_subj: Topics.indexDiscovered.subject });
    assert.equal(stored.header?.get('Nats-Msg-Id'), indexEventId(index.digest));
    const info = await jsm.streams.info(Streams.images.name, { subjects_filter: Topics.indexDiscovered.subject });
    assert.equal(info.state.subjects?.[Topics.indexDiscovered.subject], 1);
  });

  test('re-pushing the same image announces nothing new', async () => {
    const image = await smallImage('one');
    const before = await queuedPushes();
    const count = events.events.length;
    // JetStream would drop a re-published event as a duplicate anyway (same Nats-Msg-Id): that the
    // watcher does not even try shows in its seen record, which stays at the same revision.
    const seenBefore = await seen.get(seenKey(image.digest));
    assert.equal(JSON.parse(new TextDecoder().decode(seenBefore!.value)).state, 'announced');
    await pushImage(registry.host, 'team/app', 'v1', image);
    await pushesHandled(before);
    // A second tag on the same digest: the bucket learns the tag, still no event.
    await pushImage(registry.host, 'team/app', 'v1-alias', image);
    await pushesHandled(before, 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(events.events.length, count, 'no new ImageDiscovered');
    assert.equal((await seen.get(seenKey(image.digest)))!.revision, seenBefore!.revision, 'no new claim');
    assert.equal(await tagDigest(tags, registry.host, 'team/app', 'v1-alias'), image.digest);
  });

  test('a tag moved to a new image: the bucket follows, and exactly one new event', async () => {
    const next = await smallImage('two');
    const before = await queuedPushes();
    await pushImage(registry.host, 'team/app', 'v1', next);
    const all = await events.waitCount('team/app', 2);
    await pushesHandled(before);
    assert.equal(events.for('team/app').length, 2);
    assert.equal(all[1]!.image?.digest, next.digest);
    assert.equal(await tagDigest(tags, registry.host, 'team/app', 'v1'), next.digest);
  });

  test('a deleted manifest: its tags leave the bucket and the deletion is counted', async () => {
    const image = await smallImage('doomed');
    const before = await queuedPushes();
    await pushImage(registry.host, 'team/doomed', 'v1', image);
    await pushImage(registry.host, 'team/doomed', 'v1-copy', image);
    await pushesHandled(before, 2);
    assert.equal(await tagDigest(tags, registry.host, 'team/doomed', 'v1'), image.digest);
    await waitFor('mirror has both tags', () =>
      watcher.api!.discovery.knownTags(watcher.api!.registry('local')!, 'team/doomed').size === 2 ? true : undefined,
    );
    const deletesBefore = await metricValue(watcher, 'assay_watcher_deletes_total', { registry: 'local' });

    const res = await httpRequest('DELETE', `${registry.url}/v2/team/doomed/manifests/${image.digest}`);
    assert.equal(res.status, 202);
    await waitFor('delete notification', async () =>
      (await metricValue(watcher, 'assay_watcher_deletes_total', { registry: 'local' })) > deletesBefore ? true : undefined,
    );
    await watcher.api!.idle();
    assert.equal(await tagDigest(tags, registry.host, 'team/doomed', 'v1'), undefined);
    assert.equal(await tagDigest(tags, registry.host, 'team/doomed', 'v1-copy'), undefined);
    assert.ok((await metricValue(watcher, 'assay_watcher_tag_changes_total', { registry: 'local', change: 'removed' })) >= 2);
    // Other repositories' tags are untouched.
    assert.ok(await tagDigest(tags, registry.host, 'team/app', 'v1'));
  });

  test('blob pushes and pulls are not images', async () => {
    const ignored = () => metricValue(watcher, 'assay_watcher_notification_events_total', { outcome: 'ignored:not-a-manifest' });
    const actionIgnored = () => metricValue(watcher, 'assay_watcher_notification_events_total', { outcome: 'ignored:action' });
    const [b0, a0] = [await ignored(), await actionIgnored()];
    const image = await smallImage('blobs');
    await pushImage(registry.host, 'team/blobs', 'v1', image);
    await events.waitCount('team/blobs', 1);
    await httpRequest('GET', `${registry.url}/v2/team/blobs/manifests/v1`, { Accept: MediaTypes.ociManifest });
    await waitFor('blob pushes and the pull counted as ignored', async () =>
      (await ignored()) >= b0 + 2 && (await actionIgnored()) > a0 ? true : undefined,
    );
    assert.equal(events.for('team/blobs').length, 1);
  });

  describe('refused requests', () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${watcher.address}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: `Bearer ${TOKEN}`, ...headers },
        body,
      });

    test('missing or wrong bearer token → 401', async () => {
      const body = JSON.stringify({ events: [] });
      assert.equal((await post('/registry/events', body, { authorization: '' })).status, 401);
      assert.equal((await post('/registry/events', body, { authorization: 'Bearer nope' })).status, 401);
      assert.equal((await post('/registry/events', body, { authorization: TOKEN })).status, 401, 'bare token only for Harbor');
      assert.equal((await post('/harbor/events', body, { authorization: 'Bearer nope', 'content-type': 'application/json' })).status, 401);
      assert.equal((await post('/registry/events', body)).status, 200);
    });

    test('malformed notifications → 400', async () => {
      for (const body of [
        '{not json',
        '{}',
        JSON.stringify({ events: 'nope' }),
        JSON.stringify({ events: [{ action: 'push' }] }),
        JSON.stringify({ events: [{ action: 'push', target: { repository: 'a', digest: 'not a digest', tag: 'x' } }] }),
      ]) {
        const res = await post('/registry/events/local', body);
        assert.equal(res.status, 400, body);
        assert.equal(((await res.json()) as { error: string }).error, 'bad request');
      }
      assert.equal(
        (await post('/harbor/events', JSON.stringify({ type: 'PUSH_ARTIFACT' }), { 'content-type': 'application/json' })).status,
        400,
      );
      assert.equal((await post('/registry/events', 'x', { 'content-type': 'text/html' })).status, 415);
      assert.ok((await metricValue(watcher, 'assay_watcher_notification_requests_total', { status: '400' })) >= 6);
    });

    test('unknown or untrusted registry names → 404 / 403', async () => {
      const body = JSON.stringify({ events: [] });
      assert.equal((await post('/registry/events/nosuch', body)).status, 404);
      assert.equal((await post('/registry/events/untrusted', body)).status, 403);
    });
  });

  test('Harbor PUSH_ARTIFACT webhook (auth header verbatim): discovered from the named registry', async () => {
    const image = await smallImage('harbor');
    await pushImage(quiet.host, 'proj/web', 'v3', image);
    const payload = {
      type: 'PUSH_ARTIFACT',
      occur_at: Math.floor(Date.now() / 1000),
      operator: 'admin',
      event_data: {
        resources: [{ digest: image.digest, tag: 'v3', resource_url: `harbor.example.test/proj/web:v3` }],
        repository: { name: 'web', namespace: 'proj', repo_full_name: 'proj/web', repo_type: 'private' },
      },
    };
    const res = await fetch(`${watcher.address}/harbor/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TOKEN },
      body: JSON.stringify(payload),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 1, ignored: 0 });
    const [e] = await events.waitCount('proj/web', 1);
    assert.equal(e!.image?.registry, quiet.host);
    assert.equal(e!.image?.digest, image.digest);
    assert.equal(await tagDigest(tags, quiet.host, 'proj/web', 'v3'), image.digest);
  });
});
