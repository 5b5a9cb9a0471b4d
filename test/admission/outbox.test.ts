// The outbox holds events while publishing fails, publishes them when it can, and refuses
// (counting, logging) what does not fit instead of dropping anything silently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox } from '@assay/admission';

function logger() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, warn: at('warn'), error: at('error'), info: at('info') };
}

describe('admission: outbox', () => {
  it('holds events while disconnected, refuses beyond capacity, and flushes on reconnect', async () => {
    let connected = false;
    const published: number[] = [];
    const dropped: number[] = [];
    const log = logger();
    const box = new Outbox<number>({
      capacity: 5,
      isConnected: () => connected,
      publish: async (n) => void published.push(n),
      onDropped: (n) => dropped.push(n),
      logger: log,
    });
    for (let i = 0; i < 7; i++) box.push(i);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(box.size, 5);
    assert.deepEqual(dropped, [5, 6]);
    assert.equal(box.dropped, 2);
    assert.ok(log.lines.some((l) => l.level === 'error' && /outbox full/.test(l.msg)));
    assert.deepEqual(published, []);
    connected = true;
    box.flush();
    await box.idle();
    assert.deepEqual(published, [0, 1, 2, 3, 4]);
  });

  it('keeps events whose publish failed and retries them', async () => {
    let fail = true;
    const published: number[] = [];
    const box = new Outbox<number>({
      capacity: 100,
      isConnected: () => true,
      publish: async (n) => {
        if (fail) throw new Error('no responders');
        published.push(n);
      },
      logger: logger(),
    });
    box.push(1);
    box.push(2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(box.size, 2);
    fail = false;
    await box.idle();
    assert.deepEqual(published.sort(), [1, 2]);
    assert.equal(await box.stop(100), 0);
  });
});
