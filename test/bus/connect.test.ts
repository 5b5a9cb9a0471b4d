// connectBus: clear, bounded failures at start; user/password and nkey authentication.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nkeys } from 'nats';
import { BusConnectError, connectBus } from '@assay/bus';
import { startNatsServer } from '../support/nats-server.ts';
import { freePort } from '../support/ports.ts';
import { memoryLogger } from './helpers.ts';

test('an unreachable server fails at once with an error naming the URL', async () => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  const started = Date.now();
  await assert.rejects(connectBus({ servers: url, connectTimeoutMs: 2000 }), (err: Error) => {
    assert.ok(err instanceof BusConnectError);
    assert.ok(err.message.includes(url), err.message);
    assert.match(err.message, /cannot connect to NATS/);
    assert.deepEqual(err.servers, [url]);
    return true;
  });
  assert.ok(Date.now() - started < 3000 + 1000, 'within the timeout');
});

test('a server that never answers fails within the connect timeout', async () => {
  // A listener that accepts and never speaks: the NATS handshake cannot complete.
  const { createServer } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const silent = createServer((s) => void sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  const url = `nats://127.0.0.1:${port}`;
  try {
    const started = Date.now();
    await assert.rejects(connectBus({ servers: url, connectTimeoutMs: 1000 }), (err: Error) => {
      assert.ok(err instanceof BusConnectError);
      assert.ok(err.message.includes(url), err.message);
      return true;
    });
    const took = Date.now() - started;
    assert.ok(took >= 900, `gave up too early (${took} ms)`);
    assert.ok(took < 1000 + 1000 + 1500, `took ${took} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('user/password: the right password connects, a wrong one fails clearly', async () => {
  const server = await startNatsServer({ users: [{ user: 'scanner', password: 's3cret' }] });
  try {
    const logger = memoryLogger();
    const bus = await connectBus({ servers: server.url, user: 'scanner', password: 's3cret', name: 'scanner@test', logger });
    try {
      assert.equal(bus.isConnected(), true);
      await bus.nc.flush();
      const rtt = await bus.nc.rtt();
      assert.ok(rtt >= 0);
      assert.ok(logger.lines.some((l) => l.msg === 'connected to NATS'));
    } finally {
      await bus.close();
    }
    assert.equal(bus.isConnected(), false);
    assert.equal(await bus.closed, undefined);

    await assert.rejects(connectBus({ servers: server.url, user: 'scanner', password: 'wrong', connectTimeoutMs: 3000 }), (err: Error) => {
      assert.ok(err instanceof BusConnectError);
      assert.ok(err.message.includes(server.url), err.message);
      assert.match(err.message, /rejected the credentials of user 'scanner'/);
      return true;
    });
    await assert.rejects(connectBus({ servers: server.url, connectTimeoutMs: 3000 }), /rejected a client without credentials/);
  } finally {
    await server.close();
  }
});

test('nkey seed authentication', async () => {
  const user = nkeys.createUser();
  const publicKey: string = user.getPublicKey();
  const seed = new TextDecoder().decode(user.getSeed());
  const server = await startNatsServer({ extraConfig: `authorization { users: [ { nkey: ${JSON.stringify(publicKey)} } ] }\n` });
  try {
    const bus = await connectBus({ servers: server.url, nkeySeed: seed });
    assert.equal(bus.isConnected(), true);
    await bus.close();
    const other = new TextDecoder().decode(nkeys.createUser().getSeed());
    await assert.rejects(connectBus({ servers: server.url, nkeySeed: other, connectTimeoutMs: 3000 }), BusConnectError);
  } finally {
    await server.close();
  }
});

test('close is idempotent and the connection reports closed', async () => {
  const server = await startNatsServer();
  try {
    const bus = await connectBus({ servers: [server.url] });
    assert.deepEqual(bus.servers, [server.url]);
    await Promise.all([bus.close(), bus.close()]);
    await bus.close();
    assert.equal(bus.nc.isClosed(), true);
    assert.equal(bus.isConnected(), false);
  } finally {
    await server.close();
  }
});

test('a silent partition (no TCP close) is noticed by unanswered pings, not after minutes', async () => {
  const { startTcpProxy } = await import('../support/tcp-proxy.ts');
  const server = await startNatsServer();
  const proxy = await startTcpProxy(Number(new URL(server.url).port));
  const bus = await connectBus({ servers: `nats://${proxy.address}`, pingIntervalMs: 300, reconnectTimeWaitMs: 200 });
  try {
    assert.equal(bus.isConnected(), true);
    proxy.freeze();
    const frozenAt = Date.now();
    // Two unanswered pings (maxPingOut 2) end the connection: about three intervals.
    while (bus.isConnected() && Date.now() - frozenAt < 5000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(bus.isConnected(), false, 'still believes it is connected 5 s into a silent partition');
    proxy.restore();
    const restoredAt = Date.now();
    while (!bus.isConnected() && Date.now() - restoredAt < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(bus.isConnected(), true, 'reconnected once the path works again');
  } finally {
    await bus.close();
    await proxy.close();
    await server.stop();
  }
});
