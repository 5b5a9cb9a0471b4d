// Child processes of the local stack: each in its own process group (so a terminal's Ctrl-C
// reaches the launcher alone and it stops them in order), output split into lines, stopped
// with SIGTERM and, after a grace period, SIGKILL.
import { spawn, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** "exit code 1", "signal SIGKILL". */
  description: string;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Set once the process has exited. */
  readonly exitStatus: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<ExitStatus>;
  /** SIGKILL now (synchronous; for the last resort at exit). */
  killNow(): void;
}

export function spawnChild(
  name: string,
  command: string,
  args: readonly string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    onLine: (line: string, stream: 'stdout' | 'stderr') => void;
    /** Opens an IPC channel (Node children) and receives its messages. */
    onMessage?: (message: unknown) => void;
  },
): Child {
  const options: SpawnOptions = {
    stdio: opts.onMessage ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  };
  const proc = spawn(command, args, options);
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null, extra?: string) => {
      if (status) return;
      status = {
        code,
        signal,
        description: extra ?? (signal ? `signal ${signal}` : `exit code ${code}`),
      };
      resolve(status);
    };
    // 'close' (not 'exit'): all output has been read by then.
    proc.once('close', (code, signal) => done(code, signal));
    proc.once('error', (err) => done(null, null, `cannot run ${command}: ${err.message}`));
  });
  if (opts.onMessage) proc.on('message', opts.onMessage);
  for (const stream of ['stdout', 'stderr'] as const) {
    const s = proc[stream];
    if (!s) continue;
    createInterface({ input: s, crlfDelay: Infinity }).on('line', (line) => opts.onLine(line, stream));
  }
  const signal = (sig: NodeJS.Signals) => {
    if (status || proc.pid === undefined) return;
    try {
      proc.kill(sig);
    } catch {
      // already gone
    }
  };
  return {
    name,
    pid: proc.pid ?? -1,
    get exitStatus() {
      return status;
    },
    exited,
    async stop(graceMs) {
      if (status) return status;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      const s = await exited;
      clearTimeout(timer);
      return s;
    },
    killNow() {
      signal('SIGKILL');
    },
  };
}
