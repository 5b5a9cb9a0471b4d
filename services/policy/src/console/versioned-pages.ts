// What the policy and runtime policy pages share, written once: saving a form's document through
// the same change path as the REST API (a stale version, a document Kubernetes manages or a
// schema error each told next to the form, never a half-written change), deleting, and the
// versions page with its diff (version-diff.ts, as GET …/:id/diff).
import {
  fieldErrorsFromIssues,
  html,
  POLICY_KINDS,
  versionsPage,
  type FieldKind,
  type FormValues,
  type FromForm,
  type Html,
  type ManagedByView,
  type PolicyKind,
  type VersionRow,
} from '@assay/console';
import { managedBy, ValidationError, type VersionedRecord } from '@assay/domain';
import { jsonDiff } from '@assay/policy-engine';
import { ConflictError, NotFoundError, type VersionedRepository } from '@assay/store';
import type { ChangeResult } from '../changes.ts';
import { resourceName, type ManagedKind } from '../managed-by.ts';
import type { PolicyApi } from '../routes/context.ts';
import { documentYaml, lineDiff, versionDiff } from '../version-diff.ts';
import { formValue, type ConsoleCall, type ConsoleHandler } from './router.ts';

/** One kind of versioned policy as the console edits it. */
export interface VersionedArea<T> {
  kind: PolicyKind;
  managedKind: ManagedKind;
  /** The document's name in validation errors (`policy.controls…`). */
  root: string;
  fields: Readonly<Record<string, FieldKind>>;
  repo(api: PolicyApi): VersionedRepository<T>;
  put(api: PolicyApi, id: string, doc: T, expected: number, by: string): Promise<ChangeResult<VersionedRecord<T>>>;
  del(api: PolicyApi, id: string, expected: number | undefined, by: string): Promise<ChangeResult<VersionedRecord<T>>>;
}

/** Versions a table page shows; the compare form offers at most MAX_COMPARE of them. */
const VERSIONS_PER_PAGE = 100;
const MAX_COMPARE = 1000;
/** Diff lines a page shows (a page stays well under 500 KB). */
const MAX_DIFF_LINES = 4000;

export function managedByView(kind: ManagedKind, id: string, r: Pick<VersionedRecord<unknown>, 'source'>): ManagedByView {
  return managedBy(r) === 'kubernetes' ? { by: 'kubernetes', resource: resourceName(kind, id) } : { by: 'api' };
}

/** The version a form was read from (0 to create); undefined when the field is not a version. */
export function expectedVersionOf(c: ConsoleCall): number | undefined {
  const s = formValue(c.form, 'expectedVersion') ?? '';
  return /^\d{1,9}$/.test(s) ? Number(s) : undefined;
}

/** What a save gave: the version written (or kept), or why nothing was written. */
export type SaveOutcome<T> =
  { saved: VersionedRecord<T>; unchanged: boolean } | { saved?: undefined; problem?: string; errors?: Map<string, string> };

/**
 * Writes `doc` as the version after `expected` (0: a new id, or one deleted before), by the
 * signed-in user. An unchanged document writes nothing.
 */
export async function saveDocument<T>(
  c: ConsoleCall,
  area: VersionedArea<T>,
  id: string,
  doc: T,
  expected: number,
): Promise<SaveOutcome<T>> {
  const repo = area.repo(c.api);
  const noun = POLICY_KINDS[area.kind].noun;
  try {
    const latest = (await repo.history(id)).at(-1);
    if (expected > 0 && latest && latest.version === expected && !latest.deleted && jsonDiff(latest.document, doc).length === 0) {
      return { saved: latest, unchanged: true };
    }
    // A new id that was deleted before continues its version numbers.
    const base = expected === 0 && latest?.deleted ? latest.version : expected;
    const r = await area.put(c.api, id, doc, base, c.user);
    return { saved: r.record, unchanged: false };
  } catch (err) {
    if (err instanceof ValidationError) {
      const errors = fieldErrorsFromIssues(err.issues, area.root, area.fields);
      // The id is validated under its own name (`policyId`).
      for (const [k, m] of [...errors]) {
        if (k === `${area.root}Id`) {
          errors.delete(k);
          errors.set('id', m);
        }
      }
      return { errors };
    }
    if (err instanceof ConflictError) {
      const now = await repo.current(id);
      if (now && managedBy(now) === 'kubernetes') {
        return {
          problem: `Not saved: this ${noun} is managed by Kubernetes (${resourceName(area.managedKind, id)}); change it with kubectl.`,
        };
      }
      if (expected === 0 && now) return { problem: `Not saved: a ${noun} with the id ${id} already exists (version ${now.version}).` };
      if (now) {
        return {
          problem: `Not saved: this ${noun} was changed meanwhile by ${now.createdBy} (version ${now.version}). Open it again to see that version, then make your change there.`,
        };
      }
      return { problem: `Not saved: this ${noun} was deleted meanwhile.` };
    }
    throw err;
  }
}

