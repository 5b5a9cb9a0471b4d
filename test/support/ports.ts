// Free loopback ports, asked of the kernel (bind to port 0) rather than guessed.
import { createServer } from 'node:net';

// A port is released before the server that needs it binds it, so the kernel could hand it out
// again meanwhile: never give the same port twice within one test process.
const handedOut = new Set<number>();

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await kernelPort(host);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no fresh free port after 100 attempts');
}
