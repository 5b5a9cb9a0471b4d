// A full notification queue answers 503 with Retry-After, so the registry retries later instead
// of the watcher holding unbounded work: the work is stuck on a registry that never answers.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { freePort } from '../support/ports.ts';
import { metricValue, startWatcher, TOKEN, type Watcher } from './helpers.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const push = (tag: string, d: string) => ({
  id: `ev-${tag}`,
  action: 'push',
  target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, digest: d, repository: 'team/app', tag },
});

describe('registry-watcher: a full notification queue', () => {
  let nats: NatsServer;
  let hanging: Server;
  const sockets = new Set<Socket>();
  let watcher: Watcher;
  let url: string;

  before(async () => {
    nats = await startNatsServer();
    // A registry that accepts connections and never answers: work items stay in the queue.
    hanging = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const port = await freePort();
    watcher = await startWatcher(
      nats.url,
      [{ name: 'stuck', url: `http://127.0.0.1:${(hanging.address() as { port: number }).port}`, trustNotifications: true }],
      {
        HTTP_PORT: String(port),
        WATCHER_QUEUE_SIZE: '2',
        WATCHER_WORKERS: '1',
      },
    );
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await watcher?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => hanging?.close(r));
    await nats?.close();
  });

  const notify = (events: unknown[]) =>
    fetch(`${url}/registry/events/stuck`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ events }),
    });

  test('accepts up to the capacity, then 503 with Retry-After; a repeat of waiting work is not refused', async () => {
    assert.equal((await notify([push('v1', digest('a'))])).status, 200);
    assert.equal((await notify([push('v2', digest('b'))])).status, 200);
    const full = await notify([push('v3', digest('c'))]);
    assert.equal(full.status, 503);
    assert.equal(full.headers.get('retry-after'), '5');
    assert.deepEqual(await full.json(), { error: 'queue full' });
    // Both events of one notification are refused together: none of it is half-accepted.
    assert.equal((await notify([push('v4', digest('d')), push('v5', digest('e'))])).status, 503);
    // The same work as an item still waiting is a duplicate, not new work.
    assert.equal((await notify([push('v2', digest('b'))])).status, 200);

    const status = (await (await fetch(`${url}/status`)).json()) as { queue: { size: number; capacity: number } };
    assert.deepEqual(status.queue, { size: 2, capacity: 2 });
    assert.ok((await metricValue(watcher, 'assay_watcher_notification_requests_total', { status: '503' })) >= 2);
  });
});
