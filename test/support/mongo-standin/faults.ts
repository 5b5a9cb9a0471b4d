// Injectable faults for "the server goes away mid-work" tests. Each is armed by a test and
// consumed by the next matching command (names compare case-insensitively).

export interface InjectedError {
  code: number;
  errmsg?: string;
  codeName?: string;
  /** e.g. ['RetryableWriteError'] or ['TransientTransactionError'], copied into the reply. */
  errorLabels?: string[];
}

export type FaultAction = { kind: 'fail'; error: InjectedError } | { kind: 'close' };

export class Faults {
  private readonly failures = new Map<string, InjectedError[]>();
  private readonly closes = new Map<string, number>();
  private delayMs = 0;
  private delayCommand: string | undefined;

  /** The next `times` commands named `command` fail with `error` instead of running. */
  failNext(command: string, error: InjectedError, times = 1): void {
    const key = command.toLowerCase();
    const queue = this.failures.get(key) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.failures.set(key, queue);
  }

  /**
   * When the next command named `command` arrives, every open client connection is dropped
   * (the command does not run and gets no reply), as when a server process dies.
   */
  closeConnectionsOnNext(command: string): void {
    const key = command.toLowerCase();
    this.closes.set(key, (this.closes.get(key) ?? 0) + 1);
  }

  /** Delays every reply (or only replies to `command`) by `ms`; `delay(0)` turns it off. */
  delay(ms: number, command?: string): void {
    this.delayMs = ms;
    this.delayCommand = command?.toLowerCase();
  }

  clear(): void {
    this.failures.clear();
    this.closes.clear();
    this.delayMs = 0;
    this.delayCommand = undefined;
  }

  /** @internal Consumes the fault armed for this command, if any (closing takes precedence). */
  take(command: string): FaultAction | undefined {
    const key = command.toLowerCase();
    const closes = this.closes.get(key);
    if (closes) {
      if (closes > 1) this.closes.set(key, closes - 1);
      else this.closes.delete(key);
      return { kind: 'close' };
    }
    const queue = this.failures.get(key);
    const error = queue?.shift();
    if (queue && queue.length === 0) this.failures.delete(key);
    return error ? { kind: 'fail', error } : undefined;
  }

  /** @internal */
  delayFor(command: string): number {
    if (this.delayMs <= 0) return 0;
    if (this.delayCommand !== undefined && this.delayCommand !== command.toLowerCase()) return 0;
    return this.delayMs;
  }
}
