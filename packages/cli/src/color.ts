// Colour for the text the CLI prints for people: on a terminal only, off with NO_COLOR, forced with
// FORCE_COLOR — the same rule as the local stack's log formatter — and never in machine-readable
// output (JSON, SARIF, CycloneDX), whose callers simply do not ask for it.
import type { CliIo } from './io.ts';
import { useColor } from '@assay/kit';

/** Whether text written to `stdout` of `io` should carry colour. */
export function colorFor(io: CliIo): boolean {
  return useColor({ isTTY: io.stdoutIsTTY }, io.env ?? process.env);
}

export interface Paint {
  bad(s: string): string;
  warn(s: string): string;
  good(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  /** A severity word in its colour (critical and high red, medium yellow, the rest plain). */
  severity(s: string): string;
}

const sgr = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const same = (s: string) => s;

/** Painters; all identity when `on` is false, so callers write one code path. */
export function painter(on: boolean): Paint {
  if (!on) return { bad: same, warn: same, good: same, dim: same, bold: same, severity: same };
  const bad = sgr('31');
  const warn = sgr('33');
  return {
    bad,
    warn,
    good: sgr('32'),
    dim: sgr('2'),
    bold: sgr('1'),
    severity: (s) => (s === 'critical' || s === 'high' ? bad(s) : s === 'medium' ? warn(s) : s),
  };
}
