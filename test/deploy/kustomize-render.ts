// A small kustomize renderer for the tests, so the overlays can be rendered on a machine
// without kubectl/kustomize. It implements exactly the kustomization features that
// deploy/k8s uses, with kustomize's semantics, and refuses anything else loudly:
//
//   resources   files (multi-document YAML) and directories holding a kustomization.yaml
//   patches     `path:` or inline `patch:`, with an optional `target` (group, version, kind,
//               name, namespace: exact matches), one patch per file. A patch that parses to a
//               list is a JSON 6902 patch (ops add, replace, remove; needs a target); otherwise a
//               strategic merge patch that identifies its object by apiVersion/kind/name
//               (or applies to every target match). Strategic merge: maps merge recursively,
//               null deletes a key, the lists named in MERGE_KEYS merge by their key, other
//               lists are replaced; lists that Kubernetes merges by a key we do not implement
//               are refused.
//   images      name → newName / newTag / digest, on every containers[] and initContainers[]
//   replicas    name → count on Deployment, StatefulSet, ReplicaSet, ReplicationController
//
// When kubectl is on PATH, test/deploy/kustomize.test.ts checks that `kubectl kustomize`
// gives the same objects for every overlay.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonMap = { [k: string]: Json };

interface Target {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}
interface PatchEntry {
  path?: string;
  patch?: string;
  target?: Target;
}
interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}
interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  patches?: PatchEntry[];
  images?: ImageEntry[];
  replicas?: { name: string; count: number }[];
}

const SUPPORTED_KEYS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images', 'replicas']);

/** Lists a strategic merge patch merges by key (Kubernetes' patchMergeKey for these fields). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
};
/** Lists Kubernetes merges by a key in some object kind, which this renderer does not implement. */
const REFUSED_LISTS = new Set([
  'ports',
  'topologySpreadConstraints',
  'imagePullSecrets',
  'hostAliases',
  'webhooks',
  'envFrom',
  'tolerations',
  'finalizers',
  'ownerReferences',
  'conditions',
]);

export class KustomizeError extends Error {}

export function objectId(o: K8sObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function loadYamlDocs(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: unknown[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new KustomizeError(`${file}: ${d.errors[0]!.message}`);
    const v: unknown = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/** Renders the kustomization in `dir` (kustomization.yaml) to its list of objects. */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Kustomization;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_KEYS.has(key)) throw new KustomizeError(`${file}: field ${key} is not supported by kustomize-render.ts`);
  }
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    if (statSync(p).isDirectory()) objects.push(...renderKustomization(p));
    else objects.push(...(loadYamlDocs(p) as K8sObject[]));
  }
  const seen = new Set<string>();
  for (const o of objects) {
    if (!o.metadata?.name) throw new KustomizeError(`${dir}: a ${o.kind} has no metadata.name`);
    const id = objectId(o);
    if (seen.has(id)) throw new KustomizeError(`${dir}: ${id} is defined twice`);
    seen.add(id);
  }
  for (const p of k.patches ?? []) objects = applyPatch(dir, objects, p);
  for (const r of k.replicas ?? []) {
    const hits = objects.filter(
      (o) => o.metadata.name === r.name && ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'].includes(o.kind),
    );
    if (hits.length === 0) throw new KustomizeError(`${file}: replicas: nothing named ${r.name}`);
    for (const o of hits) (o['spec'] as JsonMap)['replicas'] = r.count;
  }
  for (const img of k.images ?? []) for (const o of objects) setImages(o as unknown as Json, img);
  return objects;
}

function matches(o: K8sObject, t: Target): boolean {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return (
    (t.group === undefined || t.group === group) &&
    (t.version === undefined || t.version === version) &&
    (t.kind === undefined || t.kind === o.kind) &&
    (t.name === undefined || t.name === o.metadata.name) &&
    (t.namespace === undefined || t.namespace === (o.metadata.namespace ?? ''))
  );
}

function applyPatch(dir: string, objects: K8sObject[], p: PatchEntry): K8sObject[] {
  const where = p.path ? join(dir, p.path) : `${dir} (inline patch)`;
  const docs = p.path ? loadYamlDocs(join(dir, p.path)) : parseAllDocuments(p.patch ?? '').map((d) => d.toJS() as unknown);
  if (docs.length === 1 && Array.isArray(docs[0])) {
    if (!p.target) throw new KustomizeError(`${where}: a JSON 6902 patch needs a target`);
    const hits = objects.filter((o) => matches(o, p.target!));
    if (hits.length === 0) throw new KustomizeError(`${where}: the target matches nothing`);
    return objects.map((o) =>
      hits.includes(o) ? (jsonPatch(o as unknown as Json, docs[0] as JsonMap[], where) as unknown as K8sObject) : o,
    );
  }
  // `kubectl kustomize` renders several patches in one file offline, but `kubectl apply -k`
  // against a live API server refuses them ("unable to parse SM or JSON patch"): one per file.
  if (docs.length > 1)
    throw new KustomizeError(
      `${where}: ${docs.length} patches in one file (kubectl apply -k against a cluster refuses that): one per file`,
    );
  let out = objects;
  for (const doc of docs) {
    if (!isMap(doc)) throw new KustomizeError(`${where}: a strategic merge patch is a map`);
    const m = doc as unknown as K8sObject;
    const target: Target = p.target ?? {
      kind: m.kind,
      name: m.metadata?.name,
      ...(m.metadata?.namespace !== undefined ? { namespace: m.metadata.namespace } : {}),
    };
    const hits = out.filter((o) => matches(o, target));
    if (hits.length === 0) throw new KustomizeError(`${where}: ${m.kind}/${m.metadata?.name} matches nothing`);
    out = out.map((o) => {
      if (!hits.includes(o)) return o;
      // With a target, the patch's own identity fields do not rename the object.
      const body = p.target ? { ...doc, metadata: { ...(doc['metadata'] as JsonMap), name: o.metadata.name } } : doc;
      return strategicMerge(o as unknown as Json, body, where, '') as unknown as K8sObject;
    });
  }
  return out;
}