/** What a policy form page is rendered from: the form as submitted (or the document's), and what went wrong. */
export interface FormState<T> {
  /** Absent on the new-policy form. */
  id?: string | undefined;
  record?: VersionedRecord<T> | undefined;
  values: FormValues;
  expectedVersion: number;
  errors?: Map<string, string> | undefined;
  problem?: string | undefined;
}

/** The console's page for a new policy: no policy may take its path as its id. */
const RESERVED_ID = 'new';

/** The id a POST is about: the path's, or the form's on the new-policy form. */
export function postedId(c: ConsoleCall, isNew: boolean): string {
  return isNew ? (formValue(c.form, 'id') ?? '').trim() : (c.params as { id: string }).id;
}

/**
 * POST of a policy form: the document read from it and saved, then a redirect to the policy with
 * "Saved version N"; or the form again, as submitted, with its errors (400) or the reason nothing
 * was written (409).
 */
export async function saveForm<T>(
  c: ConsoleCall,
  area: VersionedArea<T>,
  isNew: boolean,
  read: (form: FormValues) => FromForm<T>,
  render: (s: FormState<T>) => Promise<Html> | Html,
) {
  const id = postedId(c, isNew);
  const record = isNew ? undefined : await area.repo(c.api).current(id);
  const expected = expectedVersionOf(c);
  const { document, errors } = read(c.form);
  const state: FormState<T> = { id: isNew ? undefined : id, record, values: c.form, expectedVersion: expected ?? 0 };
  if (isNew && id === RESERVED_ID) errors.set('id', `"${RESERVED_ID}" is the console's page for a new one: choose another id`);
  if (expected === undefined) state.problem = 'Not saved: the form did not say which version it changed. Open it again.';
  if (!document || errors.size > 0 || state.problem) {
    c.status(400);
    return render({ ...state, errors });
  }
  const out = await saveDocument(c, area, id, document, expected!);
  if (!out.saved) {
    c.status(out.problem ? 409 : 400);
    return render({ ...state, errors: out.errors, problem: out.problem });
  }
  const text = out.unchanged ? `No changes: version ${out.saved.version} kept.` : `Saved version ${out.saved.version}.`;
  return c.redirect(`${POLICY_KINDS[area.kind].base}/${encodeURIComponent(id)}`, { kind: 'ok', text });
}

/** GET …/:id: the policy's form, or a 404 page saying whether it was deleted. */
export function formHandler<T>(
  area: VersionedArea<T>,
  toForm: (doc: T) => FormValues,
  render: (c: ConsoleCall, s: FormState<T>) => Promise<Html> | Html,
): ConsoleHandler {
  return async (c) => {
    const { id } = c.params as { id: string };
    const record = await area.repo(c.api).current(id);
    if (!record?.document) {
      c.status(404);
      const hasVersions = (await area.repo(c.api).history(id)).length > 0;
      return c.shell({ title: 'Not found', active: activeNav(area.kind), body: notFound(area.kind, id, hasVersions) });
    }
    return render(c, { id, record, values: toForm(record.document), expectedVersion: record.version });
  };
}

/** Where the navigation marks the page. */
export const activeNav = (kind: PolicyKind) => (kind === 'image' ? 'policies' : 'runtime-policies');

