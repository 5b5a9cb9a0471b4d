// Console area: exceptions. GET /console/exceptions lists those in force and the expired ones
// (from the store, as GET /api/v1/exceptions does) beside the create form; POST creates one and
// POST /console/exceptions/:id/revoke deletes one, both through exception-writes.ts as the REST
// API does (a version in the exception's history, a re-evaluation, an audit event). The image
// page links here with ?digest=…&control=… to prefill the form.
import { randomBytes } from 'node:crypto';
import { EXPIRY_CHOICES, exceptionsPage, type ExceptionFormValues, type ExceptionRow, type FieldErrors } from '@assay/console';
import { CONTROLS, ValidationError, type PolicyException } from '@assay/domain';
import { ConflictError, NotFoundError } from '@assay/store';
import { createException, revokeException } from '../exception-writes.ts';
import { formValue, type ConsoleCall, type FormBody } from './router.ts';
import type { ConsoleArea } from './router.ts';

export const ACTIVE_PER_PAGE = 50;
export const EXPIRED_PER_PAGE = 20;
const POLICIES_OFFERED = 500;
const DAY_MS = 86_400_000;
const DURATIONS: Record<string, number> = { '1d': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS, '90d': 90 * DAY_MS };
const PAGE = '/console/exceptions';

function row(e: PolicyException): ExceptionRow {
  return {
    id: e.id,
    scope: e.scope,
    reason: e.reason,
    createdBy: e.createdBy,
    createdAt: e.createdAt.toISOString(),
    expiresAt: e.expiresAt.toISOString(),
    breakGlass: e.breakGlass === true,
  };
}

const lines = (s: string) =>
  s
    .split(/\r?\n/)
    .map((x) => x.trim())
    .filter(Boolean);

/** `YYYY-MM-DDTHH:MM` in UTC, as a datetime-local field shows it. */
const localInput = (d: Date) => d.toISOString().slice(0, 16);

function emptyForm(now: Date): ExceptionFormValues {
  return {
    id: `exc-${localInput(now).slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`,
    policyId: '',
    control: '',
    registry: '',
    repository: '',
    digest: '',
    items: '',
    namespaces: '',
    reason: '',
    expiresIn: '7d',
    expiresAt: localInput(new Date(now.getTime() + 7 * DAY_MS)),
    breakGlass: false,
  };
}

/** The form as posted (values trimmed; the switch is on when sent). */
function formOf(body: FormBody): ExceptionFormValues {
  const v = (name: string) => (formValue(body, name) ?? '').trim();
  return {
    id: v('id'),
    policyId: v('policyId'),
    control: v('control'),
    registry: v('registry'),
    repository: v('repository'),
    digest: v('digest'),
    items: formValue(body, 'items') ?? '',
    namespaces: formValue(body, 'namespaces') ?? '',
    reason: v('reason'),
    expiresIn: v('expiresIn'),
    expiresAt: v('expiresAt'),
    breakGlass: formValue(body, 'breakGlass') === 'on',
  };
}

/** The expiry the form asks for: a duration from now, or the date (a datetime-local value is UTC here). */
function expiryOf(f: ExceptionFormValues, now: Date): string | undefined {
  const ms = DURATIONS[f.expiresIn];
  if (ms !== undefined) return new Date(now.getTime() + ms).toISOString();
  if (!f.expiresAt) return undefined;
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(f.expiresAt) ? `${f.expiresAt}Z` : f.expiresAt;
}

/** The exception the form describes, as the REST API takes it (empty fields left out). */
function inputOf(f: ExceptionFormValues, now: Date): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const k of ['policyId', 'control', 'registry', 'repository', 'digest'] as const) if (f[k]) scope[k] = f[k];
  if (lines(f.items).length > 0) scope.items = lines(f.items);
  if (lines(f.namespaces).length > 0) scope.namespaces = lines(f.namespaces);
  const expiresAt = expiryOf(f, now);
  return {
    id: f.id,
    scope,
    reason: f.reason,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(f.breakGlass ? { breakGlass: true } : {}),
  };
}

/**
 * The form field a validation issue names: `exception.scope.items[2]` → `items` (line 3),
 * `exception.expiresAt` → `expiresAt`; anything else keeps its path (listed above the form).
 */
export function fieldErrorsOf(err: ValidationError, expiresIn: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const issue of err.issues) {
    const path = issue.path === 'exceptionId' ? 'id' : issue.path.replace(/^exception\./, '');
    const m = /^scope\.(\w+)(?:\[(\d+)\])?/.exec(path);
    let name = m ? m[1]! : path;
    let message = m?.[2] !== undefined ? `line ${Number(m[2]) + 1}: ${issue.message}` : issue.message;
    if (name === 'expiresAt') {
      if (message === 'must be after createdAt') message = 'must be in the future';
      // A duration was chosen and still refused: say so where the choice was made.
      if (DURATIONS[expiresIn] !== undefined) name = 'expiresIn';
    }
    if (!out.has(name)) out.set(name, message);
  }
  return out;
}

