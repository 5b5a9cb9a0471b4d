// A nats-server whose whole configuration the test writes: a port chosen in advance (so a
// service can be started before the server), a monitoring port (/connz), users with deny
// permissions, and configuration reloads (SIGHUP). For everything else use
// test/support/nats-server.ts.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';

export interface ConfiguredNats {
  readonly url: string;
  readonly port: number;
  readonly monitorUrl: string;
  readonly process: () => ManagedProcess | undefined;
  /** Starts the server (once the port is reserved, the test may start clients first). */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM); `start()` brings the same server back. */
  stop(): Promise<void>;
  /** Rewrites the `authorization { … }` block and reloads the running server with it. */
  reload(authorization: string): Promise<void>;
  close(): Promise<void>;
}

export async function configuredNats(opts: { authorization?: string } = {}): Promise<ConfiguredNats> {
  const tmp = await makeTempDir('nats-cfg');
  const port = await freePort();
  const monitorPort = await freePort();
  const configFile = join(tmp.path, 'nats.conf');
  const write = (authorization: string) =>
    writeFile(
      configFile,
      `listen: "127.0.0.1:${port}"\nhttp: "127.0.0.1:${monitorPort}"\njetstream { store_dir: ${JSON.stringify(join(tmp.path, 'store'))} }\n${authorization}\n`,
    );
  await write(opts.authorization ?? '');
  let proc: ManagedProcess | undefined;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    process: () => proc,
    async start() {
      proc = startProcess('nats-server', ['-c', configFile]);
      const p = proc;
      await waitFor('nats-server ready', () => (p.output().includes('Server is ready') ? true : undefined), {
        process: p,
        timeoutMs: 20_000,
      });
    },
    async stop() {
      await proc?.stop();
    },
    async reload(authorization) {
      await write(authorization);
      const p = proc;
      if (!p) throw new Error('not started');
      const before = p.output().split('Reloaded').length;
      p.child.kill('SIGHUP');
      await waitFor('nats-server config reload', () => (p.output().split('Reloaded').length > before ? true : undefined), {
        process: p,
        timeoutMs: 10_000,
      });
    },
    async close() {
      await proc?.stop();
      await tmp.remove();
    },
  };
}

/** An `authorization` block for users with passwords and optional raw permissions. */
export function authorization(users: Array<{ user: string; password: string; permissions?: string }>): string {
  const entries = users.map(
    (u) =>
      `    { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}${u.permissions ? `, permissions: ${u.permissions}` : ''} }`,
  );
  return `authorization {\n  users: [\n${entries.join('\n')}\n  ]\n}`;
}

/** Connections the server has, open or closed, from its monitoring endpoint. */
export async function connz(monitorUrl: string, state: 'open' | 'closed'): Promise<Array<{ name?: string; reason?: string; cid: number }>> {
  const res = await fetch(`${monitorUrl}/connz?state=${state}&limit=1024`);
  const body = (await res.json()) as { connections?: Array<{ name?: string; reason?: string; cid: number }> };
  return body.connections ?? [];
}
