// The walkthrough's trust part: a "trusted signers" image assurance policy (one cosign key), the
// runtime policy that enforces it in its own namespace, two small images (one to be signed, one
// left unsigned), and the signing itself — a cosign signature pushed to the registry exactly as
// `cosign sign --key` writes it (simple-signing payload, `sha256-<hex>.sig` tag). The key is made
// once and kept beside the stack's state, so re-runs keep the same trusted key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cosignTagOf, pushCosignManifest, signatureLayer } from '../../test/support/cosign-artifacts.ts';
import { buildImage, type BuiltImage, type Platform } from '../../test/support/oci-image.ts';

export const TRUST_POLICY = 'demo-trusted-signers';
export const TRUST_RUNTIME_POLICY = 'demo-require-signatures';
export const TRUST_NAMESPACE = 'demo-signed';
/** Repositories the trusted-signers policy covers. */
export const TRUSTED_REPOSITORIES = 'demo/trusted-*';

export interface DemoSigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
}

/** The demo's cosign key (ECDSA P-256), made once under `stateDir` (mode 0600). */
export function demoSigningKey(stateDir: string): DemoSigningKey {
  const file = join(stateDir, 'demo-cosign.key');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKeyPem };
}

/** The image assurance policy: images of the trusted repositories must carry the demo key's signature. */
export function trustPolicyDocument(publicKeyPem: string): Record<string, unknown> {
  return {
    name: 'Signed by the release key',
    enabled: true,
    action: 'block',
    scope: { repositories: [TRUSTED_REPOSITORIES] },
    controls: { signatures: { signers: [{ name: 'demo release key', key: publicKeyPem }] } },
  };
}

/** The runtime policy enforcing it in its namespace. */
export function trustRuntimePolicyDocument(platform: Platform): Record<string, unknown> {
  return {
    name: 'require signatures',
    enabled: true,
    enforcement: 'enforce',
    scope: { namespaces: [TRUST_NAMESPACE] },
    imagePolicies: [TRUST_POLICY],
    blockUnregistered: true,
    blockPending: true,
    platforms: [{ os: platform.os, architecture: platform.architecture }],
  };
}

/** Two small images, new digests every run: one to be signed, one left unsigned. */
export async function buildTrustImages(runId: string): Promise<{ signed: BuiltImage; unsigned: BuiltImage }> {
  const image = (name: string) =>
    buildImage({
      config: { User: '1000', Cmd: ['/app/hello'] },
      layers: [
        [
          { path: 'app', type: 'dir' },
          { path: 'app/hello', mode: 0o755, content: `#!/bin/sh\necho ${name}\n` },
          { path: 'app/RUN', content: `assay demo ${name} ${runId}\n` },
        ],
      ],
    });
  return { signed: await image('signed'), unsigned: await image('unsigned') };
}

/** `cosign sign --key`: the signature of `digest` pushed as `sha256-<hex>.sig` in its repository. */
export async function signImage(
  registry: { host: string; url: string },
  repository: string,
  digest: string,
  key: DemoSigningKey,
): Promise<string> {
  const tag = cosignTagOf(digest, '.sig');
  await pushCosignManifest(registry.url, repository, tag, [signatureLayer(key.privateKey, `${registry.host}/${repository}`, digest)]);
  return tag;
}
