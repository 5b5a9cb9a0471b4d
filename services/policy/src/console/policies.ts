// Console area: image assurance policies. The list (with the images judged under each), the form
// (every control; saved through the same change path as the REST API, so the change is audited,
// mirrored and re-evaluated as any other), a dry run of the form without saving (dry-run.ts, as
// POST /api/v1/evaluate), delete, and the versions with their diffs.
import {
  fieldErrorsFromIssues,
  policiesPage,
  policyFormPage,
  policyFromForm,
  policyToForm,
  POLICY_FIELDS,
  shortDigest,
  type DryRunView,
  type PolicyFormData,
  type PolicyRow,
} from '@assay/console';
import { ValidationError, type ImageAssurancePolicy, type VersionedRecord } from '@assay/domain';
import { NotFoundError } from '@assay/store';
import { dryRun } from '../dry-run.ts';
import type { PolicyApi } from '../routes/context.ts';
import type { ConsoleArea, ConsoleCall } from './router.ts';
import { formValue } from './router.ts';
import {
  deleteHandler,
  expectedVersionOf,
  formHandler,
  managedByView,
  postedId,
  saveForm,
  versionsHandler,
  type FormState,
  type VersionedArea,
} from './versioned-pages.ts';

const area: VersionedArea<ImageAssurancePolicy> = {
  kind: 'image',
  managedKind: 'policy',
  root: 'policy',
  fields: POLICY_FIELDS,
  repo: (api) => api.engine.store.policies,
  put: (api, id, doc, expected, by) => api.changes.putPolicy(id, doc, expected, by),
  del: (api, id, expected, by) => api.changes.deletePolicy(id, expected, by),
};

const PER_PAGE = 100;
/** Recent images a dry run offers. */
const RECENT_IMAGES = 25;

/** Images judged under the policy by their current verdicts: in-memory (the engine's index and the verdict mirror). */
function imageCounts(api: PolicyApi, r: VersionedRecord<ImageAssurancePolicy>): PolicyRow['images'] {
  const verdicts = api.verdicts;
  if (!verdicts || !r.document) return undefined;
  const counts = { compliant: 0, nonCompliant: 0 };
  for (const digest of api.engine.digestsInScope([r.document.scope])) {
    const j = verdicts.judgedUnder(digest, r.id);
    if (j) counts[j]++;
  }
  return counts;
}

function recentImages(api: PolicyApi): PolicyFormData['recentImages'] {
  // Index digests have no report of their own: their platforms' digests are listed instead.
  return (api.verdicts?.list({}, RECENT_IMAGES * 2).items ?? [])
    .filter((s) => s.platforms === 0)
    .slice(0, RECENT_IMAGES)
    .map((s) => ({
      digest: s.digest,
      reference: `${s.image.registry}/${s.image.repository}${s.image.tag ? `:${s.image.tag}` : ''} (${shortDigest(s.digest)})`,
    }));
}

type PolicyFormState = FormState<ImageAssurancePolicy> & { dryRun?: DryRunView | undefined; dryRunError?: string | undefined };

function formPage(c: ConsoleCall, s: PolicyFormState) {
  return c.shell({
    ...policyFormPage({
      id: s.id,
      values: s.values,
      errors: s.errors,
      problem: s.problem,
      expectedVersion: s.expectedVersion,
      name: s.record?.document?.name,
      managedBy: s.record ? managedByView('policy', s.record.id, s.record) : undefined,
      recentImages: recentImages(c.api),
      dryRun: s.dryRun,
      dryRunError: s.dryRunError,
      csrf: c.csrf,
    }),
    active: 'policies',
  });
}

async function evaluateDraft(c: ConsoleCall, isNew: boolean) {
  const id = postedId(c, isNew) || 'draft';
  const record = isNew ? undefined : await area.repo(c.api).current(id);
  const state: PolicyFormState = { id: isNew ? undefined : id, record, values: c.form, expectedVersion: expectedVersionOf(c) ?? 0 };
  const { document, errors } = policyFromForm(c.form);
  if (!document) {
    c.status(400);
    return formPage(c, { ...state, errors });
  }
  const digest = (formValue(c.form, '_digestText') ?? '').trim() || (formValue(c.form, '_digest') ?? '').trim();
  if (!digest) {
    c.status(400);
    return formPage(c, { ...state, dryRunError: 'Choose an image, or give a digest, to evaluate the form against.' });
  }
  try {
    const r = await dryRun(c.api, { digest, policy: document, policyId: id, now: c.now });
    const reference = recentImages(c.api).find((i) => i.digest === r.digest)?.reference;
    const dry: DryRunView = {
      digest: r.digest,
      reference,
      applies: r.policies.some((p) => p.id === id),
      compliant: r.compliant,
      reasons: r.reasons.map((x) => ({ control: x.control, message: x.message, remediation: x.remediation, action: x.action })),
      exceptionsApplied: r.exceptionsApplied,
    };
    return formPage(c, { ...state, dryRun: dry });
  } catch (err) {
    if (err instanceof NotFoundError) {
      c.status(404);
      return formPage(c, { ...state, dryRunError: `There is no stored scan report for ${digest}: choose a scanned image.` });
    }
    if (err instanceof ValidationError) {
      c.status(400);
      return formPage(c, { ...state, errors: fieldErrorsFromIssues(err.issues, 'policy', POLICY_FIELDS) });
    }
    throw err;
  }
}

export const policyPages: ConsoleArea = (router) => {
  router.get('/policies', async (c) => {
    const after = c.query.after || undefined;
    const page = await area.repo(c.api).list({ limit: PER_PAGE, ...(after ? { after } : {}) });
    const rows: PolicyRow[] = page.items
      .filter((r) => r.document)
      .map((r) => ({
        id: r.id,
        document: r.document!,
        version: r.version,
        updatedBy: r.createdBy,
        updatedAt: r.createdAt.toISOString(),
        managedBy: managedByView('policy', r.id, r),
        images: imageCounts(c.api, r),
      }));
    return c.shell({ ...policiesPage({ rows, next: page.next, continued: Boolean(after), now: c.now }), active: 'policies' });
  });

  router.get('/policies/new', async (c) => formPage(c, { values: policyToForm(undefined), expectedVersion: 0 }));
  router.post('/policies/new', async (c) => saveForm(c, area, true, policyFromForm, (s) => formPage(c, s)));
  router.post('/policies/new/dry-run', async (c) => evaluateDraft(c, true));

  router.get('/policies/:id', formHandler(area, policyToForm, formPage));
  router.post('/policies/:id', async (c) => saveForm(c, area, false, policyFromForm, (s) => formPage(c, s)));
  router.post('/policies/:id/dry-run', async (c) => evaluateDraft(c, false));
  router.post('/policies/:id/delete', deleteHandler(area));
  router.get('/policies/:id/versions', versionsHandler(area));
};
