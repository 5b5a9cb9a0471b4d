// Ports for the local stack: the usual one when it is free, any free one otherwise.
import { createServer } from 'node:net';

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
