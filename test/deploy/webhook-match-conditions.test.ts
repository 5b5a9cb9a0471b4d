// The validating webhook's matchConditions, evaluated by a CEL implementation (@bufbuild/cel)
// over AdmissionReview requests a real kube-apiserver 1.28 sent (the shared vectors, read in
// place) and over UPDATEs derived from their objects: every CREATE and every UPDATE that changes
// an image reaches the webhook; label, annotation, scale, finalizer, ownerReference and status
// updates (and `kubectl rollout restart`) do not. That the API server accepts the expression is
// proved on a real cluster, not here.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '@bufbuild/cel';
import { repoRoot } from '../../scripts/proto-generate.ts';
import { webhookConfigs } from './k8s-checks.ts';
import { renderKustomization } from './kustomize-render.ts';

const VECTORS = join(repoRoot, '..', 'shared', 'vectors', '01-admission-review', 'real-apiserver-1.28');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
interface Request {
  operation: string;
  kind: { group: string; version: string; kind: string };
  object: Obj | null;
  oldObject: Obj | null;
  [k: string]: Json;
}

/** The validating webhook's one matchCondition, as rendered from the kustomize base. */
function condition(): string {
  const v = webhookConfigs(renderKustomization(join(repoRoot, 'deploy', 'k8s', 'base'))).find(
    (c) => c.kind === 'ValidatingWebhookConfiguration',
  )!;
  const conditions = (v['webhooks'] as { matchConditions: { name: string; expression: string }[] }[])[0]!.matchConditions;
  assert.equal(conditions.length, 1);
  return conditions[0]!.expression;
}

/** JSON as CEL sees an unstructured Kubernetes object: maps, lists, scalars. */
function toCel(v: Json): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

function reaches(expression: string, r: Request): boolean {
  const out = run(expression, { request: toCel(r as unknown as Json), object: toCel(r.object), oldObject: toCel(r.oldObject) } as never);
  assert.equal(typeof out, 'boolean', `evaluates to a bool, got ${String(out)}`);
  return out as boolean;
}

function vectors(): { file: string; request: Request }[] {
  return readdirSync(VECTORS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, request: (JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as { request: Request }).request }));
}

/** The pod spec inside an object of any shape the webhook sees. */
function podSpec(o: Obj): Obj {
  const spec = o['spec'] as Obj;
  switch (o['kind']) {
    case 'Pod':
      return spec;
    case 'PodTemplate':
      return (o['template'] as Obj)['spec'] as Obj;
    case 'CronJob':
      return (((spec['jobTemplate'] as Obj)['spec'] as Obj)['template'] as Obj)['spec'] as Obj;
    default:
      return (spec['template'] as Obj)['spec'] as Obj;
  }
}

/** An UPDATE of `object` whose new version is `change(copy)`. */
function update(request: Request, change: (o: Obj) => void): Request {
  const old = request.object!;
  const next = structuredClone(old);
  change(next);
  return { ...request, operation: 'UPDATE', object: next, oldObject: old };
}

test('matchConditions: every CREATE and every image-changing UPDATE the real API server sent reaches the webhook; a label edit does not', (t) => {
  if (!existsSync(VECTORS)) {
    t.skip(`the shared AdmissionReview vectors are not at ${VECTORS}`);
    return;
  }
  const expression = condition();
  const seen: string[] = [];
  for (const { file, request } of vectors()) {
    if (request.operation === 'DELETE') continue; // the rules never send DELETE
    const expected = !file.includes('update-pod-label');
    assert.equal(reaches(expression, request), expected, `${file} (${request.operation} ${request.kind.kind})`);
    seen.push(`${request.operation}:${request.kind.kind}`);
  }
  for (const must of ['CREATE:Pod', 'CREATE:Deployment', 'CREATE:CronJob', 'CREATE:PodTemplate', 'UPDATE:Deployment', 'UPDATE:Pod'])
    assert.ok(seen.includes(must), must);
});

