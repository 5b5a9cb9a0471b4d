// /policies: image assurance policies, versioned (every change a new version, deletes a tombstone).
import type { ImageAssurancePolicy } from '@assay/domain';
import { versionedPlugin } from './versioned.ts';

export const policiesRoutes = versionedPlugin<ImageAssurancePolicy>('/policies', 'ImageAssurancePolicy', {
  repo: (api) => api.engine.store.policies,
  put: (api, id, doc, expected, user) => api.changes.putPolicy(id, doc, expected, user),
  del: (api, id, expected, user) => api.changes.deletePolicy(id, expected, user),
});
