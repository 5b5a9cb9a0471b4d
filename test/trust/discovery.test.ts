// discoverArtifacts against a real Distribution 2.8 registry (no referrers API: referrers are
// found through their fallback tag). A two-platform index is signed on the index (cosign `.sig`)
// and on one platform (cosign `.sig` with two signatures, `.att` with a DSSE attestation, and a
// keyless Sigstore bundle made with @sigstore/sign against @sigstore/mock, attached with
// @sigstore/oci); the other platform carries a cosign signature stored as a referrer. Each is
// found under the right subject and scope; what cannot be used is a warning, never a throw.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attachArtifactToImage, type Credentials } from '@sigstore/oci';
import { RegistryClient } from '@assay/registry-client';
import { discoverArtifacts, type DiscoverySubject } from '@assay/trust';
import type { BundleArtifact, CosignAttestationArtifact, CosignSignatureArtifact } from '@assay/trust';
import {
  attestationLayer,
  cosignTagOf,
  descriptorOf,
  ecdsaKeyPair,
  pushCosignManifest,
  putManifest,
  signatureLayer,
} from '../support/cosign-artifacts.ts';
import { buildImage, buildIndex, type BuiltIndex, MediaTypes, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type MockSigstore, startMockSigstore } from './sigstore-mock.ts';

