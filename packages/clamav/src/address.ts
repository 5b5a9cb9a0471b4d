// Where clamd listens, as people write it: `host:port`, `[v6]:port` or `unix:/path/to/clamd.sock`
// (the scanner's CLAMD_ADDRESS, the CLI's --clamd).
import type { ClamdAddress } from './client.ts';

export const CLAMD_ADDRESS_EXPECTED = 'host:port or unix:/path/to/clamd.sock';

/** The address, or undefined when `text` is none of the accepted forms. */
export function parseClamdAddress(text: string): ClamdAddress | undefined {
  const t = text.trim();
  if (t.startsWith('unix:')) {
    const socketPath = t.slice('unix:'.length);
    return socketPath.startsWith('/') ? { socketPath } : undefined;
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/[\]]+)):(\d{1,5})$/.exec(t);
  const port = Number(m?.[3]);
  return m && port >= 1 && port <= 65535 ? { host: (m[1] ?? m[2])!, port } : undefined;
}
