// Whether a service of the local stack can do its work: its /readyz, asked at start for every
// service and again after a service was restarted.
import type { Child } from './children.ts';

/** One /readyz answer: ok, and the names (with details) of the checks failing. */
export async function readyz(url: string): Promise<{ ok: boolean; failing: string[] }> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json().catch(() => ({}))) as { failing?: string[]; checks?: { name: string; detail?: string; ok: boolean }[] };
  const failing = (body.checks ?? []).filter((c) => !c.ok).map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name));
  return { ok: res.status === 200, failing };
}

/**
 * Polls a restarted service's /readyz until it answers 200 (true), or until its process exits or
 * the stack stops (false). Warns once when that takes longer than `warnAfterMs`, naming the
 * failing checks, and keeps waiting: a service that is slow to come back is not given up on.
 */
export async function waitReadyAgain(opts: {
  child: Child;
  /** Its health server's URL, once the process has said where it listens. */
  url: () => string | undefined;
  stopped: () => boolean;
  warnAfterMs: number;
  warn: (failing: string) => void;
}): Promise<boolean> {
  const since = Date.now();
  let warned = false;
  let failing: string[] = [];
  const live = () => !opts.stopped() && opts.child.exitStatus === undefined;
  while (live()) {
    const url = opts.url();
    if (url !== undefined) {
      try {
        const r = await readyz(url);
        if (r.ok) return live();
        failing = r.failing;
      } catch (err) {
        failing = [err instanceof Error ? err.message : String(err)];
      }
    }
    if (!warned && Date.now() - since > opts.warnAfterMs) {
      warned = true;
      opts.warn(failing.join(', ') || 'health server not up yet');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
