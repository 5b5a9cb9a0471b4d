// The whole system on one machine: nats-server with JetStream, the full topology, and the
// five services as child processes, each authenticating as its own NATS user. A process that
// exits (a service, nats-server, the registry) is started again with backoff while the others
// keep running (`kill` a service's pid, from <state>/run/<service>.pid, to restart it by hand);
// only a stop request ends the stack. Started by `npm start` (scripts/local-stack.ts);
// importable so tests can drive it.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBus, provisionTopology } from '@assay/bus';
import { FullTopology } from '@assay/proto';
import { spawnChild, type Child } from './children.ts';
import { cleanUpLeftovers } from './leftovers.ts';
import { createFormatter, type LogFormatter } from './format.ts';
import { logFile } from './log-file.ts';
import { ensureSecrets, ensureTls, hasBinary, startRegistry, type RegistryProcess } from './extras.ts';
import { ADMIN_USER, DEMO_USER, ensureUsers, startNats, type NatsProcess } from './nats.ts';
import { preferPort, reserveKnownPorts } from './ports.ts';
import { readyz, waitReadyAgain } from './readiness.ts';
import { classifyRegistryLine } from './registry-log.ts';
import type { LocalStackOptions } from './options.ts';
import { consoleUrl, StateFile, type ServiceInfo, type StackState } from './state-file.ts';
import { SERVICES, serviceEnv, type ServiceName } from './services.ts';
import { Supervisor, type RestartInfo } from './supervisor.ts';

export { optionsFromEnv, type LocalStackOptions } from './options.ts';
export { consoleLine, consoleUrl, type ServiceInfo, type StackState } from './state-file.ts';
export { SERVICES, type ServiceName } from './services.ts';

/** The repository root, from this file's place in it. */
export const REPO_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

export interface LocalStack {
  readonly stateFile: string;
  readonly natsUrl: string;
  /** `http://127.0.0.1:PORT` of the local registry, when docker-registry is installed. */
  readonly registryUrl: string | undefined;
  /** `https://127.0.0.1:PORT` of the admission webhook, when openssl is installed. */
  readonly webhookUrl: string | undefined;
  services(): ServiceInfo[];
  /** Resolves once every service answers /readyz 200; rejects on timeout or if the stack fails first. */
  readonly ready: Promise<void>;
  /** Stops the services, then nats-server. Idempotent; resolves with the stack's exit code. */
  stop(reason?: string): Promise<number>;
  /** SIGKILLs every child at once (a second Ctrl-C). */
  kill(): void;
  /** Resolves with the exit code once the stack has stopped (0 after a requested stop, 1 after a failure). */
  readonly done: Promise<number>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const stateDir = options.stateDir ?? join(REPO_ROOT, '.assay');
  const natsDir = join(stateDir, 'nats');
  const stateFile = join(stateDir, 'local-stack.json');
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const fmt: LogFormatter = createFormatter({ color: options.color ?? false, nameWidth: 16 });
  const log = (level: string, msg: string, fields?: Record<string, unknown>) => write(fmt.message('stack', level, msg, fields) + '\n');

  await mkdir(natsDir, { recursive: true, mode: 0o700 });
  await cleanUpLeftovers(stateFile, log);

  const users = await ensureUsers(natsDir, [ADMIN_USER, DEMO_USER, ...SERVICES.map((s) => s.name)]);
  const secrets = await ensureSecrets(stateDir);
  const tls = ensureTls(stateDir);
  if (!tls) log('warn', 'openssl is not installed: the admission webhook does not run (install the Debian package openssl)');
  const { webhookReservation, watcherReservation, registryReservation, releaseReservations } = await reserveKnownPorts(options, {
    webhook: tls !== undefined,
    registry: hasBinary('docker-registry'),
  });
  const webhookPort = webhookReservation?.port;
  const watcherPort = watcherReservation.port;
  const natsPort = await preferPort(options.natsPort ?? 4222);
  if (options.natsPort === undefined && natsPort !== 4222) log('warn', 'port 4222 is busy; nats-server takes a free port');

