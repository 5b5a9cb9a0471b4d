import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BASE_DIGEST_ANNOTATION,
  BASE_NAME_ANNOTATION,
  baseAnnotation,
  identifyBaseImage,
  type RegisteredBaseImage,
} from '../../packages/inventory/src/base-image/index.ts';

const d = (n: number, prefix = 'a') => `sha256:${prefix}${n.toString(16).padStart(63, '0')}`;
const diff = (n: number) => d(n, 'd');
const layers = (...ns: number[]) => ns.map((n) => ({ digest: d(n, 'c'), diffId: diff(n) }));

const debian: RegisteredBaseImage = { name: 'docker.io/library/debian:12', digest: d(100), diffIds: [diff(1)] };
const python: RegisteredBaseImage = { name: 'docker.io/library/python:3.12', digest: d(200), diffIds: [diff(1), diff(2), diff(3)] };
const bookworm: RegisteredBaseImage = { name: 'docker.io/library/debian:bookworm', digest: d(100), diffIds: [diff(1)] };
const alpine: RegisteredBaseImage = { name: 'docker.io/library/alpine:3.20', digest: d(300), diffIds: [diff(9)] };
const registered = [debian, python, alpine];

describe('base image by layer chain', () => {
  test('the longest registered chain that is a prefix wins', () => {
    assert.deepEqual(identifyBaseImage({ layers: layers(1, 2, 3, 4) }, registered), {
      name: python.name,
      digest: python.digest,
      matchedLayers: 3,
      source: 'layers',
    });
    assert.deepEqual(identifyBaseImage({ layers: layers(1, 2, 5) }, registered), {
      name: debian.name,
      digest: debian.digest,
      matchedLayers: 1,
      source: 'layers',
    });
  });

  test('a chain that is not a prefix does not match (same layers, other order or position)', () => {
    assert.equal(identifyBaseImage({ layers: layers(5, 1, 2, 3) }, registered), undefined);
    assert.deepEqual(identifyBaseImage({ layers: layers(1, 3, 2) }, registered)?.name, debian.name);
  });

  test('a base longer than the image, or with no layers, never matches', () => {
    assert.equal(identifyBaseImage({ layers: layers(1, 2) }, [python]), undefined);
    assert.equal(identifyBaseImage({ layers: layers(1) }, [{ name: 'scratch', digest: d(1), diffIds: [] }]), undefined);
  });

  test('the chain stops at a layer without a diff_id; layer digests are not compared', () => {
    const image = { layers: [{ digest: d(1, 'c'), diffId: diff(1) }, { digest: d(2, 'c') }, { digest: d(3, 'c'), diffId: diff(3) }] };
    assert.equal(identifyBaseImage(image, registered)?.name, debian.name);
    // Recompressed layers (new digests) keep their diff_ids: still a match.
    assert.equal(identifyBaseImage({ layers: layers(1, 2, 3).map((l) => ({ ...l, digest: d(7, 'e') })) }, registered)?.name, python.name);
  });

  test('equal chains under two names: the annotated one, else the first by name', () => {
    const image = { layers: layers(1, 7) };
    assert.equal(identifyBaseImage(image, [debian, bookworm])?.name, debian.name);
    assert.equal(identifyBaseImage(image, [bookworm, debian])?.name, debian.name);
    // The annotation's short name is the same reference as the registered full one.
    const annotated = identifyBaseImage({ ...image, annotations: { [BASE_NAME_ANNOTATION]: 'debian:bookworm' } }, [debian, bookworm]);
    assert.equal(annotated?.name, bookworm.name);
    assert.equal(annotated?.confirmed, true);
  });

  test('annotations confirm or contradict a layer match', () => {
    const agree = identifyBaseImage({ layers: layers(1, 2, 3, 4), annotations: { [BASE_DIGEST_ANNOTATION]: python.digest } }, registered);
    assert.equal(agree?.source, 'layers');
    assert.equal(agree?.confirmed, true);
    // The layers are stronger evidence than a label: the match stands, marked unconfirmed.
    const disagree = identifyBaseImage(
      { layers: layers(1, 2, 3, 4), configLabels: { [BASE_DIGEST_ANNOTATION]: alpine.digest } },
      registered,
    );
    assert.equal(disagree?.name, python.name);
    assert.equal(disagree?.confirmed, false);
  });
});

describe('base image by annotation', () => {
  test('an unregistered base named by annotation is reported as such', () => {
    const r = identifyBaseImage(
      { layers: layers(40, 41), annotations: { [BASE_NAME_ANNOTATION]: 'ghcr.io/acme/base:1', [BASE_DIGEST_ANNOTATION]: d(999) } },
      registered,
    );
    assert.deepEqual(r, { name: 'ghcr.io/acme/base:1', digest: d(999), matchedLayers: 0, source: 'annotation' });
  });

  test('config labels are the fallback when the manifest has no annotations', () => {
    const r = identifyBaseImage(
      { layers: layers(40), annotations: {}, configLabels: { [BASE_NAME_ANNOTATION]: 'ghcr.io/acme/base:2' } },
      registered,
    );
    assert.deepEqual(r, { name: 'ghcr.io/acme/base:2', matchedLayers: 0, source: 'annotation' });
    // Manifest annotations take precedence over labels.
    assert.deepEqual(baseAnnotation({ annotations: { [BASE_NAME_ANNOTATION]: 'm' }, configLabels: { [BASE_NAME_ANNOTATION]: 'l' } }), {
      name: 'm',
    });
  });

  test('an annotation naming a registered base whose layers are not there: reported, unconfirmed (squashed image)', () => {
    const r = identifyBaseImage({ layers: layers(40), annotations: { [BASE_DIGEST_ANNOTATION]: alpine.digest } }, registered);
    assert.deepEqual(r, { name: alpine.name, digest: alpine.digest, matchedLayers: 0, source: 'annotation', confirmed: false });
  });

  test('nothing to go on: undefined (no match, no annotation, or a bare unknown digest, or blank values)', () => {
    assert.equal(identifyBaseImage({ layers: layers(40) }, registered), undefined);
    assert.equal(identifyBaseImage({ layers: [] }, registered), undefined);
    assert.equal(identifyBaseImage({ layers: layers(40), annotations: { [BASE_DIGEST_ANNOTATION]: d(12345) } }, registered), undefined);
    assert.equal(identifyBaseImage({ layers: layers(40), annotations: { [BASE_NAME_ANNOTATION]: '  ' } }, registered), undefined);
  });
});
