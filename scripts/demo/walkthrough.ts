// The seed walkthrough's shared pieces (issue 12): its two images, its two policies and the
// AdmissionReview the webhook is sent. Used by `npm run demo` (scripts/demo.ts, against the
// system `npm start` runs) and by the in-process end-to-end test (test/e2e/walkthrough.test.ts).
import { debianImage } from '../../test/support/debian-rootfs.ts';
import { buildImage, type BuiltImage, type LayerSpec, type Platform } from '../../test/support/oci-image.ts';

export const IMAGE_POLICY = 'demo-no-private-keys';
export const RUNTIME_POLICY = 'demo-block-non-compliant';
export const DEMO_NAMESPACE = 'demo';

export interface DemoImages {
  /** PostgreSQL-like, on a real Debian rootfs with `ssl-cert` (its snakeoil key under /etc/ssl/private). */
  demo: BuiltImage;
  /** No keys, no packages. */
  clean: BuiltImage;
}

/**
 * Builds both images. With `runId`, each gets one more small layer naming the run, so every run
 * pushes new digests (fresh discovery, scan and verdict) while the big Debian layer is reused.
 */
export async function buildDemoImages(opts: { runId?: string } = {}): Promise<DemoImages> {
  const runLayer = (path: string): LayerSpec[] => (opts.runId ? [[{ path, content: `assay demo run ${opts.runId}\n` }]] : []);
  const demo = await debianImage({
    include: ['ssl-cert'],
    config: { User: '999', Cmd: ['postgres'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PG_MAJOR=16'] },
    layers: [
      [{ path: 'usr/local/bin/postgres', mode: 0o755, content: '#!/bin/sh\necho "postgres placeholder"\nexec sleep infinity\n' }],
      ...runLayer('etc/assay-demo-run'),
    ],
  });
  const clean = await buildImage({
    config: { User: '1000', Cmd: ['/app/hello'] },
    layers: [
      [
        { path: 'app', type: 'dir' },
        { path: 'app/hello', mode: 0o755, content: '#!/bin/sh\necho hello\n' },
        { path: 'app/README', content: 'a clean image: no keys, no packages\n' },
      ],
      ...runLayer('app/RUN'),
    ],
  });
  return { demo, clean };
}

/** The image assurance policy: the sensitive-data control blocks (private keys in the image). */
export function imagePolicyDocument(): Record<string, unknown> {
  return {
    name: 'No private keys in images',
    enabled: true,
    action: 'block',
    controls: { sensitiveData: { block: true } },
  };
}

/** The runtime policy "block non-compliant images", enforced in the demo namespace. */
export function runtimePolicyDocument(platform: Platform): Record<string, unknown> {
  return {
    name: 'block non-compliant images',
    enabled: true,
    enforcement: 'enforce',
    scope: { namespaces: [DEMO_NAMESPACE] },
    imagePolicies: [IMAGE_POLICY],
    blockUnregistered: true,
    blockPending: true,
    platforms: [{ os: platform.os, architecture: platform.architecture }],
  };
}

/** An AdmissionReview (v1) as the API server sends it for the CREATE of a Deployment. */
export function deploymentReview(uid: string, namespace: string, name: string, images: string[]): unknown {
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
      },
    },
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name,
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}
