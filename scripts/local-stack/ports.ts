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