/** POST …/:id/delete: a tombstone version, refused when the form's version is stale or Kubernetes manages the policy. */
export function deleteHandler<T>(area: VersionedArea<T>): ConsoleHandler {
  return async (c) => {
    const { id } = c.params as { id: string };
    const k = POLICY_KINDS[area.kind];
    const back = `${k.base}/${encodeURIComponent(id)}`;
    const expected = expectedVersionOf(c);
    try {
      const r = await area.del(c.api, id, expected, c.user);
      return c.redirect(k.base, { kind: 'ok', text: `Deleted ${k.noun} ${id} (version ${r.record.version} records the deletion).` });
    } catch (err) {
      if (err instanceof NotFoundError) return c.redirect(k.base, { kind: 'error', text: `There is no ${k.noun} ${id} to delete.` });
      if (err instanceof ConflictError) {
        const now = await area.repo(c.api).current(id);
        const text =
          now && managedBy(now) === 'kubernetes'
            ? `Not deleted: ${id} is managed by Kubernetes (${resourceName(area.managedKind, id)}); delete the resource with kubectl.`
            : `Not deleted: ${id} was changed meanwhile${now ? ` by ${now.createdBy} (version ${now.version})` : ''}. Look at it again first.`;
        return c.redirect(back, { kind: 'error', text });
      }
      throw err;
    }
  };
}

const positive = (s: string | undefined) => (s !== undefined && /^\d{1,9}$/.test(s) && Number(s) > 0 ? Number(s) : undefined);

/** GET …/:id/versions: every version, newest first, and with `?from=&to=` the changes between two. */
export function versionsHandler<T>(area: VersionedArea<T>): ConsoleHandler {
  return async (c) => {
    const { id } = c.params as { id: string };
    const k = POLICY_KINDS[area.kind];
    const repo = area.repo(c.api);
    const history = await repo.history(id);
    if (history.length === 0) {
      c.status(404);
      return c.shell({ title: 'Not found', active: activeNav(area.kind), body: notFound(area.kind, id) });
    }
    const newest = [...history].reverse();
    const pages = Math.max(1, Math.ceil(newest.length / VERSIONS_PER_PAGE));
    const page = Math.min(positive(c.query.page) ?? 1, pages);
    const rows: VersionRow[] = newest.slice((page - 1) * VERSIONS_PER_PAGE, page * VERSIONS_PER_PAGE).map((r) => ({
      version: r.version,
      by: r.createdBy,
      at: r.createdAt.toISOString(),
      deleted: r.deleted,
      source: { ...managedByView(area.managedKind, id, r), resourceVersion: r.source?.resourceVersion },
    }));
    const from = positive(c.query.from);
    const to = positive(c.query.to);
    let diff;
    let diffError: string | undefined;
    if (c.query.from !== undefined || c.query.to !== undefined) {
      if (from === undefined || to === undefined) diffError = 'Choose two versions to compare.';
      else {
        try {
          const d = await versionDiff(repo, id, from, to);
          const lines = lineDiff(documentYaml(d.before.document), documentYaml(d.after.document));
          diff = { from, to, changes: d.changes, lines: lines.slice(0, MAX_DIFF_LINES) };
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          diffError = `${id} has no version ${history.some((r) => r.version === from) ? to : from}.`;
        }
      }
    }
    const current = newest.find((r) => !r.deleted);
    const name = (current?.document as { name?: string } | null | undefined)?.name;
    return c.shell({
      ...versionsPage({
        kind: area.kind,
        id,
        name,
        rows,
        all: newest.slice(0, MAX_COMPARE).map((r) => r.version),
        diff,
        diffError,
        page,
        pages,
        now: c.now,
      }),
      active: activeNav(area.kind),
    });
  };
}

/** The body of a page for a policy that does not exist (never did, or was deleted: its versions stay). */
export function notFound(kind: PolicyKind, id: string, hasVersions = false): Html {
  const k = POLICY_KINDS[kind];
  return html`<p>There is no ${k.noun} <code>${id}</code>.</p>
    ${hasVersions ? html`<p>It was deleted; <a href="${k.base}/${encodeURIComponent(id)}/versions">its versions</a> stay.</p>` : ''}
    <p><a href="${k.base}">All ${k.plural}</a></p>`;
}
