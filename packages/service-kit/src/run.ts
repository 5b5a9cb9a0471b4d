// The process around a service: `main.ts` of every service is `await runService(definition)`.
//
// Exit codes:
//   0   stopped by SIGINT/SIGTERM after a graceful shutdown
//   78  invalid configuration (EX_CONFIG from sysexits.h): one line on stderr, nothing else
//   1   start failed, the bus connection closed for good, an uncaught error, or the graceful
//       shutdown took longer than SHUTDOWN_TIMEOUT
//   130/143  a second SIGINT/SIGTERM during shutdown forced the exit
import { ConfigError, type ConfigShape } from '@assay/config';
import { serviceConfigSpec, type CreateServiceOptions, type ServiceDefinition, type ServiceHandle } from './definition.ts';
import { createService } from './service.ts';

/** EX_CONFIG (sysexits.h): the configuration is invalid. */
export const EXIT_CONFIG = 78;
export const EXIT_FAILURE = 1;

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

export interface RunServiceOptions extends CreateServiceOptions {
  /** Called instead of process.exit (tests). */
  exit?: (code: number) => never;
}

/** `--help`: the service's configuration variables, their defaults and descriptions. */
export function usage<S extends ConfigShape, A>(def: ServiceDefinition<S, A>): string {
  const vars = serviceConfigSpec(def as ServiceDefinition<S, unknown>).variables();
  const width = Math.max(...vars.map((v) => v.name.length));
  const lines = vars.map((v) => {
    const dflt =
      v.default === undefined || v.description?.includes('(default')
        ? ''
        : ` (default: ${Array.isArray(v.default) ? v.default.join(',') : String(v.default)})`;
    return `  ${v.name.padEnd(width)}  ${v.description ?? v.expected ?? ''}${dflt}`;
  });
  return (
    `${def.name}: configured by environment variables, or a YAML/JSON file named by ASSAY_CONFIG_FILE (the environment wins).\n\n` +
    `${lines.join('\n')}\n\n` +
    `Exit codes: 0 after SIGINT/SIGTERM, ${EXIT_CONFIG} invalid configuration, 1 failure.\n`
  );
}

/** Runs a service as the process: starts it, and exits when it stops. Never returns. */
export async function runService<S extends ConfigShape, A>(def: ServiceDefinition<S, A>, opts: RunServiceOptions = {}): Promise<never> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(usage(def));
    return exit(0);
  }
  let svc: ServiceHandle<S, A>;
  // Started by a supervisor with an IPC channel (the local stack): tell it where the health
  // server listens, whatever the log level, and stop when it goes away.
  const supervised = typeof process.send === 'function';
  try {
    svc = createService(def, {
      ...opts,
      onListening: (address) => {
        opts.onListening?.(address);
        if (supervised) process.send?.({ type: 'assay:listening', service: def.name, address }, undefined, {}, () => {});
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${def.name}: ${err.message}\n`);
      return exit(EXIT_CONFIG);
    }
    process.stderr.write(`${def.name}: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return exit(EXIT_FAILURE);
  }
  const { logger } = svc;
  const shutdownTimeoutMs = (svc.config as { SHUTDOWN_TIMEOUT: number }).SHUTDOWN_TIMEOUT;

  let exiting = false;
  const shutdown = (reason: string, code: number) => {
    if (exiting) return;
    exiting = true;
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: shutdownTimeoutMs }, 'graceful shutdown took too long; exiting');
      exit(EXIT_FAILURE);
    }, shutdownTimeoutMs);
    timer.unref();
    void svc.stop(reason).then(() => {
      clearTimeout(timer);
      exit(svc.failure ? EXIT_FAILURE : code);
    });
  };

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (exiting) {
        logger.warn({ signal: sig }, 'second signal: exiting without finishing the shutdown');
        exit(128 + SIGNAL_NUMBERS[sig]);
      }
      logger.info({ signal: sig }, 'signal received; shutting down');
      shutdown(sig, 0);
    });
  }
  if (supervised) {
    // The channel must not keep the process alive, and its end means the supervisor is gone.
    process.channel?.unref();
    process.on('disconnect', () => {
      logger.warn({}, 'supervisor went away; shutting down');
      shutdown('supervisor went away', 0);
    });
  }
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    shutdown('uncaught exception', EXIT_FAILURE);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled promise rejection');
    shutdown('unhandled promise rejection', EXIT_FAILURE);
  });

  try {
    await svc.start();
  } catch {
    // Logged by the service; it has stopped itself.
    return exit(EXIT_FAILURE);
  }
  await svc.done;
  if (!exiting) {
    // Stopped on its own (bus closed for good): a failure if it says so.
    return exit(svc.failure ? EXIT_FAILURE : 0);
  }
  // A signal-driven shutdown exits from `shutdown`; wait for it.
  return new Promise<never>(() => {});
}
