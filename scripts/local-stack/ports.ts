// Ports for the local stack: the usual one when it is free, any free one otherwise.
import { createServer } from 'node:net';
import type { LocalStackOptions } from './options.ts';
import { SERVICES } from './services.ts';

/** Whether `port` can be listened on at `host` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `preferred` if free; 0 (let the server pick one) when it is busy or 0 itself. */
export async function preferPort(preferred: number, host = '127.0.0.1'): Promise<number> {
  if (preferred === 0) return 0;
  return (await isPortFree(preferred, host)) ? preferred : 0;
}

export interface PortReservation {
  readonly port: number;
  /** Stops holding the port, just before the process that needs it binds it. */
  release(): Promise<void>;
}

function listenOn(port: number, host: string): Promise<ReturnType<typeof createServer> | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host, exclusive: true }, () => resolve(srv));
  });
}

/**
 * Holds `preferred` (or, when it is busy or 0, a port the kernel picks) until released. Ports
 * another process must know in advance stay bound meanwhile, so nats-server or a service that
 * asks the kernel for any free port can never be handed the same one.
 */
export async function reservePort(preferred: number, host = '127.0.0.1'): Promise<PortReservation> {
  const srv = (preferred !== 0 ? await listenOn(preferred, host) : undefined) ?? (await listenOn(0, host));
  if (!srv) throw new Error(`no free port on ${host}`);
  const a = srv.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  let released: Promise<void> | undefined;
  return {
    port,
    release: () => (released ??= new Promise<void>((resolve) => srv.close(() => resolve()))),
  };
}

export interface KnownPorts {
  readonly webhookReservation: PortReservation | undefined;
  readonly watcherReservation: PortReservation;
  readonly registryReservation: PortReservation | undefined;
  releaseReservations(): Promise<unknown>;
}

/**
 * Ports other processes must know in advance (the registry notifies the watcher; the demo calls
 * the webhook): the usual one, or a free one when it is busy or 0 is asked for. Each stays held
 * until just before its process binds it, so nothing that asks the kernel for any free port
 * meanwhile (nats-server, the other services' health servers) can be handed it.
 */
export async function reserveKnownPorts(
  options: Pick<LocalStackOptions, 'basePort' | 'webhookPort' | 'registryPort'>,
  wanted: { webhook: boolean; registry: boolean },
): Promise<KnownPorts> {
  const reserveFixed = (explicit: number | undefined, usual: number) => reservePort(explicit ?? (options.basePort === 0 ? 0 : usual));
  const webhookReservation = wanted.webhook ? await reserveFixed(options.webhookPort, 8443) : undefined;
  const watcherIndex = SERVICES.findIndex((s) => s.name === 'registry-watcher');
  const watcherWanted =
    options.basePort === undefined ? SERVICES[watcherIndex]!.port : options.basePort === 0 ? 0 : options.basePort + watcherIndex;
  const watcherReservation = await reservePort(watcherWanted);
  const registryReservation = wanted.registry ? await reserveFixed(options.registryPort, 5000) : undefined;
  return {
    webhookReservation,
    watcherReservation,
    registryReservation,
    releaseReservations: () => Promise.all([webhookReservation?.release(), watcherReservation.release(), registryReservation?.release()]),
  };
}
