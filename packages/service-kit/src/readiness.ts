// Readiness: named checks, all of which must pass for /readyz to answer 200. A check is a
// function (asked on every probe) or a flag the service sets when something happens.

export type CheckResult = boolean | { ok: boolean; detail?: string };
export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

export interface CheckStatus {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: CheckStatus[];
  /** Names of the failing checks. */
  failing: string[];
}

/** A flag-style check: `set(true)` once the thing is ready, `set(false, 'why')` when it is not. */
export interface ReadinessFlag {
  set(ok: boolean, detail?: string): void;
  readonly ok: boolean;
}

const CHECK_TIMEOUT_MS = 2000;

export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) a named check. */
  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  /** Adds a flag check, initially failing with `detail`. */
  flag(name: string, detail = 'not yet'): ReadinessFlag {
    let state: { ok: boolean; detail?: string } = { ok: false, detail };
    this.add(name, () => state);
    return {
      set(ok: boolean, d?: string) {
        state = d === undefined ? { ok } : { ok, detail: d };
      },
      get ok() {
        return state.ok;
      },
    };
  }

  remove(name: string): void {
    this.#checks.delete(name);
  }

  names(): string[] {
    return [...this.#checks.keys()];
  }

  /** Runs every check (each bounded by a timeout; a throw or a timeout fails it). */
  async evaluate(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      [...this.#checks].map(async ([name, check]): Promise<CheckStatus> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const result = await Promise.race([
            Promise.resolve().then(check),
            new Promise<CheckResult>((resolve) => {
              timer = setTimeout(() => resolve({ ok: false, detail: `check timed out after ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
            }),
          ]);
          if (typeof result === 'boolean') return { name, ok: result };
          return result.detail === undefined ? { name, ok: result.ok } : { name, ok: result.ok, detail: result.detail };
        } catch (err) {
          return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const failing = checks.filter((c) => !c.ok).map((c) => c.name);
    return { ready: failing.length === 0, checks, failing };
  }
}
