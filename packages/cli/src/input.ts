// What `assay review` reads: an AdmissionReview (JSON or YAML) as the API server sends it, or a
// Kubernetes manifest (YAML or JSON, multi-document, `kind: List` too) whose workload objects are
// each wrapped into the AdmissionReview the API server would send when they are applied.
import { randomUUID } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { isObject } from '@assay/kit';
import { podSpecPath } from '@assay/review-engine';
import { CliError } from './io.ts';

export type Operation = 'CREATE' | 'UPDATE';

export interface WrapOptions {
  /** For objects without metadata.namespace; `default` otherwise, as kubectl does. */
  namespace?: string | undefined;
  operation?: Operation | undefined;
  /** For tests: deterministic uids. */
  uid?: () => string;
}

/**
 * Where a manifest object's namespace came from: its own metadata.namespace, the --namespace flag,
 * or `default` (kubectl's choice) when neither names one. Shown, since the runtime policy follows it.
 */
export type NamespaceSource = 'manifest' | 'flag' | 'default';

/** One thing to review: an AdmissionReview, or an object that is not reviewed (named only). */
export type ReviewItem =
  | { type: 'review'; label: string; body: unknown; fromManifest: boolean; namespace?: { name: string; source: NamespaceSource } }
  | { type: 'skipped'; label: string; reason: string };

/** Parses every document of the text (JSON is YAML); empty documents are dropped. */
export function parseDocuments(text: string, name: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  // A single document is returned as such, several as an array (or an EmptyStream): normalise.
  const list = Array.isArray(docs) ? docs : [];
  const out: unknown[] = [];
  for (const [i, d] of list.entries()) {
    const err = d.errors[0];
    if (err)
      throw new CliError(`${name}: not valid YAML or JSON${list.length > 1 ? ` (document ${i + 1})` : ''}: ${err.message.split('\n')[0]}`);
    const v: unknown = d.toJS({ maxAliasCount: 100 });
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

function objectLabel(o: Record<string, unknown>, namespace: string | undefined): string {
  const meta = isObject(o.metadata) ? o.metadata : {};
  const n = typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? `${meta.generateName}*` : '(unnamed)';
  return `${String(o.kind)} ${namespace ? `${namespace}/` : ''}${n}`;
}

/** `apps/v1` → {group: apps, version: v1}; `v1` → core group. */
function groupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The AdmissionReview v1 the API server would send for applying `object`. */
export function wrapObject(
  object: Record<string, unknown>,
  opts: WrapOptions = {},
): { body: unknown; label: string; namespace: { name: string; source: NamespaceSource } } {
  const { group, version } = groupVersion(String(object.apiVersion));
  const kind = String(object.kind);
  const meta = isObject(object.metadata) ? object.metadata : {};
  // As kubectl apply: the object's own namespace, else the one asked for, else `default`; never
  // '' (which no runtime policy, not even `*`, would match).
  const source: NamespaceSource =
    typeof meta.namespace === 'string' && meta.namespace !== '' ? 'manifest' : opts.namespace ? 'flag' : 'default';
  const namespace = source === 'manifest' ? (meta.namespace as string) : source === 'flag' ? opts.namespace! : 'default';
  const name = typeof meta.name === 'string' ? meta.name : '';
  // Every reviewed kind's resource is its lower-cased plural with an `s` (pods, cronjobs, …).
  const resource = { group, version, resource: `${kind.toLowerCase()}s` };
  const body = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: (opts.uid ?? randomUUID)(),
      kind: { group, version, kind },
      resource,
      requestKind: { group, version, kind },
      requestResource: resource,
      name,
      namespace,
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'assay-cli', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
    },
  };
  return { body, label: objectLabel(object, namespace), namespace: { name: namespace, source } };
}

const isKubernetesObject = (v: unknown): v is Record<string, unknown> & { apiVersion: string; kind: string } =>
  isObject(v) && typeof v.apiVersion === 'string' && v.apiVersion !== '' && typeof v.kind === 'string' && v.kind !== '';

/**
 * The reviews a file asks for. Throws CliError for a file that is neither AdmissionReviews nor
 * Kubernetes objects; objects of kinds admission does not review are listed as skipped.
 */
/**
 * Labels of the Namespace objects in a file (a manifest often creates its namespaces), by name,
 * for runtime policies scoped on namespace labels. Lists are looked into; other kinds ignored.
 */
export function namespaceLabelsIn(text: string, name: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const visit = (doc: unknown) => {
    if (!isObject(doc)) return;
    if (Array.isArray(doc.items) && typeof doc.kind === 'string' && doc.kind.endsWith('List')) return doc.items.forEach(visit);
    if (doc.kind !== 'Namespace' || doc.apiVersion !== 'v1' || !isObject(doc.metadata) || typeof doc.metadata.name !== 'string') return;
    const labels: Record<string, string> = {};
    if (isObject(doc.metadata.labels)) for (const [k, v] of Object.entries(doc.metadata.labels)) if (typeof v === 'string') labels[k] = v;
    out.set(doc.metadata.name, labels);
  };
  parseDocuments(text, name).forEach(visit);
  return out;
}

export function reviewItems(text: string, name: string, opts: WrapOptions = {}): ReviewItem[] {
  const docs = parseDocuments(text, name);
  if (docs.length === 0) throw new CliError(`${name}: empty (no AdmissionReview and no Kubernetes object)`);
  const items: ReviewItem[] = [];
  const add = (doc: unknown, where: string) => {
    if (isObject(doc) && doc.kind === 'AdmissionReview') {
      const r = isObject(doc.request) ? doc.request : {};
      const k = isObject(r.kind) ? r.kind : {};
      const ns = typeof r.namespace === 'string' && r.namespace !== '' ? `${r.namespace}/` : '';
      const label = `${typeof r.operation === 'string' ? r.operation : '?'} ${typeof k.kind === 'string' ? k.kind : '?'} ${ns}${typeof r.name === 'string' && r.name ? r.name : '(unnamed)'}`;
      items.push({ type: 'review', label, body: doc, fromManifest: false });
      return;
    }
    if (!isKubernetesObject(doc)) throw new CliError(`${name}: not an AdmissionReview or a Kubernetes manifest${where}`);
    if (doc.kind === 'List' || (doc.kind.endsWith('List') && Array.isArray(doc.items))) {
      if (!Array.isArray(doc.items)) throw new CliError(`${name}: ${doc.kind} without items${where}`);
      doc.items.forEach((item, i) => add(item, `${where} (item ${i + 1})`));
      return;
    }
    const { group } = groupVersion(doc.apiVersion);
    if (!podSpecPath(group, doc.kind)) {
      items.push({ type: 'skipped', label: objectLabel(doc, undefined), reason: 'runs no containers (not reviewed by admission)' });
      return;
    }
    const { body, label, namespace } = wrapObject(doc, opts);
    items.push({ type: 'review', label, body, fromManifest: true, namespace });
  };
  docs.forEach((d, i) => add(d, docs.length > 1 ? ` (document ${i + 1})` : ''));
  return items;
}
