// OCI image volumes (`spec.volumes[].image.reference`, Kubernetes 1.31+) make the kubelet pull an
// image onto the node like a container does: admission finds them in every workload kind, judges
// them, names them by volume in a refusal, pins them when asked and audits them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { AuditBatchSchema, Compliance, Topics, type AuditEvent } from '@assay/proto';
import { auditEventOf } from '@assay/admission';
import {
  extractImages,
  ImageFieldError,
  imagesOf,
  IMAGE_SOURCES,
  parseAdmissionReview,
  pinDigestsPatch,
  podSpecPath,
  POD_SPEC_PATHS,
  reviewAdmission,
  wantsPinning,
} from '@assay/review-engine';
import { buildImage, pushImage } from '../support/oci-image.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { waitFor } from '../support/processes.ts';
import { canonical, digestFor, genericImageWalk, memorySnapshot, post, runtimePolicy, verdict } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const NOW = new Date('2026-11-26T12:00:00Z');
const APP = 'registry.local/team/app:v1';
const MODELS = 'registry.local/ml/models:v3';
const GOOD = digestFor('app');
const BAD = digestFor('models');

/** A pod spec with a container, a ConfigMap volume and an image volume. */
const podSpec = (models = MODELS) => ({
  containers: [{ name: 'app', image: APP, volumeMounts: [{ name: 'models', mountPath: '/models' }] }],
  volumes: [
    { name: 'config', configMap: { name: 'app-config' } },
    { name: 'models', image: { reference: models, pullPolicy: 'IfNotPresent' } },
  ],
});

/** `value` placed at `path` (object keys), as the kind keeps its pod spec. */
function nest(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/** The value a JSON Pointer (RFC 6901) addresses in `doc`. */
function atPointer(doc: unknown, pointer: string): unknown {
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], doc);
}

const review = (kind: { group: string; kind: string }, object: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'uid-vol',
    operation: 'CREATE',
    namespace: 'shop',
    name: 'w',
    kind: { ...kind, version: 'v1' },
    userInfo: { username: 'dev' },
    object,
    ...extra,
  },
});

const snap = () =>
  memorySnapshot({
    policies: [runtimePolicy('rp')],
    tags: new Map([
      [canonical(APP), GOOD],
      [canonical(MODELS), BAD],
    ]),
    verdicts: new Map([
      [GOOD, verdict(Compliance.COMPLIANT)],
      [
        BAD,
        verdict(Compliance.NON_COMPLIANT, [
          { policy: 'baseline', control: 'sensitive_data', message: 'sensitive data: private key at /models/key.pem' },
        ]),
      ],
    ]),
  });