const REPO = 'team/app';
const COSIGN_SIG_ARTIFACT = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('trust: discovery of signatures and attestations', () => {
  let registry: Registry;
  let client: RegistryClient;
  let sigstore: MockSigstore;
  let index: BuiltIndex;
  let amd64: string;
  let arm64: string;
  let indexSig: string;
  let amd64Sig: string;
  let amd64Att: string;
  let bundleReferrer: string;
  let bundleMediaType: string;
  let arm64Referrer: string;
  const key = ecdsaKeyPair();
  const reference = () => `${registry.host}/${REPO}`;

  before(async () => {
    registry = await startRegistry();
    sigstore = await startMockSigstore();
    client = new RegistryClient({ registry: registry.host, insecure: true, retries: 0 });
    const images = await Promise.all(
      (['amd64', 'arm64'] as const).map((architecture) =>
        buildImage({ layers: [[{ path: 'arch', content: `${architecture}\n` }]], platform: { os: 'linux', architecture } }),
      ),
    );
    index = buildIndex(images);
    await pushImage(registry.host, REPO, 'v1', index);
    amd64 = images[0]!.digest;
    arm64 = images[1]!.digest;

    // cosign sign on the index: one key signature.
    indexSig = (
      await pushCosignManifest(registry.url, REPO, cosignTagOf(index.digest, '.sig'), [
        signatureLayer(key.privateKey, reference(), index.digest),
      ])
    ).digest;
    // cosign sign on amd64, twice (a key signature, and a keyless one with its material), and cosign attest.
    amd64Sig = (
      await pushCosignManifest(registry.url, REPO, cosignTagOf(amd64, '.sig'), [
        signatureLayer(key.privateKey, reference(), amd64),
        signatureLayer(key.privateKey, reference(), amd64, {
          'dev.sigstore.cosign/certificate': CERT,
          'dev.sigstore.cosign/chain': CERT,
          'dev.sigstore.cosign/bundle': '{"SignedEntryTimestamp":"MEU=","Payload":{}}',
        }),
      ])
    ).digest;
    amd64Att = (await pushCosignManifest(registry.url, REPO, cosignTagOf(amd64, '.att'), [attestationLayer(key.privateKey, amd64)])).digest;

    // A keyless DSSE bundle about amd64, attached as a referrer the way sigstore-js tooling does.
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: `${reference()}`, digest: { sha256: amd64.slice('sha256:'.length) } }],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: { buildDefinition: { buildType: 'https://example.test/build' } },
      }),
    );
    const bundle = (await sigstore.signDsse(statement, 'application/vnd.in-toto+json')) as { mediaType: string };
    bundleMediaType = bundle.mediaType;
    bundleReferrer = (
      await attachArtifactToImage({
        imageName: reference(),
        imageDigest: amd64,
        artifact: Buffer.from(JSON.stringify(bundle)),
        mediaType: bundle.mediaType,
        // The test registry asks for no credentials; @sigstore/oci signs in only when given some.
        credentials: undefined as unknown as Credentials,
      })
    ).digest;

    // arm64: a cosign signature stored as a referrer (cosign's OCI 1.1 mode), listed in the fallback
    // index by hand since Distribution 2.8 keeps no referrers; plus a referrer that lies about its subject.
    const arm64Descriptor = descriptorOf(MediaTypes.ociManifest, images[1]!.bytes);
    const referrer = await pushCosignManifest(registry.url, REPO, undefined, [signatureLayer(key.privateKey, reference(), arm64)], {
      subject: arm64Descriptor,
      artifactType: COSIGN_SIG_ARTIFACT,
    });
    arm64Referrer = referrer.digest;
    const impostor = await pushCosignManifest(registry.url, REPO, undefined, [signatureLayer(key.privateKey, reference(), amd64)], {
      subject: descriptorOf(MediaTypes.ociManifest, images[0]!.bytes),
      artifactType: COSIGN_SIG_ARTIFACT,
    });
    await putManifest(
      registry.url,
      REPO,
      cosignTagOf(arm64, ''),
      {
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          { mediaType: MediaTypes.ociManifest, digest: referrer.digest, size: referrer.bytes.length, artifactType: COSIGN_SIG_ARTIFACT },
          { mediaType: MediaTypes.ociManifest, digest: impostor.digest, size: impostor.bytes.length, artifactType: COSIGN_SIG_ARTIFACT },
          // An SBOM is a referrer too, but not a signature: passed over without a word.
          { mediaType: MediaTypes.ociManifest, digest: impostor.digest, size: 1, artifactType: 'application/spdx+json' },
        ],
      },
      MediaTypes.ociIndex,
    );
  });

  after(async () => {
    await client?.close();
    await sigstore?.close();
    await registry?.close();
  });

  const subjects = (): DiscoverySubject[] => [
    { digest: amd64, scope: 'image' },
    { digest: index.digest, scope: 'index' },
  ];

  test('amd64 and its index: each artifact under its own subject and scope, with its bytes', async () => {
    const d = await discoverArtifacts(client, REPO, subjects());
    assert.deepEqual(d.warnings, []);
    assert.deepEqual(
      d.artifacts.map((a) => [a.kind, a.subject, a.scope, a.source, a.artifact.split('/')[0]]),
      [
        ['cosign-signature', amd64, 'image', 'cosign-tag', amd64Sig],
        ['cosign-signature', amd64, 'image', 'cosign-tag', amd64Sig],
        ['cosign-attestation', amd64, 'image', 'cosign-tag', amd64Att],
        ['sigstore-bundle', amd64, 'image', 'referrer', bundleReferrer],
        ['cosign-signature', index.digest, 'index', 'cosign-tag', indexSig],
      ],
    );
    const [keyed, keyless] = d.artifacts as CosignSignatureArtifact[];
    const payload = JSON.parse(keyed!.payload.toString('utf8')) as { critical: { image: Record<string, string> } };
    assert.equal(payload.critical.image['docker-manifest-digest'], amd64);
    assert.match(keyed!.signature, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(keyed!.certificate, undefined);
    assert.equal(keyless!.certificate, CERT);
    assert.equal(keyless!.chain, CERT);
    assert.match(keyless!.rekorBundle ?? '', /SignedEntryTimestamp/);
    assert.match(keyed!.artifact, /^sha256:[a-f0-9]{64}\/sha256:[a-f0-9]{64}$/);

    const att = d.artifacts[2] as CosignAttestationArtifact;
    assert.equal((JSON.parse(att.envelope.toString('utf8')) as { payloadType: string }).payloadType, 'application/vnd.in-toto+json');

    const b = d.artifacts[3] as BundleArtifact;
    assert.equal(b.mediaType, bundleMediaType);
    assert.match(b.mediaType, /sigstore\.bundle/);
    assert.equal((JSON.parse(b.bundle.toString('utf8')) as { mediaType: string }).mediaType, bundleMediaType);

    const indexSignature = d.artifacts[4] as CosignSignatureArtifact;
    const indexPayload = JSON.parse(indexSignature.payload.toString('utf8')) as {
      critical: { image: Record<string, string> };
    };
    assert.equal(indexPayload.critical.image['docker-manifest-digest'], index.digest);
  });

  test('arm64: the cosign signature stored as a referrer is found; a referrer about another digest is refused', async () => {
    const d = await discoverArtifacts(client, REPO, [
      { digest: arm64, scope: 'image' },
      { digest: index.digest, scope: 'index' },
    ]);
    assert.deepEqual(
      d.artifacts.map((a) => [a.kind, a.subject, a.scope, a.source, a.artifact.split('/')[0]]),
      [
        ['cosign-signature', arm64, 'image', 'referrer', arm64Referrer],
        ['cosign-signature', index.digest, 'index', 'cosign-tag', indexSig],
      ],
    );
    assert.equal(d.warnings.length, 1);
    assert.match(d.warnings[0]!, new RegExp(`^image ${arm64}: referrer sha256:[a-f0-9]{64} names subject ${amd64}; ignored$`));
  });

  test('nothing signed (no tags, no referrers) is no artifact and no warning', async () => {
    const unsigned = await buildImage({ layers: [[{ path: 'u', content: 'unsigned\n' }]] });
    await pushImage(registry.host, REPO, 'unsigned', unsigned);
    assert.deepEqual(await discoverArtifacts(client, REPO, [{ digest: unsigned.digest, scope: 'image' }]), { artifacts: [], warnings: [] });
  });

  test('bounded: artifacts per subject and blob size, each overflow a warning naming it', async () => {
    const few = await discoverArtifacts(client, REPO, [{ digest: amd64, scope: 'image' }], { maxArtifactsPerSubject: 2 });
    assert.equal(few.artifacts.length, 2);
    assert.deepEqual(few.warnings, [`image ${amd64}: more than 2 signatures and attestations; the rest were not read`]);

    const small = await discoverArtifacts(client, REPO, [{ digest: index.digest, scope: 'index' }], { maxBlobBytes: 64 });
    assert.deepEqual(small.artifacts, []);
    assert.equal(small.warnings.length, 1);
    assert.match(
      small.warnings[0]!,
      new RegExp(`^index ${index.digest}: artifact ${indexSig}/sha256:[a-f0-9]{64} is \\d+ bytes, more than the 64-byte limit; not read$`),
    );
  });

  test('a registry that cannot be reached: warnings, never a throw', async () => {
    const down = new RegistryClient({ registry: '127.0.0.1:1', insecure: true, retries: 0, timeoutMs: 2000 });
    try {
      const d = await discoverArtifacts(down, REPO, [
        { digest: amd64, scope: 'image' },
        { digest: 'not-a-digest', scope: 'index' },
      ]);
      assert.deepEqual(d.artifacts, []);
      assert.equal(d.warnings.length, 4);
      assert.match(d.warnings[0]!, /cosign tag sha256-[a-f0-9]{64}\.sig could not be read/);
      assert.match(d.warnings[1]!, /cosign tag sha256-[a-f0-9]{64}\.att could not be read/);
      assert.match(d.warnings[2]!, /referrers could not be listed/);
      assert.equal(d.warnings[3], 'index not-a-digest: not a digest; nothing looked up');
    } finally {
      await down.close();
    }
  });
});
