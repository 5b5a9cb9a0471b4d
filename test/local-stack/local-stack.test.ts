// `npm start` end to end: scripts/local-stack.ts as a child process, with its state in a
// temporary directory and free ports. Every service must report ready; SIGINT must stop all of
// it with exit code 0 and leave none of its processes behind.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import type { StackState } from '../../scripts/local-stack/stack.ts';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const SERVICES = ['registry-watcher', 'scanner', 'policy', 'admission', 'audit'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function launch(stateDir: string, extra: Record<string, string> = {}): ManagedProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(NATS_|HTTP_|ASSAY_|LOG_LEVEL|FORCE_COLOR|NO_COLOR)/.test(k)),
  );
  return startProcess(process.execPath, [join(root, 'scripts', 'local-stack.ts')], {
    cwd: root,
    env: { ...clean, ASSAY_STATE_DIR: stateDir, ASSAY_NATS_PORT: '0', ASSAY_BASE_PORT: '0', ...extra },
  });
}

function readState(file: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

describe('local stack (npm start)', () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  const procs: ManagedProcess[] = [];
  after(async () => {
    for (const p of procs) await p.kill();
    for (const d of dirs) await d.remove();
  });

  it('starts NATS and the five services, reports them ready, and stops everything on SIGINT', async () => {
    const dir = await makeTempDir('local-stack');
    dirs.push(dir);
    const proc = launch(dir.path);
    procs.push(proc);
    const stateFile = join(dir.path, 'local-stack.json');

    const state = await waitFor(
      'every service ready',
      () => {
        const s = readState(stateFile);
        return s?.ready ? s : undefined;
      },
      { process: proc, timeoutMs: 120_000, intervalMs: 200 },
    );

    assert.equal(state.pid, proc.child.pid);
    assert.deepEqual(
      state.services.map((s) => s.name),
      SERVICES,
    );
    const pids = [state.nats.pid, ...state.services.map((s) => s.pid)];
    assert.equal(new Set(pids).size, 6);
    for (const pid of pids) assert.ok(alive(pid), `pid ${pid} running`);

    for (const s of state.services) {
      assert.match(String(s.url), /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${s.url}/readyz`);
      assert.equal(res.status, 200, `${s.name} /readyz`);
    }

    // The one summary line, and readable (not JSON) log lines.
    await waitFor('summary line', () => (proc.output().includes('assay is ready:') ? true : undefined), { process: proc });
    const summary = proc
      .output()
      .split('\n')
      .filter((l) => l.includes('assay is ready:'));
    assert.equal(summary.length, 1);
    for (const s of state.services) assert.ok(summary[0]!.includes(`${s.name} ${s.url}`), summary[0]);
    assert.ok(summary[0]!.includes(state.nats.url));
    // Then where the console is, also in the state file; it answers with its sign-in page.
    const consoleUrl = `${state.services.find((s) => s.name === 'policy')!.url}/console/`;
    assert.equal(state.console?.url, consoleUrl);
    const consoleLine = await waitFor(
      'console line',
      () => proc.output().match(/stack +INFO +console: (\S+) \(sign in with the policy API token in (\S+)\)$/m) ?? undefined,
      { process: proc },
    );
    assert.equal(consoleLine[1], consoleUrl);
    assert.equal(consoleLine[2], stateFile);
    const toLogin = await fetch(consoleUrl, { redirect: 'manual' });
    assert.equal(toLogin.status, 303);
    assert.match(toLogin.headers.get('location') ?? '', /^\/console\/login\?next=/);
    assert.match(proc.output(), /^\d\d:\d\d:\d\d scanner +INFO +service started /m);
    assert.ok(!/\u001b\[/.test(proc.output()), 'no colours when stdout is not a terminal');

    // One NATS user per service, with a random password kept in the state directory.
    const usersFile = join(dir.path, 'nats', 'users.json');
    assert.equal(statSync(usersFile).mode & 0o777, 0o600);
    const users = JSON.parse(readFileSync(usersFile, 'utf8')) as { user: string; password: string }[];
    for (const name of SERVICES) {
      const u = users.find((x) => x.user === name);
      assert.ok(u && u.password.length >= 24, `user ${name}`);
      assert.ok(!readFileSync(join(dir.path, 'nats', 'nats-server.conf'), 'utf8').includes(u.password), 'config holds only hashes');
    }
    const scanner = users.find((u) => u.user === 'scanner')!;
    const nc = await connect({ servers: state.nats.url, user: 'scanner', pass: scanner.password });
    await nc.close();
    await assert.rejects(connect({ servers: state.nats.url, user: 'scanner', pass: 'wrong' }));

    proc.child.kill('SIGINT');
    const code = await proc.exited;
    assert.equal(code, 0, proc.output().slice(-4000));
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still running after the stack stopped`);
    assert.ok(!existsSync(stateFile), 'state file removed');
    assert.match(proc.output(), /local stack stopped/);
  });

  it('restarts a service that dies (pid file, same URL, ready again) while the others keep running, and nats-server too', async () => {
    const dir = await makeTempDir('local-stack');
    dirs.push(dir);
    const proc = launch(dir.path);
    procs.push(proc);
    const stateFile = join(dir.path, 'local-stack.json');
    const state = await waitFor(
      'every service ready',
      () => {
        const s = readState(stateFile);
        return s?.ready ? s : undefined;
      },
      { process: proc, timeoutMs: 120_000, intervalMs: 200 },
    );
    const victim = state.services.find((s) => s.name === 'policy')!;
    const others = state.services.filter((s) => s.name !== 'policy');
    // The pid file README tells users to kill to restart one service by hand.
    assert.equal(readFileSync(join(dir.path, 'run', 'policy.pid'), 'utf8').trim(), String(victim.pid));

    // Twice: a crash (SIGKILL) and a restart by hand (SIGTERM, a clean exit).
    let previous = victim.pid;
    for (const [round, signal] of [
      [1, 'SIGKILL'],
      [2, 'SIGTERM'],
    ] as const) {
      process.kill(previous, signal);
      const again = await waitFor(
        `policy ready again (restart ${round})`,
        () => {
          const s = readState(stateFile)?.services.find((x) => x.name === 'policy');
          return s && s.pid !== previous && s.ready && s.restarts === round ? s : undefined;
        },
        { process: proc, timeoutMs: 90_000, intervalMs: 200 },
      );
      assert.ok(!alive(previous), 'the old process is gone');
      assert.ok(alive(again.pid), 'the new process runs');
      assert.equal(again.url, victim.url, 'it takes its previous port again');
      assert.equal((await fetch(`${again.url}/readyz`)).status, 200, 'policy /readyz answers again');
      assert.equal(readFileSync(join(dir.path, 'run', 'policy.pid'), 'utf8').trim(), String(again.pid));
      previous = again.pid;
    }
    const out = proc.output();
    assert.match(out, /stack +WARN +policy exited \(signal SIGKILL\); restarting it .*restart_in_ms=1000 restarts=1/);
    assert.match(out, /stack +WARN +policy exited \(exit code 0\); restarting it .*restart_in_ms=2000 restarts=2/);
    assert.match(out, /stack +INFO +policy is ready again /);
    assert.equal(proc.child.exitCode, null, 'the launcher keeps running');
    const now = readState(stateFile)!;
    for (const s of others) {
      assert.ok(alive(s.pid), `${s.name} still running`);
      assert.equal(now.services.find((x) => x.name === s.name)!.pid, s.pid, `${s.name} was not restarted`);
      assert.equal((await fetch(`${s.url}/readyz`)).status, 200, `${s.name} /readyz`);
    }

    // nats-server too is started again (same port, same JetStream store): the services
    // reconnect and are ready again, without being restarted themselves.
    process.kill(state.nats.pid, 'SIGKILL');
    const natsAgain = await waitFor(
      'nats-server started again',
      () => {
        const s = readState(stateFile);
        return s && s.nats.pid !== state.nats.pid ? s.nats : undefined;
      },
      { process: proc, timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(natsAgain.url, state.nats.url, 'on the same port');
    assert.match(proc.output(), /stack +WARN +nats-server exited \(signal SIGKILL\); restarting it/);
    const all = [...others, { name: 'policy', pid: previous, url: victim.url }];
    for (const s of all) {
      await waitFor(
        `${s.name} ready after the NATS restart`,
        async () => ((await fetch(`${s.url}/readyz`)).status === 200 ? true : undefined),
        {
          process: proc,
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
    }
    const provisioned = await connect({
      servers: natsAgain.url,
      user: 'assay-local-demo',
      pass: readState(stateFile)!.nats.demo!.password,
    });
    const jsm = await provisioned.jetstreamManager();
    assert.ok((await jsm.streams.info('ASSAY_AUDIT')).config.name, 'JetStream state survived');
    await provisioned.close();

    const last = readState(stateFile)!;
    proc.child.kill('SIGINT');
    const code = await proc.exited;
    assert.equal(code, 0, proc.output().slice(-4000));
    for (const pid of [last.nats.pid, ...last.services.map((s) => s.pid)]) assert.ok(!alive(pid), `pid ${pid} still running`);
    assert.ok(!existsSync(join(dir.path, 'run')), 'pid files removed');
  });
});

describe('local stack: a launcher killed outright', () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  const procs: ManagedProcess[] = [];
  const strays: number[] = [];
  after(async () => {
    for (const p of procs) await p.kill();
    for (const pid of strays) {
      // Only a process still running what the stack started (never a reused pid).
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmd.includes('nats-server') || cmd.includes('main.ts')) process.kill(pid, 'SIGKILL');
    }
    for (const d of dirs) await d.remove();
  });

  it('takes its services with it, and the next start clears the leftover nats-server', async () => {
    const dir = await makeTempDir('local-stack');
    dirs.push(dir);
    const stateFile = join(dir.path, 'local-stack.json');
    // LOG_LEVEL=warn: the launcher must learn the services' ports without their info logs.
    const first = launch(dir.path, { LOG_LEVEL: 'warn' });
    procs.push(first);
    const state = await waitFor(
      'every service ready',
      () => {
        const s = readState(stateFile);
        return s?.ready ? s : undefined;
      },
      { process: first, timeoutMs: 120_000, intervalMs: 200 },
    );
    strays.push(state.nats.pid, ...state.services.map((s) => s.pid));

    await first.kill(); // SIGKILL: no chance to clean up
    await waitFor('services gone with their launcher', () => (state.services.every((s) => !alive(s.pid)) ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    assert.ok(alive(state.nats.pid), 'nats-server has no way to notice; it is left over');

    const second = launch(dir.path, { LOG_LEVEL: 'warn' });
    procs.push(second);
    const again = await waitFor(
      'every service ready again',
      () => {
        const s = readState(stateFile);
        return s?.ready && s.pid === second.child.pid ? s : undefined;
      },
      { process: second, timeoutMs: 120_000, intervalMs: 200 },
    );
    strays.push(again.nats.pid, ...again.services.map((s) => s.pid));
    assert.ok(!alive(state.nats.pid), 'the leftover nats-server was stopped');
    assert.match(
      second.output(),
      new RegExp(`stopping a leftover process of a previous run leftover_pid=${state.nats.pid} command=nats-server`),
    );
    for (const s of again.services) assert.equal((await fetch(`${s.url}/readyz`)).status, 200);

    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.output().slice(-4000));
    for (const pid of [again.nats.pid, ...again.services.map((s) => s.pid)]) assert.ok(!alive(pid), `pid ${pid} still running`);
  });
});
