// A service as a real process: it authenticates as its own NATS user, /readyz follows the NATS
// connection, and SIGTERM drains the connection and exits 0.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { authorization, configuredNats, connz, type ConfiguredNats } from './nats-config.ts';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

function startService(name: string, env: Record<string, string>): ManagedProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NATS_|HTTP_|ASSAY_|LOG_LEVEL)/.test(k)));
  return startProcess(process.execPath, [join(root, 'services', name, 'src', 'main.ts')], { env: { ...clean, ...env } });
}

function logLines(p: ManagedProcess): Record<string, unknown>[] {
  return p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function healthUrl(p: ManagedProcess): Promise<string> {
  return waitFor('health server', () => logLines(p).find((l) => typeof l.health_url === 'string')?.health_url as string | undefined, {
    process: p,
    timeoutMs: 30_000,
  });
}

async function readyStatus(url: string): Promise<{ status: number; failing: string[] }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, failing: ((await res.json()) as { failing: string[] }).failing };
}

describe('service process lifecycle', () => {
  let nats: ConfiguredNats;
  after(async () => {
    await nats?.close();
  });

  it('authenticates as itself, follows the bus on /readyz, and drains on SIGTERM (exit 0)', async () => {
    nats = await configuredNats({ authorization: authorization([{ user: 'scanner', password: 'scanner-pw' }]) });
    await nats.start();
    const proc = startService('scanner', {
      NATS_URL: nats.url,
      NATS_USER: 'scanner',
      NATS_PASSWORD: 'scanner-pw',
      HTTP_PORT: '0',
      SERVICE_INSTANCE: 'scanner-t1',
    });
    try {
      const url = await healthUrl(proc);
      await waitFor('ready', async () => ((await readyStatus(url)).status === 200 ? true : undefined), {
        process: proc,
        timeoutMs: 30_000,
      });

      const open = await fetch(`${nats.monitorUrl}/connz?auth=1`).then(
        (r) => r.json() as Promise<{ connections: { name?: string; authorized_user?: string }[] }>,
      );
      const mine = open.connections.find((c) => c.name === 'scanner@scanner-t1');
      assert.ok(mine, `connection not found: ${JSON.stringify(open.connections)}`);
      assert.equal(mine.authorized_user, 'scanner');

      // NATS goes away: not ready (bus), the process stays up; NATS comes back: ready again.
      await nats.stop();
      await waitFor(
        'not ready without NATS',
        async () => {
          const r = await readyStatus(url);
          return r.status === 503 && r.failing.includes('bus') ? true : undefined;
        },
        { process: proc, timeoutMs: 20_000 },
      );
      assert.equal((await fetch(`${url}/healthz`)).status, 200, 'still alive');
      await nats.start();
      await waitFor('ready again', async () => ((await readyStatus(url)).status === 200 ? true : undefined), {
        process: proc,
        timeoutMs: 30_000,
      });

      proc.child.kill('SIGTERM');
      const code = await proc.exited;
      assert.equal(code, 0, proc.output());
      const msgs = logLines(proc).map((l) => l.msg);
      const drained = msgs.indexOf('bus drained');
      assert.ok(
        drained > msgs.indexOf('stopping') && msgs.indexOf('stopping') >= 0,
        `drain logged after stopping: ${JSON.stringify(msgs)}`,
      );
      assert.equal(msgs.at(-1), 'stopped');
      assert.ok(!(await connz(nats.monitorUrl, 'open')).some((c) => c.name === 'scanner@scanner-t1'), 'connection gone');
      const closed = (await connz(nats.monitorUrl, 'closed')).filter((c) => c.name === 'scanner@scanner-t1');
      assert.equal(closed.at(-1)?.reason, 'Client Closed', 'the client closed its connection');
    } finally {
      await proc.kill();
    }
  });

  it('exits 0 on SIGTERM while still waiting for NATS', async () => {
    const unreachable = await configuredNats(); // never started
    const proc = startService('policy', { NATS_URL: unreachable.url, HTTP_PORT: '0' });
    try {
      const url = await healthUrl(proc);
      const r = await readyStatus(url);
      assert.equal(r.status, 503);
      assert.ok(r.failing.includes('bus'));
      proc.child.kill('SIGTERM');
      assert.equal(await proc.exited, 0, proc.output());
    } finally {
      await proc.kill();
      await unreachable.close();
    }
  });
});
