// @assay/kit: the guards and waits every package shares behave as their callers rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isObject, pause, Semaphore, sleep } from '@assay/kit';

describe('isObject', () => {
  it('accepts objects, refuses null, arrays and scalars', () => {
    assert.equal(isObject({}), true);
    assert.equal(isObject({ a: 1 }), true);
    for (const v of [null, undefined, [], [1], 'x', 1, true]) assert.equal(isObject(v), false, String(v));
  });
});

describe('sleep and pause', () => {
  it('sleep waits, and rejects with the reason as soon as the signal aborts', async () => {
    const started = Date.now();
    await sleep(30);
    assert.ok(Date.now() - started >= 25);
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort(new Error('stopping'));
    await assert.rejects(p, /stopping/);
    await assert.rejects(sleep(10, ac.signal), /stopping/, 'an aborted signal rejects at once');
  });

  it('pause ends early on abort and never rejects', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = pause(10_000, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await p;
    assert.ok(Date.now() - started < 5000);
    await pause(10_000, ac.signal);
  });
});

describe('Semaphore', () => {
  it('never lets more than limit run, and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        sem.run(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await sleep(5);
          running--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    assert.equal(sem.used, 0);
  });

  it('a release counts once; tryAcquire never waits', async () => {
    const sem = new Semaphore(1);
    const r = sem.tryAcquire();
    assert.ok(r);
    assert.equal(sem.tryAcquire(), undefined);
    r();
    r();
    assert.equal(sem.free, 1);
    const a = await sem.acquire();
    assert.equal(sem.free, 0);
    a();
  });

  it('waitFree resolves when a slot frees or on wake, without taking it', async () => {
    const sem = new Semaphore(1);
    const r = sem.tryAcquire()!;
    let woke = false;
    const w = sem.waitFree().then(() => (woke = true));
    await sleep(5);
    assert.equal(woke, false);
    r();
    await w;
    assert.equal(sem.free, 1, 'waitFree does not take the slot');
    const r2 = sem.tryAcquire()!;
    const w2 = sem.waitFree();
    sem.wake();
    await w2;
    r2();
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Semaphore(n), RangeError);
  });
});
