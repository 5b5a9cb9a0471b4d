// Real nats-server (Debian package) with JetStream on free loopback ports: one node, or a
// 3-node cluster. Each node keeps its port and store across restarts, so tests can stop a
// server and bring the same one back.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort } from './ports.ts';
import { type ManagedProcess, startProcess, waitFor } from './processes.ts';
import { makeTempDir } from './tempdir.ts';

export interface NatsUser {
  user: string;
  password: string;
  /** Subjects the user may publish/subscribe to; absent means everything. */
  permissions?: { publish?: string[]; subscribe?: string[] };
}

export interface NatsNodeOptions {
  users?: NatsUser[];
  /** Extra raw nats-server configuration appended to the generated file. */
  extraConfig?: string;
}

export interface NatsNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly process: () => ManagedProcess | undefined;
  /** Starts (or restarts) the node on its port with its store. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** Crash (SIGKILL). */
  kill(): Promise<void>;
}

export interface NatsServer extends NatsNode {
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  readonly urls: string[];
  close(): Promise<void>;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function authorizationBlock(users: NatsUser[] | undefined): string {
  if (!users || users.length === 0) return '';
  const entries = users.map((u) => {
    const perms = u.permissions
      ? ` permissions: { ${u.permissions.publish ? `publish: ${JSON.stringify(u.permissions.publish)}` : ''} ${
          u.permissions.subscribe ? `subscribe: ${JSON.stringify(u.permissions.subscribe)}` : ''
        } }`
      : '';
    return `    { user: ${quote(u.user)}, password: ${quote(u.password)}${perms} }`;
  });
  return `authorization {\n  users: [\n${entries.join('\n')}\n  ]\n}\n`;
}

async function makeNode(name: string, dir: string, port: number, clusterConfig: string, opts: NatsNodeOptions): Promise<NatsNode> {
  const configFile = join(dir, `${name}.conf`);
  const config =
    `server_name: ${quote(name)}\n` +
    `listen: "127.0.0.1:${port}"\n` +
    `jetstream { store_dir: ${quote(join(dir, 'store'))} }\n` +
    clusterConfig +
    authorizationBlock(opts.users) +
    (opts.extraConfig ?? '');
  await writeFile(configFile, config);
  let proc: ManagedProcess | undefined;
  const url = `nats://127.0.0.1:${port}`;
  const node: NatsNode = {
    name,
    port,
    url,
    dir,
    process: () => proc,
    async start() {
      if (proc && proc.child.exitCode === null && proc.child.signalCode === null) return;
      proc = startProcess('nats-server', ['-c', configFile]);
      const p = proc;
      await waitFor(`nats-server ${name} on ${port}`, () => (p.output().includes('Server is ready') ? true : undefined), {
        process: p,
        timeoutMs: 20_000,
      });
    },
    async stop() {
      await proc?.stop();
    },
    async kill() {
      await proc?.kill();
    },
  };
  return node;
}

/** One nats-server with JetStream on a free loopback port. */
export async function startNatsServer(opts: NatsNodeOptions = {}): Promise<NatsServer> {
  const tmp = await makeTempDir('nats');
  const node = await makeNode('n1', tmp.path, await freePort(), '', opts);
  try {
    await node.start();
  } catch (err) {
    await node.kill();
    await tmp.remove();
    throw err;
  }
  return {
    ...node,
    async close() {
      await node.stop();
      await tmp.remove();
    },
  };
}

/** A JetStream cluster of `size` nodes (3 by default), ready once JetStream has a meta leader. */
export async function startNatsCluster(size = 3, opts: NatsNodeOptions = {}): Promise<NatsCluster> {
  const tmp = await makeTempDir('nats-cluster');
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const routes = routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ');
  const nodes: NatsNode[] = [];
  for (let i = 0; i < size; i++) {
    const dir = join(tmp.path, `n${i + 1}`);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    const cluster = `cluster { name: "assay-test", listen: "127.0.0.1:${routePorts[i]}", routes: [${routes}] }\n`;
    nodes.push(await makeNode(`n${i + 1}`, dir, clientPorts[i]!, cluster, opts));
  }
  const close = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await tmp.remove();
  };
  try {
    // Nodes wait for their routes before reporting ready, so start them together.
    await Promise.all(nodes.map((n) => n.start()));
    const urls = nodes.map((n) => n.url);
    const user = opts.users?.[0];
    await waitFor(
      'JetStream cluster meta leader',
      async () => {
        const nc = await connect({ servers: urls, ...(user ? { user: user.user, pass: user.password } : {}) });
        try {
          const jsm = await nc.jetstreamManager({ timeout: 2000 });
          await jsm.getAccountInfo();
          return true;
        } finally {
          await nc.close();
        }
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    await tmp.remove();
    throw err;
  }
  return { nodes, urls: nodes.map((n) => n.url), close };
}
