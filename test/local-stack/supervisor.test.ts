// The local stack's restart policy: backoff delays, and a supervisor that starts a real process
// again after it exits and stops for good on request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnChild } from '../../scripts/local-stack/children.ts';
import { RestartBackoff } from '../../scripts/local-stack/restart-backoff.ts';
import { Supervisor, type RestartInfo } from '../../scripts/local-stack/supervisor.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('RestartBackoff', () => {
  it('doubles from the base up to the cap, and starts over after a long enough run', () => {
    const b = new RestartBackoff({ baseMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 });
    assert.deepEqual(
      [0, 0, 0, 0, 0, 0, 0].map(() => b.next(10)),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
    assert.equal(b.consecutive, 7);
    assert.equal(b.next(60_000), 1000, 'up for resetAfterMs: healthy, back to the base delay');
    assert.equal(b.consecutive, 1);
    assert.equal(b.next(59_999), 2000);
    for (let i = 0; i < 200; i++) assert.equal(Number.isFinite(b.next(0)), true);
    assert.equal(b.next(0), 30_000);
  });

  it('refuses settings that make no sense', () => {
    assert.throws(() => new RestartBackoff({ baseMs: 0 }), /0 < baseMs <= maxMs/);
    assert.throws(() => new RestartBackoff({ baseMs: 5000, maxMs: 1000 }), /0 < baseMs <= maxMs/);
  });
});

describe('Supervisor', () => {
  it('starts an exited process again after the backoff delay, and not after stop', async () => {
    const exits: RestartInfo[] = [];
    const pids: number[] = [];
    const sup = new Supervisor({
      name: 'sleeper',
      backoff: { baseMs: 50, maxMs: 200, resetAfterMs: 60_000 },
      start: () => spawnChild('sleeper', process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { onLine: () => {} }),
      onStart: (child) => pids.push(child.pid),
      onExit: (info) => exits.push(info),
    });
    const first = await sup.start();
    assert.equal(pids.length, 1);
    const waitForStarts = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (pids.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${pids.length} starts`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    process.kill(first.pid, 'SIGKILL');
    await waitForStarts(2);
    assert.ok(alive(pids[1]!), 'the new process runs');
    assert.equal(sup.child?.pid, pids[1]);
    process.kill(pids[1]!, 'SIGTERM');
    await waitForStarts(3);

    assert.deepEqual(
      exits.map((e) => [e.status.description, e.delayMs, e.consecutive, e.restarts]),
      [
        ['signal SIGKILL', 50, 1, 1],
        ['signal SIGTERM', 100, 2, 2],
      ],
    );
    assert.equal(sup.restarts, 2);

    const status = await sup.stop(2000);
    assert.equal(status?.signal, 'SIGTERM');
    assert.ok(!alive(pids[2]!), 'stopped');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pids.length, 3, 'no start after stop');
    assert.equal(exits.length, 2, 'a requested stop is no exit to restart from');
  });

  it('a stop during the backoff delay cancels the pending start', async () => {
    let starts = 0;
    const sup = new Supervisor({
      name: 'crasher',
      backoff: { baseMs: 5000 },
      start: () => {
        starts++;
        return spawnChild('crasher', process.execPath, ['-e', 'process.exit(3)'], { onLine: () => {} });
      },
      onExit: () => {},
    });
    const child = await sup.start();
    assert.equal((await child.exited).description, 'exit code 3');
    const t0 = Date.now();
    await sup.stop(1000);
    assert.ok(Date.now() - t0 < 1000, 'stop does not wait out the 5 s delay');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(starts, 1);
  });

  it('keeps trying when starting throws', async () => {
    const errors: unknown[] = [];
    let starts = 0;
    const sup = new Supervisor({
      name: 'flaky',
      backoff: { baseMs: 20, maxMs: 40 },
      start: (restarts) => {
        starts++;
        if (restarts === 1) throw new Error('port busy');
        return spawnChild('flaky', process.execPath, ['-e', restarts === 0 ? 'process.exit(1)' : 'setTimeout(() => {}, 60_000)'], {
          onLine: () => {},
        });
      },
      onExit: () => {},
      onStartError: (err) => errors.push(err),
    });
    await sup.start();
    const deadline = Date.now() + 10_000;
    while (starts < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(starts, 3);
    assert.match(String(errors[0]), /port busy/);
    assert.ok(sup.child && alive(sup.child.pid), 'the third start runs');
    await sup.stop(2000);
  });
});
