// /runtime-policies: what admission enforces where (mirrored into a bucket for it), versioned.
import type { RuntimePolicy } from '@assay/domain';
import { versionedPlugin } from './versioned.ts';

export const runtimePoliciesRoutes = versionedPlugin<RuntimePolicy>('/runtime-policies', 'RuntimePolicy', {
  repo: (api) => api.engine.store.runtimePolicies,
  put: (api, id, doc, expected, user) => api.changes.putRuntimePolicy(id, doc, expected, user),
  del: (api, id, expected, user) => api.changes.deleteRuntimePolicy(id, expected, user),
});
