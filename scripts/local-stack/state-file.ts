// `<state>/local-stack.json`: what the running stack tells other tools (`npm run demo`, a next
// launcher cleaning up after one killed outright) — pids, URLs, tokens. Written whole on every
// change, one write at a time, mode 0600 (it holds tokens and a NATS password).
import { chmod, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { CONSOLE_PATH } from '@assay/console';
import type { ServiceName } from './services.ts';

export interface ServiceInfo {
  name: ServiceName;
  pid: number;
  /** `http://127.0.0.1:PORT` of its health server, once known. */
  url: string | undefined;
  /** Whether its current process answers /readyz 200 (false while it restarts). */
  ready: boolean;
  /** How often the launcher has started it again after it exited. */
  restarts: number;
}

/** What `<state>/local-stack.json` holds while the stack runs. */
export interface StackState {
  pid: number;
  startedAt: string;
  /** Every service has been ready at least once (each service's own `ready` is its current state). */
  ready: boolean;
  nats: { pid: number; url: string; demo?: { user: string; password: string } };
  services: ServiceInfo[];
  /** The local OCI registry; absent when docker-registry is not installed. */
  registry?: { pid: number; url: string; host: string; name: string };
  /** The admission webhook over HTTPS; absent without openssl. */
  webhook?: { url: string; caCert: string };
  /** The policy REST API (the policy service's HTTP server) and its bearer token. */
  policyApi?: { url: string | undefined; token: string };
  /** The web console (`<policy API>/console/`), once the policy service listens; sign in with policyApi.token. */
  console?: { url: string };
  /** Elasticsearch audit writes to (ES_URL), when set; otherwise audit events stay in ASSAY_AUDIT. */
  esUrl?: string;
}

/** The web console's address on the policy service at `policyUrl` (its pages are mounted there). */
export function consoleUrl(policyUrl: string): string {
  return `${policyUrl.replace(/\/+$/, '')}${CONSOLE_PATH}/`;
}

/**
 * The line `npm start` and `npm run demo` print: where the console is and which file holds the
 * token that signs in to it (relative to the working directory when inside it).
 */
export function consoleLine(url: string, stateFile: string, cwd = process.cwd()): string {
  const rel = relative(cwd, stateFile);
  const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? stateFile : rel;
  return `console: ${url} (sign in with the policy API token in ${shown})`;
}

export class StateFile {
  readonly path: string;
  readonly #snapshot: () => StackState;
  #writes = Promise.resolve();
  #removed = false;

  /** `snapshot` gives the state to write, read at the time of each write. */
  constructor(path: string, snapshot: () => StackState) {
    this.path = path;
    this.#snapshot = snapshot;
  }

  /** Writes the current state, after any write under way; nothing once `remove` was called. */
  write(): Promise<void> {
    const once = async () => {
      if (this.#removed) return;
      await writeFile(this.path, JSON.stringify(this.#snapshot(), null, 2) + '\n', { mode: 0o600 });
      await chmod(this.path, 0o600);
    };
    this.#writes = this.#writes.then(once, once);
    return this.#writes;
  }

  /** Removes the file for good (the stack stopped): later writes do nothing. */
  async remove(): Promise<void> {
    this.#removed = true;
    await this.#writes.catch(() => {});
    await rm(this.path, { force: true });
  }
}
