// registry-watcher told of a push whose manifest is gone by the time it reads it (pushed, then
// deleted), or polling a configured repository nothing was pushed to yet: the registry's 404 is
// an answer, not logged as a warning or error and kept out of the error metrics — while a
// registry that cannot be reached at all is still a warning, then an error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createService } from '@assay/service-kit';
import { registryWatcherService } from '@assay/registry-watcher';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { pushImage } from '../support/oci-image.ts';
import { waitFor } from '../support/processes.ts';
import { metricValue, smallImage, TOKEN, type Watcher } from './helpers.ts';
import { logSink } from '../support/log-sink.ts';

type LogLine = { level: string; msg: string; digest?: string; registry?: string };

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('registry-watcher: a 404 from the registry is not an error', () => {
  let nats: NatsServer;
  let registry: Registry;
  let watcher: Watcher;
  const { lines, destination } = logSink<LogLine>();

  before(async () => {
    nats = await startNatsServer();
    registry = await startRegistry();
    watcher = createService(registryWatcherService, {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        METRICS_DEFAULT: 'false',
        NOTIFICATION_TOKEN: TOKEN,
        WATCHER_REGISTRIES: JSON.stringify([
          { name: 'local', url: registry.url, insecure: true, trustNotifications: true },
          // Nothing listens there: a real fault.
          { name: 'down', url: 'http://127.0.0.1:1', insecure: true, trustNotifications: true },
          // Polled by hand (pollNow): one repository has images, the other none yet.
          { name: 'polled', url: registry.url, insecure: true, repositories: ['app/real', 'app/never-pushed'], pollIntervalSeconds: 3600 },
        ]),
        WATCHER_RETRY_BASE: '50ms',
        WATCHER_RETRY_ATTEMPTS: '3',
      },
      logDestination: destination,
    }) as Watcher;
    await watcher.start();
    await watcher.ready({ timeoutMs: 20_000 });
  });
  after(async () => {
    await watcher?.stop();
    await registry?.close();
    await nats?.stop();
  });

  const notifyPush = async (registryName: string, repository: string, digest: string) => {
    const res = await fetch(`${watcher.address}/registry/events/${registryName}`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        events: [{ id: `ev-${digest.slice(7, 19)}`, action: 'push', target: { mediaType: MANIFEST, repository, digest, tag: 'v1' } }],
      }),
    });
    assert.equal(res.status, 200);
  };

  test('a pushed manifest deleted before it is read: info lines, no warning or error, no error metric', async () => {
    const digest = `sha256:${'4'.repeat(64)}`;
    await notifyPush('local', 'app/gone', digest);
    const done = await waitFor('the give-up line', () => lines.find((l) => l.digest === digest && /nothing to discover/.test(l.msg)), {
      timeoutMs: 20_000,
    });
    assert.equal(done.level, 'info');
    assert.equal(done.msg, 'discover: the manifest is not in the registry (deleted since it was pushed); nothing to discover');
    const about = lines.filter((l) => l.digest === digest);
    assert.equal(about.filter((l) => /asking again/.test(l.msg)).length, 2, 'asked again before giving up (3 attempts)');
    assert.deepEqual(
      about.filter((l) => l.level !== 'info'),
      [],
      'no warning or error about it',
    );
    assert.equal(await metricValue(watcher, 'assay_watcher_errors_total', { registry: 'local' }), 0);
  });

  test('polling a configured repository never pushed: a successful poll, no warning', async () => {
    const image = await smallImage('real');
    await pushImage(registry.host, 'app/real', 'v1', image);
    await watcher.api!.pollNow('polled');
    const status = watcher.api!.status().registries.find((r) => r.name === 'polled')!;
    assert.equal(status.tags, 1, 'the real repository was polled');
    assert.equal(status.repositories, 2);
    // Polls at start (nothing pushed at all) and now: none failed.
    assert.equal(status.consecutiveFailures, 0);
    assert.equal(status.lastError, null);
    assert.deepEqual(
      lines.filter((l) => l.registry === 'polled' && (l.level === 'warn' || l.level === 'error')),
      [],
    );
    assert.equal(await metricValue(watcher, 'assay_watcher_errors_total', { registry: 'polled' }), 0);
  });

  test('a registry that cannot be reached is still a warning, then an error', async () => {
    const digest = `sha256:${'5'.repeat(64)}`;
    await notifyPush('down', 'app/x', digest);
    const done = await waitFor('the give-up line', () => lines.find((l) => l.digest === digest && /failed for good/.test(l.msg)), {
      timeoutMs: 20_000,
    });
    assert.equal(done.level, 'error');
    assert.ok(lines.some((l) => l.digest === digest && l.level === 'warn' && /failed; retrying/.test(l.msg)));
    assert.ok((await metricValue(watcher, 'assay_watcher_errors_total', { registry: 'down' })) > 0);
  });
});
