// Custom compliance checks: the scanner runs them and reports pass/fail by id; a required
// check fails the image when it failed or did not run.
import type { Control, Controls, Violation } from './types.ts';

type Config = NonNullable<Controls['customChecks']>;

export const customChecksControl: Control<Config> = (report, config) => {
  const results = new Map((report.checks ?? []).map((c) => [c.id, c]));
  const violations: Violation[] = [];
  for (const check of config) {
    if (!check.required) continue;
    const r = results.get(check.id);
    if (r?.passed) continue;
    violations.push({
      item: check.id,
      severity: 'medium',
      summary: r ? `check ${check.id} failed${r.message ? `: ${r.message}` : ''}` : `check ${check.id} did not run`,
      evidence: { check: check.id, result: r ? 'failed' : 'missing', ...(r?.message ? { message: r.message } : {}) },
      remediation: r ? `fix what check ${check.id} reports` : `run check ${check.id} in the scanner`,
    });
  }
  return { violations };
};
