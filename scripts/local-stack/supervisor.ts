// One service of the local stack kept running: whenever its process exits while the stack is
// not stopping (a crash, an OOM kill, or `kill <pid>` to restart it by hand), it is started
// again after a backoff delay, and the other services never notice. Only `stop` ends it.
import type { Child, ExitStatus } from './children.ts';
import { RestartBackoff, type BackoffOptions } from './restart-backoff.ts';

export interface RestartInfo {
  /** Why the process ended. */
  status: ExitStatus;
  /** How long it had been running, in ms. */
  uptimeMs: number;
  /** Wait before the next start, in ms. */
  delayMs: number;
  /** Exits in a row without a healthy run in between (1 for a one-off crash). */
  consecutive: number;
  /** Restarts so far, this one included. */
  restarts: number;
}

export interface SupervisorOptions {
  name: string;
  /** Starts the process; `restarts` is 0 the first time. */
  start(restarts: number): Promise<Child> | Child;
  backoff?: BackoffOptions;
  /** An exit that will be followed by a restart after `delayMs`. */
  onExit(info: RestartInfo): void;
  /** A (re)started process; `restarts` is 0 the first time. */
  onStart?(child: Child, restarts: number): void;
  /** Starting the process failed (threw): reported, then retried like an exit. */
  onStartError?(err: unknown, restarts: number): void;
}

export class Supervisor {
  readonly name: string;
  readonly #o: SupervisorOptions;
  readonly #backoff: RestartBackoff;
  #child: Child | undefined;
  #restarts = 0;
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;
  #wakeUp: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #graceMs = 10_000;

  constructor(opts: SupervisorOptions) {
    this.name = opts.name;
    this.#o = opts;
    this.#backoff = new RestartBackoff(opts.backoff);
  }

  /** The current process (the latest started). */
  get child(): Child | undefined {
    return this.#child;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Starts the process and keeps it running until `stop`. Resolves once the first start was made. */
  async start(): Promise<Child> {
    if (this.#loop) throw new Error(`${this.name} is already supervised`);
    const first = await this.#o.start(0);
    this.#child = first;
    this.#o.onStart?.(first, 0);
    this.#loop = this.#run(first);
    return first;
  }

  async #run(first: Child): Promise<void> {
    let child: Child | undefined = first;
    let startedAt = Date.now();
    for (;;) {
      let status: ExitStatus;
      if (child) {
        status = await child.exited;
      } else {
        status = { code: null, signal: null, description: 'did not start' };
      }
      if (this.#stopping) return;
      const uptimeMs = Date.now() - startedAt;
      const delayMs = this.#backoff.next(uptimeMs);
      this.#restarts++;
      this.#o.onExit({ status, uptimeMs, delayMs, consecutive: this.#backoff.consecutive, restarts: this.#restarts });
      await new Promise<void>((resolve) => {
        this.#wakeUp = resolve;
        this.#timer = setTimeout(resolve, delayMs);
      });
      this.#wakeUp = undefined;
      if (this.#stopping) return;
      startedAt = Date.now();
      try {
        child = await this.#o.start(this.#restarts);
        this.#child = child;
        this.#o.onStart?.(child, this.#restarts);
      } catch (err) {
        child = undefined;
        this.#o.onStartError?.(err, this.#restarts);
      }
      // A stop that came while starting: the new process goes too.
      if (this.#stopping) {
        await child?.stop(this.#graceMs);
        return;
      }
    }
  }

  /** Restarts no more, cancels a pending restart, and stops the current process (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs: number): Promise<ExitStatus | undefined> {
    this.#stopping = true;
    this.#graceMs = graceMs;
    clearTimeout(this.#timer);
    this.#wakeUp?.();
    const status = this.#child?.exitStatus ? undefined : await this.#child?.stop(graceMs);
    await this.#loop;
    return status;
  }

  /** SIGKILL the current process now (the launcher's last resort). */
  killNow(): void {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#wakeUp?.();
    this.#child?.killNow();
  }
}
