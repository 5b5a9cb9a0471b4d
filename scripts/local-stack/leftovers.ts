// A previous launcher killed outright (SIGKILL, a closed terminal) cannot stop nats-server or the
// registry: the next start finds them in the state file it left and ends them, by pid and only
// while that pid still runs the command the stack started (never a reused pid).
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { StackState } from './state-file.ts';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * A previous launcher that was killed outright may have left its children running: end those
 * (by pid, and only when the pid still runs the command we started), or refuse if that launcher
 * is itself still running.
 */
export async function cleanUpLeftovers(stateFile: string, log: (level: string, msg: string, fields?: Record<string, unknown>) => void) {
  if (!existsSync(stateFile)) return;
  let state: StackState;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as StackState;
  } catch {
    await rm(stateFile, { force: true });
    return;
  }
  if (state.pid !== process.pid && isAlive(state.pid) && cmdline(state.pid).includes('local-stack')) {
    throw new Error(`another local stack is running (pid ${state.pid}); stop it first (Ctrl-C in its terminal, or kill ${state.pid})`);
  }
  const leftovers = [
    { pid: state.nats?.pid, expect: 'nats-server' },
    { pid: state.registry?.pid, expect: 'docker-registry' },
    ...(state.services ?? []).map((s) => ({ pid: s.pid, expect: `services/${s.name}/src/main.ts` })),
  ].filter(
    (p): p is { pid: number; expect: string } =>
      typeof p.pid === 'number' && p.pid > 0 && isAlive(p.pid) && cmdline(p.pid).includes(p.expect),
  );
  const signalAll = (sig: NodeJS.Signals) => {
    for (const p of leftovers) {
      // Only while the pid still runs what we started (never a reused pid).
      if (!isAlive(p.pid) || !cmdline(p.pid).includes(p.expect)) continue;
      try {
        process.kill(p.pid, sig);
      } catch {
        // gone meanwhile
      }
    }
  };
  for (const p of leftovers) log('warn', 'stopping a leftover process of a previous run', { leftover_pid: p.pid, command: p.expect });
  // SIGTERM first (nats-server flushes JetStream), SIGKILL for whatever is still there after 5 s.
  signalAll('SIGTERM');
  let deadline = Date.now() + 5000;
  while (leftovers.some((p) => isAlive(p.pid) && cmdline(p.pid).includes(p.expect)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  signalAll('SIGKILL');
  deadline = Date.now() + 5000;
  while (leftovers.some((p) => isAlive(p.pid) && cmdline(p.pid).includes(p.expect)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  await rm(stateFile, { force: true });
}