async function policyOptions(c: ConsoleCall): Promise<Array<readonly [string, string]>> {
  const page = await c.api.engine.store.policies.list({ limit: POLICIES_OFFERED });
  return page.items.map((p) => [p.id, p.document?.name && p.document.name !== p.id ? `${p.document.name} (${p.id})` : p.id] as const);
}

/** A page of a listing; a cursor that is not one of this listing's starts from the first page. */
async function pageOf<T>(list: (after: string | undefined) => Promise<{ items: T[]; next?: string }>, after: string | undefined) {
  try {
    return { page: await list(after), continued: after !== undefined };
  } catch (err) {
    if (!(err instanceof ValidationError) || after === undefined) throw err;
    return { page: await list(undefined), continued: false };
  }
}

async function render(c: ConsoleCall, form: ExceptionFormValues, formFirst: boolean, errors?: FieldErrors) {
  const store = c.api.engine.store.exceptions;
  const active = await pageOf((after) => store.listActive(c.now, { limit: ACTIVE_PER_PAGE, ...(after ? { after } : {}) }), c.query.after);
  const expired = await pageOf((after) => store.expired(c.now, { limit: EXPIRED_PER_PAGE, ...(after ? { after } : {}) }), c.query.expired);
  const view = exceptionsPage({
    active: active.page.items.map(row),
    activeNext: active.page.next,
    activeContinued: active.continued,
    expired: expired.page.items.map(row),
    expiredNext: expired.page.next,
    expiredContinued: expired.continued,
    policies: await policyOptions(c),
    controls: CONTROLS,
    form,
    errors,
    formFirst,
    csrf: c.csrf,
    now: c.now,
  });
  return c.shell({ ...view, active: 'exceptions' });
}

export const exceptionPages: ConsoleArea = (router) => {
  router.get('/exceptions', async (c) => {
    const q = c.query;
    const form = emptyForm(c.now);
    // Prefilled from an image's page (`?digest=…&control=…`) or any link naming the scope.
    const prefill = {
      digest: q.digest,
      control: q.control && (CONTROLS as readonly string[]).includes(q.control) ? q.control : undefined,
      policyId: q.policy ?? q.policyId,
      registry: q.registry,
      repository: q.repository,
      items: q.item ?? q.items,
    };
    let prefilled = false;
    for (const [k, v] of Object.entries(prefill)) {
      if (v) {
        form[k as keyof typeof prefill] = v;
        prefilled = true;
      }
    }
    return render(c, form, prefilled);
  });

  router.post('/exceptions', async (c) => {
    const form = formOf(c.form);
    const ids = EXPIRY_CHOICES.map(([v]) => v);
    let errors: Map<string, string> | undefined;
    if (!ids.includes(form.expiresIn)) errors = new Map([['expiresIn', 'choose how long the exception lasts']]);
    else {
      try {
        const r = await createException(c.api, inputOf(form, c.now), c.user, c.now);
        return c.redirect(PAGE, {
          kind: 'ok',
          text: `Exception ${r.record.id} created: the images it excuses are judged again${r.record.breakGlass ? ', and admission lets matching images in' : ''}.`,
        });
      } catch (err) {
        if (err instanceof ValidationError) {
          errors = fieldErrorsOf(err, form.expiresIn);
          // The domain checks the expiry only once the rest is valid; say it now, not on the next try.
          const at = Date.parse(expiryOf(form, c.now) ?? '');
          if (!errors.has('expiresAt') && !errors.has('expiresIn') && at <= c.now.getTime())
            errors.set('expiresAt', 'must be in the future');
        } else if (err instanceof ConflictError) errors = new Map([['id', `${err.message}: choose another id`]]);
        else throw err;
      }
    }
    // The form as it was sent, each error beside its field (one the form has no field for, above it).
    c.status(400);
    return render(c, form, true, errors);
  });

  router.post('/exceptions/:id/revoke', async (c) => {
    const id = c.params.id ?? '';
    try {
      await revokeException(c.api, id, c.user);
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof ConflictError || err instanceof ValidationError) {
        return c.redirect(PAGE, { kind: 'error', text: `Exception ${id} was not revoked: ${err.message}` });
      }
      throw err;
    }
    return c.redirect(PAGE, { kind: 'ok', text: `Exception ${id} revoked: the images it excused are judged again.` });
  });
};
