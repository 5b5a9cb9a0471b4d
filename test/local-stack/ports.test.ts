// The local stack's port reservations: a held port is never what another "any free port" bind gets.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { isPortFree, preferPort, reservePort } from '../../scripts/local-stack/ports.ts';

function listenAny(): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const a = srv.address();
      resolve({ port: typeof a === 'object' && a ? a.port : 0, close: () => new Promise<void>((r) => srv.close(() => r())) });
    });
  });
}

describe('local stack ports', () => {
  it('a reserved port stays bound until released, then is free', async () => {
    const r = await reservePort(0);
    assert.ok(r.port > 0);
    assert.equal(await isPortFree(r.port), false);
    assert.equal(await preferPort(r.port), 0, 'a held port is not offered as preferred');
    await r.release();
    await r.release(); // twice is harmless
    assert.equal(await isPortFree(r.port), true);
  });

  it('the preferred port when free; another one when it is busy', async () => {
    const busy = await listenAny();
    try {
      const r = await reservePort(busy.port);
      assert.notEqual(r.port, busy.port);
      assert.ok(r.port > 0);
      await r.release();
      const free = r.port;
      const again = await reservePort(free);
      assert.equal(again.port, free);
      await again.release();
    } finally {
      await busy.close();
    }
  });

  it('kernel-picked ports never collide with held reservations', async () => {
    const held = await Promise.all(Array.from({ length: 20 }, () => reservePort(0)));
    const heldPorts = new Set(held.map((r) => r.port));
    assert.equal(heldPorts.size, held.length);
    const others = await Promise.all(Array.from({ length: 200 }, () => listenAny()));
    try {
      for (const o of others) assert.ok(!heldPorts.has(o.port), `port ${o.port} handed out while reserved`);
    } finally {
      await Promise.all(others.map((o) => o.close()));
      await Promise.all(held.map((r) => r.release()));
    }
  });
});
