// Image configuration: non-root user, healthcheck, maximum age (by the config's created time).
import { earliest, type Control, type Controls, type Violation } from './types.ts';

type Config = NonNullable<Controls['config']>;

const DAY_MS = 86_400_000;

function field(config: Record<string, unknown> | undefined, ...names: string[]): unknown {
  if (!config) return undefined;
  const inner = config.config as Record<string, unknown> | undefined;
  for (const n of names) {
    if (config[n] !== undefined) return config[n];
    if (inner && inner[n] !== undefined) return inner[n];
  }
  return undefined;
}

/** Root when no user is set, or it is `root` / `0` (with or without a group). */
export function runsAsRoot(config: Record<string, unknown> | undefined): boolean {
  const user = field(config, 'user', 'User');
  return typeof user !== 'string' || user.trim() === '' || /^(root|0)(:.*)?$/.test(user.trim());
}

export const imageConfigControl: Control<Config> = (report, config, { now }) => {
  const violations: Violation[] = [];
  let changesAt: Date | undefined;
  if (config.forbidRootUser && runsAsRoot(report.config)) {
    const user = field(report.config, 'user', 'User');
    violations.push({
      item: 'root-user',
      severity: 'medium',
      summary: `runs as root (user ${typeof user === 'string' && user !== '' ? JSON.stringify(user) : 'not set'})`,
      evidence: { user: typeof user === 'string' ? user : null },
      remediation: 'set USER to a non-root uid in the Dockerfile',
    });
  }
  if (config.requireHealthcheck && field(report.config, 'healthcheck', 'Healthcheck') === undefined) {
    violations.push({
      item: 'healthcheck',
      severity: 'low',
      summary: 'no HEALTHCHECK',
      evidence: {},
      remediation: 'add a HEALTHCHECK instruction',
    });
  }
  if (config.maxAgeDays !== undefined) {
    const created = field(report.config, 'created', 'Created');
    const at = typeof created === 'string' ? new Date(created) : undefined;
    const limit = config.maxAgeDays * DAY_MS;
    if (!at || Number.isNaN(at.getTime())) {
      violations.push({
        item: 'image-age',
        severity: 'medium',
        summary: 'image creation time unknown',
        evidence: { created: null, maxAgeDays: config.maxAgeDays },
        remediation: 'build images with a creation time',
      });
    } else if (now.getTime() - at.getTime() > limit) {
      violations.push({
        item: 'image-age',
        severity: 'medium',
        summary: `image built ${at.toISOString()}, older than ${config.maxAgeDays} days`,
        evidence: { created: at.toISOString(), maxAgeDays: config.maxAgeDays },
        remediation: 'rebuild the image',
      });
    } else {
      changesAt = earliest(changesAt, new Date(at.getTime() + limit + 1));
    }
  }
  return changesAt ? { violations, changesAt } : { violations };
};