  // nats-server's own log goes to a file; warnings and errors also to the terminal.
  const natsLog = logFile(join(natsDir, 'nats-server.log'));
  const onNatsLine = (line: string) => {
    natsLog.append(line);
    const m = /^\[\d+\] \S+ \S+ \[(WRN|ERR|FTL)\] (.*)$/.exec(line);
    if (m) log(m[1] === 'WRN' ? 'warn' : m[1] === 'ERR' ? 'error' : 'fatal', `nats-server: ${m[2]}`);
  };
  const nats: NatsProcess = await startNats({ dir: natsDir, port: natsPort, users: [...users.values()], onLine: onNatsLine }).catch(
    async (err: unknown) => {
      await releaseReservations();
      throw err;
    },
  );
  log('info', 'nats-server listening', { url: nats.url, nats_pid: nats.child.pid, state: natsDir });

  let registry: RegistryProcess | undefined;
  const registryDir = join(stateDir, 'registry');
  const registryLog = logFile(join(registryDir, 'registry.log'));
  const debugging = /^(debug|trace)$/i.test(env.LOG_LEVEL ?? '');
  const startLocalRegistry = (port: number) =>
    startRegistry({
      stateDir,
      port,
      notifyUrl: `http://127.0.0.1:${watcherPort}/registry/events/local`,
      token: secrets.notificationToken,
      onLine: (line) => {
        registryLog.append(line);
        const shown = classifyRegistryLine(line);
        if (shown && (shown.level !== 'debug' || debugging)) log(shown.level, shown.message);
      },
    });
  if (!hasBinary('docker-registry')) {
    log('warn', 'docker-registry is not installed: no local registry (install the Debian package docker-registry)');
  } else {
    try {
      registry = await startLocalRegistry(await registryReservation!.release().then(() => registryReservation!.port));
      log('info', 'local registry listening', { url: registry.url, registry_pid: registry.child.pid, storage: join(registryDir, 'data') });
    } catch (err) {
      // The rest of the system is still useful without it.
      log('warn', `no local registry: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const registries = registry
    ? JSON.stringify([{ name: 'local', url: registry.url, insecure: true, trustNotifications: true }])
    : undefined;
  const webhookUrl = tls && webhookPort ? `https://127.0.0.1:${webhookPort}` : undefined;
  const demoUser = users.get(DEMO_USER)!;
  const extraEnv = (name: ServiceName) => serviceEnv(name, { env, secrets, registries, tls, webhookPort });

  const children = new Map<ServiceName, Supervisor>();
  const infos: ServiceInfo[] = [];
  const pidDir = join(stateDir, 'run');
  await mkdir(pidDir, { recursive: true, mode: 0o700 });
  let stopping: Promise<number> | undefined;
  let failed = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const startedAt = new Date().toISOString();
  let everReady = false;
  const policyUrl = () => infos.find((i) => i.name === 'policy')?.url;
  const state = new StateFile(stateFile, (): StackState => ({
    pid: process.pid,
    startedAt,
    ready: everReady,
    nats: { pid: natsSup.child!.pid, url: nats.url, demo: { user: demoUser.user, password: demoUser.password } },
    services: infos,
    ...(registry
      ? { registry: { pid: registrySup?.child?.pid ?? registry.child.pid, url: registry.url, host: registry.host, name: 'local' } }
      : {}),
    ...(tls && webhookUrl ? { webhook: { url: webhookUrl, caCert: tls.caCert } } : {}),
    policyApi: { url: policyUrl(), token: secrets.policyApiToken },
    ...(policyUrl() ? { console: { url: consoleUrl(policyUrl()!) } } : {}),
    ...(env.ES_URL ? { esUrl: env.ES_URL } : {}),
  }));
  const writeState = () => state.write();

  const stop = (reason = 'stop requested'): Promise<number> => {
    stopping ??= (async () => {
      log('info', 'stopping the local stack', { reason });
      await releaseReservations();
      await Promise.all(
        [...children.values()].map(async (c) => {
          const s = await c.stop(stopGraceMs);
          if (s?.signal === 'SIGKILL') log('warn', `${c.name} did not stop within ${stopGraceMs} ms; killed`);
        }),
      );
      await rm(pidDir, { recursive: true, force: true });
      if (registrySup) {
        const r = await registrySup.stop(stopGraceMs);
        if (r?.signal === 'SIGKILL') log('warn', `docker-registry did not stop within ${stopGraceMs} ms; killed`);
        await registryLog.flushed();
      }
      const s = await natsSup.stop(stopGraceMs);
      if (s?.signal === 'SIGKILL') log('warn', `nats-server did not stop within ${stopGraceMs} ms; killed`);
      await natsLog.flushed();
      await state.remove();
      const code = failed ? 1 : 0;
      log(code === 0 ? 'info' : 'error', code === 0 ? 'local stack stopped' : 'local stack stopped after a failure');
      resolveDone(code);
      return code;
    })();
    return stopping;
  };

  const fail = (msg: string, fields?: Record<string, unknown>) => {
    if (stopping) return;
    failed = true;
    log('error', msg, fields);
    void stop(msg);
  };

  const logExit = (name: string, r: RestartInfo) => {
    const fields = { exit: r.status.description, up_s: Math.round(r.uptimeMs / 1000), restart_in_ms: r.delayMs, restarts: r.restarts };
    // A crash loop stays visible (an error from the third exit in a row) and never stops the others.
    if (r.consecutive >= 3) log('error', `${name} keeps exiting (${r.consecutive} times in a row); restarting it with backoff`, fields);
    else log('warn', `${name} exited (${r.status.description}); restarting it`, fields);
  };
  // nats-server and the registry are started again like a service, on the same port with the
  // same storage (JetStream's state and the images survive); the services reconnect.
  const superviseServer = (name: string, first: Child, again: () => Promise<Child>) => {
    const sup = new Supervisor({
      name,
      start: (restarts) => (restarts === 0 ? first : again()),
      onStart: (child, restarts) => {
        if (restarts === 0) return;
        log('info', `${name} started again`, { server_pid: child.pid, restarts });
        void writeState();
      },
      onExit: (r) => logExit(name, r),
      onStartError: (err) => log('error', `cannot start ${name} again: ${err instanceof Error ? err.message : String(err)}`),
    });
    void sup.start();
    return sup;
  };
  const natsSup = superviseServer(
    'nats-server',
    nats.child,
    async () => (await startNats({ dir: natsDir, port: nats.port, users: [...users.values()], onLine: onNatsLine })).child,
  );
  const registrySup = registry
    ? superviseServer('docker-registry', registry.child, async () => (await startLocalRegistry(Number(new URL(registry!.url).port))).child)
    : undefined;

  /** After a restart: waits for the new process to answer /readyz 200, and says so. */
  const readyAgain = async (info: ServiceInfo, child: Child) => {
    const ready = await waitReadyAgain({
      child,
      url: () => info.url,
      stopped: () => stopping !== undefined,
      warnAfterMs: readyTimeoutMs,
      warn: (failing) => log('warn', `${info.name} is not ready ${Math.round(readyTimeoutMs / 1000)} s after its restart`, { failing }),
    });
    if (!ready) return;
    info.ready = true;
    log('info', `${info.name} is ready again`, { service_pid: child.pid, url: info.url, restarts: info.restarts });
    await writeState();
  };

  const kill = () => {
    for (const c of children.values()) c.killNow();
    registrySup?.killNow();
    natsSup.killNow();
  };

  try {
    // Recorded at once (and after every child), so a launcher killed outright leaves a trace
    // of what to clean up.
    await writeState();
    // The launcher provisions the whole topology once, as its own user; each service then
    // provisions its slice again (idempotent), as it does in a cluster.
    const admin = users.get(ADMIN_USER)!;
    const bus = await connectBus({ servers: nats.url, name: 'local-stack', user: admin.user, password: admin.password });
    try {
      const jsm = await bus.jetstreamManager();
      // JetStream may need a moment after the port opens.
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await provisionTopology(jsm, FullTopology, { replicas: 1 });
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      await bus.close();
    }
    log('info', 'topology provisioned', {
      streams: FullTopology.streams.length,
      consumers: FullTopology.consumers.length,
      buckets: FullTopology.buckets.length,
    });

    // The launcher sets the services' NATS and HTTP settings; anything else (LOG_LEVEL,
    // ASSAY_CONFIG_FILE, proxies) passes through.
    const inherited = Object.fromEntries(Object.entries(env).filter(([k]) => !/^(NATS_.*|HTTP_HOST|HTTP_PORT|SERVICE_INSTANCE)$/.test(k)));
    for (const [i, svc] of SERVICES.entries()) {
      if (stopping) break;
      const wanted = options.basePort === undefined ? svc.port : options.basePort === 0 ? 0 : options.basePort + i;
      const cred = users.get(svc.name)!;
      const info: ServiceInfo = { name: svc.name, pid: -1, url: undefined, ready: false, restarts: 0 };
      const supervisor = new Supervisor({
        name: svc.name,
        start: async (restarts) => {
          // The watcher's port was fixed earlier: the registry notifies it there. A restarted
          // service takes its previous port again when it is free, so its URL stays the same.
          const previous = info.url ? Number(new URL(info.url).port) : wanted;
          const port = svc.name === 'registry-watcher' ? watcherPort : await preferPort(restarts === 0 ? wanted : previous);
          if (svc.name === 'registry-watcher') await watcherReservation.release();
          if (svc.name === 'admission') await webhookReservation?.release();
          if (restarts === 0 && wanted !== 0 && port === 0) log('warn', `port ${wanted} is busy; ${svc.name} takes a free port`);
          info.url = undefined;
          return spawnChild(svc.name, process.execPath, [join('services', svc.name, 'src', 'main.ts')], {
            cwd: REPO_ROOT,
            env: {
              ...inherited,
              NATS_URL: nats.url,
              NATS_USER: cred.user,
              NATS_PASSWORD: cred.password,
              NATS_REPLICAS: '1',
              HTTP_HOST: '127.0.0.1',
              HTTP_PORT: String(port),
              SERVICE_INSTANCE: `${svc.name}-local`,
              // The embedded store: one SQLite file (WAL) shared by the services that keep state.
              SQLITE_PATH: inherited.SQLITE_PATH ?? join(stateDir, 'data', 'assay.db'),
              ...extraEnv(svc.name),
            },
            onLine: (line) => write(fmt.format(svc.name, line) + '\n'),
            // The service says where its health server listens (it may have picked a free port).
            onMessage: (m) => {
              const msg = m as { type?: unknown; address?: unknown } | null;
              if (msg?.type === 'assay:listening' && typeof msg.address === 'string') {
                info.url = msg.address;
                void writeState();
              }
            },
          });
        },
        onStart: (child, restarts) => {
          info.pid = child.pid;
          info.ready = false;
          info.restarts = restarts;
          // `kill $(cat .assay/run/<service>.pid)` restarts one service by hand.
          void writeFile(join(pidDir, `${svc.name}.pid`), `${child.pid}\n`).catch(() => {});
          void writeState();
          if (restarts > 0) {
            log('info', `${svc.name} started again`, { service_pid: child.pid, restarts });
            void readyAgain(info, child);
          }
        },
        onExit: (r) => {
          info.ready = false;
          void writeState();
          logExit(svc.name, r);
        },
        onStartError: (err) => log('error', `cannot start ${svc.name} again: ${err instanceof Error ? err.message : String(err)}`),
      });
      children.set(svc.name, supervisor);
      infos.push(info);
      await supervisor.start();
      await writeState();
    }
  } catch (err) {
    failed = true;
    log('error', `cannot start the local stack: ${err instanceof Error ? err.message : String(err)}`);
    await stop('start failed');
    throw err;
  }

  const ready = (async () => {
    const deadline = Date.now() + readyTimeoutMs;
    let last: Record<string, string[]> = {};
    while (!stopping) {
      last = {};
      for (const info of infos) {
        if (info.ready) continue;
        if (info.url === undefined) {
          last[info.name] = ['health server not up yet'];
          continue;
        }
        try {
          const r = await readyz(info.url);
          if (r.ok) info.ready = true;
          else last[info.name] = r.failing;
        } catch (err) {
          last[info.name] = [err instanceof Error ? err.message : String(err)];
        }
      }
      if (infos.every((i) => i.ready)) {
        everReady = true;
        await writeState();
        return;
      }
      if (Date.now() > deadline) {
        const why = Object.entries(last)
          .map(([n, f]) => `${n}: ${f.join(', ') || 'not ready'}`)
          .join('; ');
        fail(`services not ready after ${readyTimeoutMs} ms: ${why}`);
        throw new Error(`services not ready after ${readyTimeoutMs} ms: ${why}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the local stack stopped before it was ready');
  })();
  ready.catch(() => {});

  return {
    stateFile,
    natsUrl: nats.url,
    registryUrl: registry?.url,
    webhookUrl,
    services: () => infos.map((i) => ({ ...i })),
    ready,
    stop,
    kill,
    done,
  };
}