describe('admission: OCI image volumes', () => {
  it('are found in every reviewed kind, after the containers, with path, pointer and volume name', () => {
    assert.deepEqual(IMAGE_SOURCES, ['initContainers', 'containers', 'ephemeralContainers', 'volumes']);
    for (const [key, specPath] of Object.entries(POD_SPEC_PATHS)) {
      const object = nest(specPath, podSpec());
      const found = extractImages(object, specPath);
      const at = specPath.join('.');
      assert.deepEqual(
        found.map((f) => [f.reference, f.list, f.name, f.path, f.where]),
        [
          [APP, 'containers', 'app', `${at}.containers[0].image`, `${at}.containers[0].image`],
          [MODELS, 'volumes', 'models', `${at}.volumes[1].image.reference`, `${at}.volumes[1].image.reference (volume "models")`],
        ],
        key,
      );
      assert.equal(found[1]!.pointer, `/${[...specPath, 'volumes', '1', 'image', 'reference'].join('/')}`, key);
      assert.equal(atPointer(object, found[1]!.pointer), MODELS, `${key}: the pointer addresses the reference`);
      assert.deepEqual(found.map((f) => f.reference).sort(), genericImageWalk(object).sort(), `${key}: the generic walk agrees`);
    }
  });

  it('refuses volumes of the wrong type, and skips volumes without an image', () => {
    assert.throws(() => extractImages({ spec: { volumes: {} } }, ['spec']), /spec\.volumes is not a list/);
    assert.throws(() => extractImages({ spec: { volumes: ['x'] } }, ['spec']), ImageFieldError);
    assert.throws(
      () => extractImages({ spec: { volumes: [{ name: 'v', image: 'nginx' }] } }, ['spec']),
      /spec\.volumes\[0\]\.image is not an object/,
    );
    assert.throws(
      () => extractImages({ spec: { volumes: [{ name: 'v', image: { reference: 7 } }] } }, ['spec']),
      /spec\.volumes\[0\]\.image\.reference is not a string/,
    );
    // A template may leave the reference to be filled in; an emptyDir names no image.
    assert.deepEqual(
      extractImages(
        {
          spec: {
            volumes: [
              { name: 'v', image: { reference: '' } },
              { name: 'e', emptyDir: {} },
              { name: 'n', image: null },
            ],
          },
        },
        ['spec'],
      ),
      [],
    );
  });

  for (const [group, kind] of [
    ['', 'Pod'],
    ['apps', 'Deployment'],
    ['batch', 'CronJob'],
    ['', 'PodTemplate'],
  ] as const) {
    it(`a non-compliant image volume refuses a ${kind}, named by its volume, reference as written and digest`, () => {
      const object = nest(podSpecPath(group, kind)!, podSpec());
      const { response, outcome } = reviewAdmission(review({ group, kind }, object), snap(), { now: NOW });
      assert.equal(response.response.allowed, false);
      const at = podSpecPath(group, kind)!.join('.');
      assert.equal(
        response.response.status!.message,
        `${at}.volumes[1].image.reference (volume "models"): image "${MODELS}" (${BAD}) is non-compliant: baseline/sensitive_data: sensitive data: private key at /models/key.pem (runtime policy rp)`,
      );
      assert.deepEqual(
        outcome.images.map((i) => [i.field.list, i.allowed]),
        [
          ['containers', true],
          ['volumes', false],
        ],
      );
    });
  }

  it('an unregistered image volume is refused; a compliant one is allowed', () => {
    const unknown = reviewAdmission(review({ group: '', kind: 'Pod' }, { spec: podSpec('registry.local/ml/other:v1') }), snap(), {
      now: NOW,
    });
    assert.equal(unknown.response.response.allowed, false);
    assert.equal(
      unknown.response.response.status!.message,
      'spec.volumes[1].image.reference (volume "models"): image "registry.local/ml/other:v1" (digest unknown) is not registered (never scanned) (runtime policy rp)',
    );
    const fine = reviewAdmission(review({ group: '', kind: 'Pod' }, { spec: podSpec(APP) }), snap(), { now: NOW });
    assert.equal(fine.response.response.allowed, true);
    assert.equal(fine.outcome.images.length, 2);
  });

  it('an invalid volume reference is refused under enforce, named by its volume', () => {
    const { response } = reviewAdmission(review({ group: '', kind: 'Pod' }, { spec: podSpec('Registry.local/ML/Models') }), snap(), {
      now: NOW,
    });
    assert.equal(response.response.allowed, false);
    assert.match(
      response.response.status!.message,
      /^spec\.volumes\[1\]\.image\.reference \(volume "models"\): image reference "Registry\.local\/ML\/Models" is invalid: .*must be lowercase/,
    );
  });

  it('/mutate pins an image volume like a container: a replace at the reference', () => {
    const body = review({ group: '', kind: 'Pod' }, { metadata: { labels: { 'assay.dev/pin-digests': 'true' } }, spec: podSpec() });
    const req = parseAdmissionReview(body);
    assert.equal(wantsPinning(req, false), true);
    const { outcome } = reviewAdmission(body, snap(), { now: NOW });
    const patch = pinDigestsPatch(outcome);
    assert.deepEqual(patch, [
      { op: 'replace', path: '/spec/containers/0/image', value: `${APP}@${GOOD}` },
      { op: 'replace', path: '/spec/volumes/1/image/reference', value: `${MODELS}@${BAD}` },
    ]);
    for (const op of patch) assert.equal(typeof atPointer(body.request.object, op.path), 'string', `${op.path} exists in the object`);
  });

  it('on UPDATE only a changed volume reference is reviewed; the ephemeralcontainers subresource never reviews volumes', () => {
    const spec = { group: 'apps', kind: 'Deployment' };
    const path = podSpecPath('apps', 'Deployment')!;
    const same = parseAdmissionReview(review(spec, nest(path, podSpec()), { operation: 'UPDATE', oldObject: nest(path, podSpec()) }));
    assert.deepEqual(imagesOf(same), []);
    const changed = parseAdmissionReview(
      review(spec, nest(path, podSpec()), { operation: 'UPDATE', oldObject: nest(path, podSpec('registry.local/ml/models:v2')) }),
    );
    assert.deepEqual(
      imagesOf(changed).map((f) => f.reference),
      [MODELS],
    );
    const debug = parseAdmissionReview(
      review(
        { group: '', kind: 'Pod' },
        { spec: { ...podSpec(), ephemeralContainers: [{ name: 'dbg', image: APP }] } },
        { operation: 'UPDATE', subResource: 'ephemeralcontainers' },
      ),
    );
    assert.deepEqual(
      imagesOf(debug).map((f) => f.list),
      ['ephemeralContainers'],
    );
  });

  it('the audit event lists the image volume with its path, reference, digest and outcome', () => {
    const { outcome } = reviewAdmission(review({ group: 'batch', kind: 'Job' }, nest(podSpecPath('batch', 'Job')!, podSpec())), snap(), {
      now: NOW,
    });
    const ev = auditEventOf(outcome, 'admission');
    assert.equal(ev.event.case, 'admission');
    if (ev.event.case !== 'admission') return;
    const vol = ev.event.value.images.find((i) => i.path.includes('volumes'));
    assert.ok(vol, 'the volume image is audited');
    assert.equal(vol.path, 'spec.template.spec.volumes[1].image.reference');
    assert.equal(vol.reference, MODELS);
    assert.equal(vol.image?.digest, BAD);
    assert.equal(vol.allowed, false);
    assert.equal(vol.compliance, Compliance.NON_COMPLIANT);
    assert.match(ev.event.value.message, /volume "models"/);
  });
});

