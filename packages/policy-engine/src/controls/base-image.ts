// Approved base images: the report's base image must match one of the globs. An image whose
// base is unknown fails (it cannot be shown to be approved).
import { anyGlob } from '@assay/runtime-policy';
import type { Control, Controls } from './types.ts';

type Config = NonNullable<Controls['baseImages']>;

export const baseImageControl: Control<Config> = (report, config) => {
  const base = report.baseImage;
  // A base given as `name@digest` or `name:tag` matches patterns over the name too.
  const names = base ? [base, base.replace(/@.*$/, ''), base.replace(/@.*$/, '').replace(/:[^/:]+$/, '')] : [];
  if (base && names.some((n) => anyGlob(config.allowed, n))) return { violations: [] };
  return {
    violations: [
      {
        item: base ?? 'unknown',
        severity: 'high',
        summary: base ? `base image ${base} is not approved` : 'base image unknown',
        evidence: { baseImage: base ?? null, allowed: config.allowed },
        remediation: `rebuild from an approved base image (${config.allowed.join(', ')})`,
      },
    ],
  };
};
