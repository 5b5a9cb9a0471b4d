// Registry allow list: images only from approved registries.
import { anyGlob } from '@assay/runtime-policy';
import type { Control, Controls } from './types.ts';

type Config = NonNullable<Controls['registries']>;

export const registriesControl: Control<Config> = (report, config) =>
  anyGlob(config.allowed, report.image.registry)
    ? { violations: [] }
    : {
        violations: [
          {
            item: report.image.registry,
            severity: 'high',
            summary: `registry ${report.image.registry} is not approved`,
            evidence: { registry: report.image.registry, allowed: config.allowed },
            remediation: `push the image to an approved registry (${config.allowed.join(', ')})`,
          },
        ],
      };