describe('admission: OCI image volumes through the HTTPS webhook (real nats-server and registry)', () => {
  let stack: Stack;
  let registry: Registry;
  let url: string;
  let pushed: string;
  const audits: AuditEvent[] = [];

  before(async () => {
    stack = await startStack();
    const sub = stack.admin.nc.subscribe(Topics.auditAdmissionBatch.subject);
    void (async () => {
      for await (const m of sub) audits.push(...fromBinary(AuditBatchSchema, m.data).events);
    })();
    await stack.putPolicy(runtimePolicy('rp', { scope: { namespaces: ['shop'] } }));
    await stack.putTag(APP, GOOD);
    await stack.putVerdict(GOOD, verdict(Compliance.COMPLIANT));
    // The volume's tag is not in the tags bucket: admission resolves it with a registry HEAD.
    registry = await startRegistry();
    pushed = await pushImage(
      registry.host,
      'ml/models',
      'v3',
      await buildImage({ layers: [[{ path: 'models/key.pem', content: 'not really a key\n' }]] }),
    );
    await stack.putVerdict(
      pushed,
      verdict(Compliance.NON_COMPLIANT, [
        { policy: 'baseline', control: 'sensitive_data', message: 'sensitive data: private key at /models/key.pem' },
      ]),
    );
    const svc = await stack.service({ ADMISSION_TAG_LOOKUP_TIMEOUT: '2000' });
    url = svc.api!.webhook!.address;
  });
  after(async () => {
    await stack?.close();
    await registry?.close();
  });

  it('/validate refuses a pod whose image volume is non-compliant, resolving its tag in the registry, and audits the volume', async () => {
    const models = `${registry.host}/ml/models:v3`;
    const body = review({ group: '', kind: 'Pod' }, { metadata: { name: 'w' }, spec: podSpec(models) });
    const res = await post(stack.agent, `${url}/validate`, body);
    assert.equal(res.status, 200);
    assert.equal(res.json.response.allowed, false);
    assert.equal(
      res.json.response.status.message,
      `spec.volumes[1].image.reference (volume "models"): image "${models}" (${pushed}) is non-compliant: baseline/sensitive_data: sensitive data: private key at /models/key.pem (runtime policy rp)`,
    );
    const ev = await waitFor('the audit event', () => audits.find((a) => a.event.case === 'admission' && a.event.value.uid === 'uid-vol'));
    assert.equal(ev.event.case, 'admission');
    if (ev.event.case !== 'admission') return;
    assert.deepEqual(
      ev.event.value.images.map((i) => [i.path, i.reference, i.image?.digest, i.allowed]),
      [
        ['spec.containers[0].image', APP, GOOD, true],
        ['spec.volumes[1].image.reference', models, pushed, false],
      ],
    );
  });

  it('/mutate pins the image volume of a labelled pod at its reference', async () => {
    const models = `${registry.host}/ml/models:v3`;
    const body = review(
      { group: '', kind: 'Pod' },
      { metadata: { name: 'w', labels: { 'assay.dev/pin-digests': 'true' } }, spec: podSpec(models) },
    );
    const res = await post(stack.agent, `${url}/mutate`, { ...body, request: { ...body.request, uid: 'uid-mut' } });
    assert.equal(res.json.response.allowed, true);
    assert.equal(res.json.response.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(res.json.response.patch, 'base64').toString('utf8')), [
      { op: 'replace', path: '/spec/containers/0/image', value: `${APP}@${GOOD}` },
      { op: 'replace', path: '/spec/volumes/1/image/reference', value: `${models}@${pushed}` },
    ]);
  });
});
