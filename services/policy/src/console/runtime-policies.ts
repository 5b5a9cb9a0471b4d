// Console area: runtime policies. The list, the form (saved through the same change path as the
// REST API, so admission's mirror of the bucket follows), delete, and the versions with diffs.
import {
  RUNTIME_POLICY_FIELDS,
  runtimePoliciesPage,
  runtimePolicyFormPage,
  runtimePolicyFromForm,
  runtimePolicyToForm,
  type RuntimePolicyRow,
} from '@assay/console';
import type { RuntimePolicy } from '@assay/domain';
import type { ConsoleArea, ConsoleCall } from './router.ts';
import {
  deleteHandler,
  formHandler,
  managedByView,
  saveForm,
  versionsHandler,
  type FormState,
  type VersionedArea,
} from './versioned-pages.ts';

const area: VersionedArea<RuntimePolicy> = {
  kind: 'runtime',
  managedKind: 'runtimePolicy',
  root: 'runtimePolicy',
  fields: RUNTIME_POLICY_FIELDS,
  repo: (api) => api.engine.store.runtimePolicies,
  put: (api, id, doc, expected, by) => api.changes.putRuntimePolicy(id, doc, expected, by),
  del: (api, id, expected, by) => api.changes.deleteRuntimePolicy(id, expected, by),
};

const PER_PAGE = 100;
/** Image policies offered as checkboxes (a page of them; more than this is not a form people use). */
const MAX_IMAGE_POLICIES = 500;

async function formPage(c: ConsoleCall, s: FormState<RuntimePolicy>) {
  const policies = await c.api.engine.store.policies.list({ limit: MAX_IMAGE_POLICIES });
  return c.shell({
    ...runtimePolicyFormPage({
      id: s.id,
      values: s.values,
      errors: s.errors,
      problem: s.problem,
      expectedVersion: s.expectedVersion,
      name: s.record?.document?.name,
      managedBy: s.record ? managedByView('runtimePolicy', s.record.id, s.record) : undefined,
      imagePolicies: policies.items.filter((p) => p.document).map((p) => ({ id: p.id, name: p.document!.name })),
      csrf: c.csrf,
    }),
    active: 'runtime-policies',
  });
}

export const runtimePolicyPages: ConsoleArea = (router) => {
  router.get('/runtime-policies', async (c) => {
    const after = c.query.after || undefined;
    const page = await area.repo(c.api).list({ limit: PER_PAGE, ...(after ? { after } : {}) });
    const rows: RuntimePolicyRow[] = page.items
      .filter((r) => r.document)
      .map((r) => ({
        id: r.id,
        document: r.document!,
        version: r.version,
        updatedBy: r.createdBy,
        updatedAt: r.createdAt.toISOString(),
        managedBy: managedByView('runtimePolicy', r.id, r),
      }));
    return c.shell({
      ...runtimePoliciesPage({ rows, next: page.next, continued: Boolean(after), now: c.now }),
      active: 'runtime-policies',
    });
  });

  router.get('/runtime-policies/new', async (c) => formPage(c, { values: runtimePolicyToForm(undefined), expectedVersion: 0 }));
  router.post('/runtime-policies/new', async (c) => saveForm(c, area, true, runtimePolicyFromForm, (s) => formPage(c, s)));

  router.get('/runtime-policies/:id', formHandler(area, runtimePolicyToForm, formPage));
  router.post('/runtime-policies/:id', async (c) => saveForm(c, area, false, runtimePolicyFromForm, (s) => formPage(c, s)));
  router.post('/runtime-policies/:id/delete', deleteHandler(area));
  router.get('/runtime-policies/:id/versions', versionsHandler(area));
};
