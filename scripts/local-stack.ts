// `npm start`: the whole of Assay on this machine. Starts nats-server (state in .assay/nats/),
// provisions the topology, starts the five services as child processes with their own NATS
// users, prints their logs readably, and reports once every one is ready, then where the web
// console is. A service that exits is started again (after 1 s, doubling to 30 s while it keeps
// exiting) and the others keep running; `kill $(cat .assay/run/<service>.pid)` restarts one by
// hand. Ctrl-C stops it all.
//
// Environment: ASSAY_STATE_DIR (default <repo>/.assay), ASSAY_NATS_PORT (default 4222, any free
// port when busy; 0 = any free port), ASSAY_BASE_PORT (default: 8081..8085; 0 = free ports),
// ASSAY_REGISTRY_PORT (default 5000), ASSAY_WEBHOOK_PORT (default 8443), ASSAY_READY_TIMEOUT_MS,
// ASSAY_STOP_GRACE_MS; ES_URL (audit writes to that Elasticsearch); LOG_LEVEL and
// ASSAY_CONFIG_FILE reach the services; NO_COLOR / FORCE_COLOR. Also a local registry
// (docker-registry, storage in .assay/registry/) and the HTTPS admission webhook (TLS material
// generated into .assay/tls/), for `npm run demo`.
import { createFormatter, useColor } from './local-stack/format.ts';
import { consoleLine, consoleUrl, optionsFromEnv, startLocalStack, type LocalStack } from './local-stack/stack.ts';

const color = useColor(process.stdout);
const fmt = createFormatter({ color, nameWidth: 16 });
const say = (level: string, msg: string) => process.stdout.write(fmt.message('stack', level, msg) + '\n');

let stack: LocalStack | undefined;
let signalled = 0;
let exitCode: number | undefined;

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signalled++;
    if (signalled > 1) {
      say('warn', `second ${sig}: killing everything now`);
      stack?.kill();
      process.exit(130);
    }
    if (!stack) {
      // Still starting: stop as soon as there is something to stop.
      exitCode = 0;
      return;
    }
    void stack.stop(sig);
  });
}
// Whatever happens, no child outlives the launcher.
process.on('exit', () => stack?.kill());

try {
  stack = await startLocalStack({ ...optionsFromEnv(process.env), color });
} catch (err) {
  say('error', `local stack failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
if (exitCode !== undefined) void stack.stop('signal during start');

stack.ready.then(
  () => {
    const parts = [
      `nats ${stack!.natsUrl}`,
      `registry ${stack!.registryUrl ?? '(none: docker-registry not installed)'}`,
      ...stack!.services().map((s) => `${s.name} ${s.url}`),
      `webhook ${stack!.webhookUrl ?? '(none: openssl not installed)'}`,
    ];
    say('info', `assay is ready: ${parts.join(' | ')} (Ctrl-C to stop)`);
    const policy = stack!.services().find((s) => s.name === 'policy')?.url;
    if (policy) say('info', consoleLine(consoleUrl(policy), stack!.stateFile));
  },
  () => {
    // Reported by the stack, which is shutting down.
  },
);

process.exit(await stack.done);