function strategicMerge(base: Json, patch: Json, where: string, path: string): Json {
  if (!isMap(patch)) return structuredClone(patch);
  const out: JsonMap = isMap(base) ? structuredClone(base) : {};
  for (const [key, pv] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new KustomizeError(`${where}: directive ${key} is not supported`);
    const here = `${path}/${key}`;
    if (pv === null) {
      delete out[key];
    } else if (Array.isArray(pv)) {
      const mergeKey = MERGE_KEYS[key];
      if (mergeKey !== undefined) out[key] = mergeList(out[key], pv, mergeKey, where, here);
      else if (REFUSED_LISTS.has(key)) throw new KustomizeError(`${where}: merging list ${here} is not supported (use a JSON 6902 patch)`);
      else out[key] = structuredClone(pv);
    } else if (isMap(pv)) {
      out[key] = strategicMerge(out[key] ?? null, pv, where, here);
    } else {
      out[key] = pv;
    }
  }
  return out;
}

function mergeList(base: Json | undefined, patch: Json[], key: string, where: string, path: string): Json[] {
  const out = Array.isArray(base) ? structuredClone(base) : [];
  for (const item of patch) {
    if (!isMap(item) || (typeof item[key] !== 'string' && typeof item[key] !== 'number')) {
      throw new KustomizeError(`${where}: items of ${path} need their merge key ${key}`);
    }
    const i = out.findIndex((x) => isMap(x) && x[key] === item[key]);
    if (i >= 0) out[i] = strategicMerge(out[i]!, item, where, `${path}[${String(item[key])}]`);
    else out.push(structuredClone(item));
  }
  return out;
}

function decodePointer(ptr: string, where: string): string[] {
  if (!ptr.startsWith('/')) throw new KustomizeError(`${where}: bad JSON pointer ${ptr}`);
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function jsonPatch(doc: Json, ops: JsonMap[], where: string): Json {
  const root = structuredClone(doc);
  for (const op of ops) {
    const kind = op['op'];
    const parts = decodePointer(String(op['path']), where);
    const last = parts.pop()!;
    let parent: Json = root;
    for (const part of parts) {
      const next: Json | undefined = Array.isArray(parent) ? parent[Number(part)] : isMap(parent) ? parent[part] : undefined;
      if (next === undefined) throw new KustomizeError(`${where}: ${String(op['path'])}: no such path`);
      parent = next;
    }
    const value = structuredClone(op['value'] ?? null);
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length || (kind !== 'add' && idx >= parent.length)) {
        throw new KustomizeError(`${where}: ${String(op['path'])}: index out of range`);
      }
      if (kind === 'add') parent.splice(idx, 0, value);
      else if (kind === 'replace') parent[idx] = value;
      else if (kind === 'remove') parent.splice(idx, 1);
      else throw new KustomizeError(`${where}: op ${String(kind)} is not supported`);
    } else if (isMap(parent)) {
      if ((kind === 'replace' || kind === 'remove') && !(last in parent)) {
        throw new KustomizeError(`${where}: ${String(op['path'])}: no such path`);
      }
      if (kind === 'add' || kind === 'replace') parent[last] = value;
      else if (kind === 'remove') delete parent[last];
      else throw new KustomizeError(`${where}: op ${String(kind)} is not supported`);
    } else {
      throw new KustomizeError(`${where}: ${String(op['path'])}: parent is not a container`);
    }
  }
  return root;
}

/** Splits an image reference into name and the tag/digest suffix kustomize keeps or replaces. */
function splitImage(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  return {
    name: hasTag ? rest.slice(0, colon) : rest,
    ...(hasTag ? { tag: rest.slice(colon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

function setImages(node: Json, img: ImageEntry): void {
  if (Array.isArray(node)) {
    for (const x of node) setImages(x, img);
    return;
  }
  if (!isMap(node)) return;
  for (const [key, v] of Object.entries(node)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(v)) {
      for (const c of v) {
        if (!isMap(c) || typeof c['image'] !== 'string') continue;
        const cur = splitImage(c['image']);
        if (cur.name !== img.name) continue;
        const name = img.newName ?? cur.name;
        if (img.digest !== undefined) c['image'] = `${name}@${img.digest}`;
        else if (img.newTag !== undefined) c['image'] = `${name}:${img.newTag}`;
        else c['image'] = `${name}${cur.tag !== undefined ? `:${cur.tag}` : ''}${cur.digest !== undefined ? `@${cur.digest}` : ''}`;
      }
    }
    setImages(v, img);
  }
}

/** `kubectl kustomize <dir>` parsed, or undefined when kubectl is not on PATH. */
export function kubectlKustomize(dir: string): K8sObject[] | undefined {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  if (r.status !== 0) throw new KustomizeError(`kubectl kustomize ${dir} failed: ${r.stderr || r.error?.message}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
