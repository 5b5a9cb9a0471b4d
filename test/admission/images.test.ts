// No image path is missed: for every real API server request, the images the extractor finds
// are exactly those a generic walk finds under any container list; and every workload kind
// the webhook is registered for appears among the vectors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONTAINER_LISTS,
  extractImages,
  ImageFieldError,
  parseAdmissionReview,
  reviewedLists,
  podSpecPath,
  POD_SPEC_PATHS,
} from '@assay/review-engine';
import { genericImageWalk, realVectors, vectorsMissing } from './helpers.ts';

describe('admission: image extraction', () => {
  it('finds every image a generic walk finds, in every real API server request', (t) => {
    if (vectorsMissing(t)) return;
    const kinds = new Set<string>();
    for (const v of realVectors()) {
      const req = (v.body as { request: { object: unknown; kind: { group: string; kind: string } } }).request;
      if (!req.object) continue;
      const path = podSpecPath(req.kind.group, req.kind.kind);
      assert.ok(path, `${v.name}: kind ${req.kind.kind} has a pod spec path`);
      kinds.add(`${req.kind.group}/${req.kind.kind}`);
      const found = extractImages(req.object, path)
        .map((f) => f.reference)
        .sort();
      const walked = genericImageWalk(req.object).sort();
      assert.ok(walked.length > 0, `${v.name} has images`);
      assert.deepEqual(found, walked, v.name);
    }
    assert.deepEqual([...kinds].sort(), Object.keys(POD_SPEC_PATHS).sort(), 'every reviewed kind is covered by a vector');
  });

  it('names the path and JSON pointer of each image', () => {
    const obj = {
      spec: {
        jobTemplate: {
          spec: { template: { spec: { initContainers: [{ name: 'i', image: 'a:1' }], containers: [{ name: 'c', image: 'b:1' }] } } },
        },
      },
    };
    const found = extractImages(obj, podSpecPath('batch', 'CronJob')!);
    assert.deepEqual(
      found.map((f) => [f.path, f.pointer, f.name]),
      [
        ['spec.jobTemplate.spec.template.spec.initContainers[0].image', '/spec/jobTemplate/spec/template/spec/initContainers/0/image', 'i'],
        ['spec.jobTemplate.spec.template.spec.containers[0].image', '/spec/jobTemplate/spec/template/spec/containers/0/image', 'c'],
      ],
    );
    assert.deepEqual(CONTAINER_LISTS, ['initContainers', 'containers', 'ephemeralContainers']);
  });

  it('on the ephemeralcontainers subresource looks at the ephemeral containers only', (t) => {
    if (vectorsMissing(t)) return;
    const v = realVectors().find((x) => x.name.includes('014-update-pod-ephemeralcontainers'))!;
    const req = parseAdmissionReview(v.body);
    const found = extractImages(req.object, req.specPath!, reviewedLists(req)).map((f) => f.reference);
    assert.deepEqual(found, ['busybox:1.36', 'bad-debug:1']);
  });

  it('refuses containers and images of the wrong type', () => {
    assert.throws(() => extractImages({ spec: { containers: {} } }, ['spec']), ImageFieldError);
    assert.throws(() => extractImages({ spec: { containers: ['x'] } }, ['spec']), ImageFieldError);
    assert.throws(() => extractImages({ spec: { containers: [{ image: 5 }] } }, ['spec']), /containers\[0\]\.image is not a string/);
    assert.deepEqual(extractImages({ spec: {} }, ['spec']), []);
    assert.deepEqual(extractImages({}, ['spec', 'template', 'spec']), []);
  });
});
