// Which images a policy applies to. An image is known by its scope fields: registry,
// repository (and `registry/repository`, which patterns usually name) and labels. Labels are
// unknown until the report body has been read; `undefined` labels match any label pattern,
// so re-evaluation errs on the side of re-evaluating.
import type { ImageAssurancePolicy } from '@assay/domain';
import { anyGlob, globMatch } from './globs.ts';

export interface ImageScope {
  digest: string;
  registry: string;
  repository: string;
  labels?: Record<string, string>;
}

/** `registry/repository`, what repository patterns are written against (`docker.io/library/*`). */
export function imageName(s: { registry: string; repository: string }): string {
  return `${s.registry}/${s.repository}`;
}

/** A repository pattern with a `/` before its first glob may name the registry too. */
function repositoryMatches(patterns: readonly string[], s: ImageScope): boolean {
  return anyGlob(patterns, imageName(s)) || anyGlob(patterns, s.repository);
}

export function inScope(scope: ImageAssurancePolicy['scope'], image: ImageScope): boolean {
  if (!scope) return true;
  if (scope.registries && scope.registries.length > 0 && !anyGlob(scope.registries, image.registry)) return false;
  if (scope.repositories && scope.repositories.length > 0 && !repositoryMatches(scope.repositories, image)) return false;
  if (scope.labels && image.labels) {
    for (const [k, pattern] of Object.entries(scope.labels)) {
      const v = image.labels[k];
      if (v === undefined || !globMatch(pattern, v)) return false;
    }
  }
  return true;
}

/** Image labels from the report's config (Docker `Labels` or OCI `config.Labels`). */
export function reportLabels(config: Record<string, unknown> | undefined): Record<string, string> {
  if (!config) return {};
  const inner = config.config as Record<string, unknown> | undefined;
  const raw = (config.Labels ?? config.labels ?? inner?.Labels ?? inner?.labels) as unknown;
  if (!raw || typeof raw !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}
