// End-of-life OS: an image whose OS release is past the end of its security support gets no more
// fixes, so its findings only grow. Judged by the report's `os.eol` date (from the vulnerability
// database's table) against the evaluation time, not the `eolReached` flag stored at scan time:
// a verdict flips on the day without a rescan, and `changesAt` asks for that re-evaluation.
import { earliest, type Control, type Controls } from './types.ts';

type Config = NonNullable<Controls['osEndOfLife']>;

const DAY_MS = 86_400_000;

export const osEndOfLifeControl: Control<Config> = (report, config, { now }) => {
  const os = report.os;
  if (!config.block || !os?.eol) return { violations: [] };
  const eol = new Date(`${os.eol}T00:00:00Z`);
  if (Number.isNaN(eol.getTime())) return { violations: [] };
  const failsAt = new Date(eol.getTime() - (config.daysBefore ?? 0) * DAY_MS);
  if (failsAt.getTime() > now.getTime()) return { violations: [], changesAt: earliest(undefined, failsAt) };
  const release = `${os.family} ${os.version ?? os.name ?? ''}`.trim();
  const reached = eol.getTime() <= now.getTime();
  return {
    violations: [
      {
        item: release,
        severity: 'high',
        summary: reached
          ? `${release} reached its end of life on ${os.eol}: no more security fixes`
          : `${release} reaches its end of life on ${os.eol} (within ${config.daysBefore} days)`,
        evidence: { os: release, eol: os.eol, eolReached: reached },
        remediation: `rebuild on a supported ${os.family} release (a newer base image)`,
      },
    ],
  };
};
