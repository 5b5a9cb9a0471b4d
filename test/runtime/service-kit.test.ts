// @assay/service-kit in process: the health server answers before the bus is there, /readyz
// follows the bus, the topology and the service's own checks, /metrics carries the service
// label, and stop() drains and closes everything.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConfigError, str } from '@assay/config';
import { connectBus } from '@assay/bus';
import { createService, type ReadinessFlag, type ServiceDefinition } from '@assay/service-kit';
import { configuredNats, type ConfiguredNats } from '../services/nats-config.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { waitFor } from '../support/processes.ts';
import { logSink } from '../support/log-sink.ts';

async function get(url: string) {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const stopHooks: string[] = [];
const kitConfig = { GREETING: str().default('hello').describe('A service-specific variable') };
const kitService: ServiceDefinition<typeof kitConfig, { warmup: ReadinessFlag; greeting: string }> = {
  name: 'kit-test',
  httpPort: 0,
  config: kitConfig,
  topology: {
    streams: [{ name: 'KIT_TEST', subjects: ['kit.test.>'], maxAgeSeconds: 60, description: 'service-kit test stream' }],
    consumers: [],
    buckets: [],
  },
  start(ctx) {
    const warmup = ctx.readiness.flag('warmup', 'warming up');
    ctx.onStop(() => void stopHooks.push('first'));
    ctx.onStop(() => void stopHooks.push('second'));
    return { warmup, greeting: ctx.config.GREETING };
  },
};

describe('service-kit: lifecycle in process', () => {
  let nats: ConfiguredNats;
  after(async () => {
    await nats?.close();
  });

  it('serves /healthz at once, /readyz 503 until bus, topology and own checks pass, then 200', async () => {
    nats = await configuredNats();
    const logs = logSink();
    const svc = createService(kitService, {
      env: { NATS_URL: nats.url, HTTP_PORT: '0', GREETING: 'hi there', SERVICE_INSTANCE: 'kit-1' },
      logDestination: logs.destination,
    });
    assert.equal(svc.config.GREETING, 'hi there');
    assert.equal(svc.config.HTTP_PORT, 0);
    assert.equal(svc.state, 'created');

    // NATS is not running yet: the service keeps trying, and says so on /readyz.
    const starting = svc.start();
    const address = await waitFor('health server address', () => svc.address);
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await get(`${address}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual({ ...health.json(), uptimeSeconds: 0 }, { status: 'ok', service: 'kit-test', instance: 'kit-1', uptimeSeconds: 0 });

    const early = await get(`${address}/readyz`);
    assert.equal(early.status, 503);
    const earlyBody = early.json();
    assert.equal(earlyBody.status, 'not_ready');
    assert.deepEqual(earlyBody.failing, ['started', 'bus', 'topology']);
    assert.ok(
      (earlyBody.checks as { name: string; detail?: string }[]).some((c) => c.name === 'bus' && c.detail === 'not connected to NATS yet'),
    );

    await nats.start();
    await starting;
    assert.equal(svc.state, 'running');
    assert.equal(svc.api?.greeting, 'hi there');

    // Bus and topology are fine now; the service's own check still fails.
    const warming = await get(`${address}/readyz`);
    assert.equal(warming.status, 503);
    assert.deepEqual(warming.json().failing, ['warmup']);
    await assert.rejects(svc.ready({ timeoutMs: 300 }), /not ready after 300 ms: warmup \(warming up\)/);

    svc.api!.warmup.set(true);
    await svc.ready({ timeoutMs: 5000 });
    const ready = await get(`${address}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.json().status, 'ready');
    assert.deepEqual(ready.json().failing, []);
    assert.deepEqual(
      (ready.json().checks as { name: string }[]).map((c) => c.name),
      ['started', 'bus', 'topology', 'warmup'],
    );

    // Its slice of the topology exists.
    const admin = await connectBus({ servers: nats.url });
    const jsm = await admin.jetstreamManager();
    const info = await jsm.streams.info('KIT_TEST');
    assert.deepEqual(info.config.subjects, ['kit.test.>']);
    await admin.close();

    const metrics = await get(`${address}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain/);
    assert.match(metrics.text, /^assay_service_ready\{service="kit-test"\} 1$/m);
    assert.match(metrics.text, /^assay_bus_connected\{service="kit-test"\} 1$/m);
    assert.match(metrics.text, /^process_cpu_user_seconds_total\{service="kit-test"\} /m);

    assert.equal((await get(`${address}/nope`)).status, 404);

    const bus = svc.bus!;
    await svc.stop('test over');
    assert.equal(svc.state, 'stopped');
    assert.ok(bus.nc.isClosed(), 'NATS connection closed');
    assert.deepEqual(stopHooks, ['second', 'first'], 'stop hooks run in reverse order');
    await assert.rejects(fetch(`${address}/healthz`), 'health server closed');
    const msgs = logs.lines.map((l) => l.msg);
    for (const m of [
      'starting',
      'health server listening',
      'topology provisioned',
      'service started',
      'stopping',
      'bus drained',
      'stopped',
    ]) {
      assert.ok(msgs.includes(m), `log line "${m}" missing: ${JSON.stringify(msgs)}`);
    }
    assert.ok(logs.lines.every((l) => l.service === 'kit-test' && l.instance === 'kit-1'));
    // stop() is idempotent, and ready() refuses once stopped.
    await svc.stop();
    await assert.rejects(svc.ready(), /kit-test is stopped/);
  });
});

describe('service-kit: failures', () => {
  it('createService throws a one-line ConfigError', () => {
    assert.throws(
      () => createService(kitService, { env: { HTTP_PORT: 'abc' } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === 'invalid configuration: HTTP_PORT="abc" is not a port number (1-65535, or 0 for any free port)',
    );
  });

  it('a failing start hook fails start(), stops the service and closes the bus', async () => {
    const nats = await startNatsServer();
    try {
      const logs = logSink();
      const svc = createService(
        {
          name: 'broken',
          httpPort: 0,
          start() {
            throw new Error('cannot open the database');
          },
        },
        { env: { NATS_URL: nats.url, HTTP_PORT: '0' }, logDestination: logs.destination },
      );
      await assert.rejects(svc.start(), /cannot open the database/);
      assert.equal(svc.state, 'failed');
      assert.match(String(svc.failure?.message), /cannot open the database/);
      assert.ok(svc.bus?.nc.isClosed());
      await assert.rejects(fetch(`${svc.address}/healthz`));
      assert.ok(logs.lines.some((l) => l.msg === 'start failed' && l.level === 'error'));
    } finally {
      await nats.close();
    }
  });

  it('stop() while still connecting ends the start quietly', async () => {
    const nats = await configuredNats(); // never started
    try {
      const logs = logSink();
      const svc = createService(
        { name: 'waiting', httpPort: 0 },
        { env: { NATS_URL: nats.url, HTTP_PORT: '0' }, logDestination: logs.destination },
      );
      const starting = svc.start();
      await waitFor('connect attempt', () => (logs.lines.some((l) => l.msg === 'connecting to NATS failed; retrying') ? true : undefined));
      await svc.stop();
      await starting;
      assert.equal(svc.state, 'stopped');
      assert.equal(svc.bus, undefined);
    } finally {
      await nats.close();
    }
  });
});
