// A loopback TCP proxy for tests that need to take one client away from a server while others
// keep using it (a network partition): `cut()` destroys every proxied connection and refuses new
// ones until `restore()`. `freeze()` is the silent partition: connections stay open but no byte
// passes either way (no FIN, no RST), as when a network path drops packets. Bytes are otherwise
// passed through untouched.
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** `host:port` clients connect to. */
  readonly address: string;
  /** Connections accepted and passed on so far. */
  readonly accepted: number;
  cut(): void;
  /** Keeps every connection open but passes no bytes until `restore()`. */
  freeze(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let frozen = false;
  let accepted = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (!open) return void client.destroy();
    accepted++;
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    // Not pipe(): a frozen proxy must swallow bytes (write nothing) without closing either side.
    client.on('data', (chunk) => void (frozen || upstream.write(chunk)));
    upstream.on('data', (chunk) => void (frozen || client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    freeze() {
      frozen = true;
    },
    restore() {
      open = true;
      frozen = false;
    },
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