test('matchConditions: UPDATEs that change no image never reach the webhook, in every workload shape', (t) => {
  if (!existsSync(VECTORS)) {
    t.skip(`the shared AdmissionReview vectors are not at ${VECTORS}`);
    return;
  }
  const expression = condition();
  const creates = vectors().filter((v) => v.request.operation === 'CREATE' && v.request.object);
  const kinds = new Set(creates.map((v) => v.request.kind.kind));
  for (const k of ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'PodTemplate'])
    assert.ok(kinds.has(k), `a real ${k}`);
  const meta = (o: Obj) => o['metadata'] as Obj;
  const quiet: [string, (o: Obj) => void][] = [
    ['label', (o) => void (meta(o)['labels'] = { ...(meta(o)['labels'] as Obj), team: 'payments' })],
    ['annotation', (o) => void (meta(o)['annotations'] = { note: 'x' })],
    ['finalizer', (o) => void (meta(o)['finalizers'] = ['example.com/cleanup'])],
    [
      'ownerReference',
      (o) =>
        void (meta(o)['ownerReferences'] = [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '00000000-0000-0000-0000-000000000001' },
        ]),
    ],
    ['status', (o) => void (o['status'] = { observedGeneration: 7 })],
    [
      'rollout restart (pod template annotation)',
      (o) => {
        if (o['kind'] === 'Pod') return;
        const tpl =
          o['kind'] === 'PodTemplate'
            ? (o['template'] as Obj)
            : o['kind'] === 'CronJob'
              ? ((((o['spec'] as Obj)['jobTemplate'] as Obj)['spec'] as Obj)['template'] as Obj)
              : ((o['spec'] as Obj)['template'] as Obj);
        const m = (tpl['metadata'] ??= {}) as Obj;
        m['annotations'] = { 'kubectl.kubernetes.io/restartedAt': '2026-12-06T12:00:00Z' };
      },
    ],
    ['scale', (o) => void (typeof (o['spec'] as Obj | undefined)?.['replicas'] === 'number' && ((o['spec'] as Obj)['replicas'] = 5))],
  ];
  for (const { file, request } of creates) {
    for (const [what, change] of quiet) {
      assert.equal(reaches(expression, update(request, change)), false, `${file}: ${what}`);
    }
  }
});

test('matchConditions: changing any image — container, init container, ephemeral container, image volume — reaches the webhook', (t) => {
  if (!existsSync(VECTORS)) {
    t.skip(`the shared AdmissionReview vectors are not at ${VECTORS}`);
    return;
  }
  const expression = condition();
  const creates = vectors().filter((v) => v.request.operation === 'CREATE' && v.request.object);
  const imageVolume = { name: 'models', image: { reference: 'registry.example/models:1', pullPolicy: 'IfNotPresent' } };
  const loud: [string, (o: Obj) => void][] = [
    ['container image', (o) => void ((podSpec(o)['containers'] as Obj[])[0]!['image'] = 'registry.example/other:2')],
    [
      'init container added',
      (o) =>
        void (podSpec(o)['initContainers'] = [
          ...((podSpec(o)['initContainers'] as Obj[] | undefined) ?? []),
          { name: 'setup', image: 'busybox:1' },
        ]),
    ],
    ['ephemeral container added', (o) => void (podSpec(o)['ephemeralContainers'] = [{ name: 'debug', image: 'bad-debug:1' }])],
    ['image volume added', (o) => void (podSpec(o)['volumes'] = [...((podSpec(o)['volumes'] as Obj[] | undefined) ?? []), imageVolume])],
  ];
  for (const { file, request } of creates) {
    for (const [what, change] of loud) assert.equal(reaches(expression, update(request, change)), true, `${file}: ${what}`);
    // An image volume's reference changing is an image change too; an identical one is not.
    const withVolume: Request = { ...request, object: update(request, (o) => void (podSpec(o)['volumes'] = [imageVolume])).object };
    const newReference = (o: Obj) =>
      void ((podSpec(o)['volumes'] as Obj[])[0] = { ...imageVolume, image: { reference: 'registry.example/models:2' } });
    assert.equal(reaches(expression, update(withVolume, newReference)), true, `${file}: image volume reference changed`);
    assert.equal(
      reaches(
        expression,
        update(withVolume, () => {}),
      ),
      false,
      `${file}: image volume unchanged`,
    );
  }
});
