// `assay verify` and `assay scan --verify-…` run in-process against a real registry (Distribution)
// holding real images and their signatures in the formats real tools write: cosign `.sig`/`.att`
// tags built per cosign's published format (ECDSA P-256, Ed25519 and RSA keys), and keyless
// Sigstore bundles made by @sigstore/sign against @sigstore/mock (a private Fulcio, Rekor and TSA
// with its own trusted_root.json) attached as referrers by @sigstore/oci. Exit 0 verified, 1 not,
// 2 error; each refusal names why.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { attachArtifactToImage, type Credentials } from '@sigstore/oci';
import { runCli, type CliIo } from '@assay/cli';
import {
  cosignTagOf,
  DSSE,
  dsseEnvelope,
  ecdsaKeyPair,
  pushCosignManifest,
  signatureLayer,
  SIMPLE_SIGNING,
  simpleSigningPayload,
  type Layer,
} from '../support/cosign-artifacts.ts';
import { buildImage, pushImage, type BuiltImage } from '../support/oci-image.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { MOCK_IDENTITY, MOCK_ISSUER, startMockSigstore, type MockSigstore } from '../trust/sigstore-mock.ts';

const REPO = 'team/app';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function assay(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => '' };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** A cosign signature layer signed with any key type: Ed25519 signs the payload itself, the others its SHA-256. */
function layerSignedWith(privateKey: KeyObject, reference: string, digest: string): Layer {
  const data = simpleSigningPayload(reference, digest);
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return {
    data,
    mediaType: SIMPLE_SIGNING,
    annotations: { 'dev.cosignproject.cosign/signature': sign(algorithm, data, privateKey).toString('base64') },
  };
}

/**
 * A cosign `.att` layer: SLSA provenance v0.2 (the fields the SLSA spec's v0.2 example has) in a DSSE
 * envelope about `digest`; cosign leaves the layer's signature annotation empty.
 */
function provenanceLayer(privateKey: KeyObject, digest: string): Layer {
  const predicateType = 'https://slsa.dev/provenance/v0.2';
  const predicate = {
    builder: { id: BUILDER },
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/container@v1',
    invocation: { configSource: { uri: 'git+https://github.com/example/app@refs/heads/main', digest: { sha1: 'a'.repeat(40) } } },
  };
  return {
    data: dsseEnvelope(privateKey, digest, predicateType, predicate),
    mediaType: DSSE,
    annotations: { 'dev.cosignproject.cosign/signature': '', predicateType },
  };
}

const BUILDER = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0';

const pemOf = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

describe('assay verify and assay scan --verify-… (real registry, cosign formats, mock Sigstore)', () => {
  let registry: Registry;
  let sigstore: MockSigstore;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  const key = ecdsaKeyPair();
  const other = ecdsaKeyPair();
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const images: Record<string, BuiltImage> = {};
  const files: Record<string, string> = {};
  const reference = () => `${registry.host}/${REPO}`;
  const ref = (tag: string) => `${registry.host}/${REPO}:${tag}`;

  before(async () => {
    registry = await startRegistry();
    sigstore = await startMockSigstore();
    dir = await makeTempDir('cli-verify');
    const names = ['signed', 'unsigned', 'elsewhere', 'copied', 'ed25519', 'rsa', 'keyless', 'keyless-tlog', 'attested', 'misattested'];
    for (const name of names) {
      images[name] = await buildImage({
        layers: [
          [
            { path: 'etc/os-release', content: `ID=alpine\nVERSION_ID=3.19.${name.length}\n` },
            { path: 'app', content: `${name}\n` },
          ],
        ],
      });
      await pushImage(registry.host, REPO, name, images[name]!);
    }
    const d = (name: string) => images[name]!.digest;
    const sigTag = (name: string) => cosignTagOf(d(name), '.sig');

    // cosign sign --key: the simple-signing payload names this repository and digest.
    await pushCosignManifest(registry.url, REPO, sigTag('signed'), [signatureLayer(key.privateKey, reference(), d('signed'))]);
    // A good signature of another image's digest, stored under this image's tag.
    await pushCosignManifest(registry.url, REPO, sigTag('elsewhere'), [signatureLayer(key.privateKey, reference(), d('unsigned'))]);
    // The same digest signed for another repository, copied under this repository's tag.
    await pushCosignManifest(registry.url, REPO, sigTag('copied'), [
      signatureLayer(key.privateKey, `${registry.host}/team/other`, d('copied')),
    ]);
    await pushCosignManifest(registry.url, REPO, sigTag('ed25519'), [layerSignedWith(ed.privateKey, reference(), d('ed25519'))]);
    await pushCosignManifest(registry.url, REPO, sigTag('rsa'), [layerSignedWith(rsa.privateKey, reference(), d('rsa'))]);

    // Keyless: a message-signature bundle over the manifest bytes (logged in Rekor and timestamped
    // by the TSA; the second only logged), attached as a referrer.
    for (const [name, opts] of [
      ['keyless', {}],
      ['keyless-tlog', { tsa: false }],
    ] as const) {
      const bundle = (await sigstore.signMessage(images[name]!.bytes, opts)) as { mediaType: string };
      await attachArtifactToImage({
        imageName: reference(),
        imageDigest: d(name),
        artifact: Buffer.from(JSON.stringify(bundle)),
        mediaType: bundle.mediaType,
        // The test registry asks for no credentials; @sigstore/oci signs in only when given some.
        credentials: undefined as unknown as Credentials,
      });
    }

    // cosign attest --key --type slsaprovenance: one about this image, one about another digest.
    await pushCosignManifest(registry.url, REPO, cosignTagOf(d('attested'), '.att'), [provenanceLayer(key.privateKey, d('attested'))]);
    await pushCosignManifest(registry.url, REPO, cosignTagOf(d('misattested'), '.att'), [provenanceLayer(key.privateKey, d('attested'))]);

    const write = async (name: string, text: string) => {
      const path = join(dir.path, name);
      await writeFile(path, text);
      files[name] = path;
    };
    await write('pub.pem', key.publicKeyPem);
    await write('other.pem', other.publicKeyPem);
    await write('ed25519.pem', pemOf(ed.publicKey));
    await write('rsa.pem', pemOf(rsa.publicKey));
    await write('not-a-key.pem', 'just some text, no key here\n');
    await write('root.json', sigstore.trustedRoot);
    await write('bad-root.json', '{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": 3}');
  });

  after(async () => {
    await sigstore?.close();
    await registry?.close();
    await dir?.remove();
  });

  describe('with a key', () => {
    it('an image signed with the ECDSA P-256 key: exit 0, Verified', async () => {
      const r = await assay('verify', ref('signed'), '--key', files['pub.pem']!);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^Verified: ${reference()}@${images['signed']!.digest} against key `));
      assert.match(
        r.stdout,
        new RegExp(`signature \\(cosign, cosign-tag\\) on ${images['signed']!.digest}: verified, key sha256:[a-f0-9]{12}…`),
      );
      assert.equal(r.stderr, '');
    });

    it('another key: exit 1, the signature is one no trusted key verifies', async () => {
      const r = await assay('verify', ref('signed'), '--key', files['other.pem']!);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^NOT verified: /);
      assert.match(
        r.stdout,
        /reason: .*signed with a key this policy does not trust \(a key signature; checked against key sha256:[0-9a-f]{12}…\)/,
      );
    });

    it('an unsigned image: exit 1, not signed', async () => {
      const r = await assay('verify', ref('unsigned'), '--key', files['pub.pem']!);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /reason: .*not signed: no signature found for sha256:[a-f0-9]{12}…/);
      assert.match(r.stdout, /Found: no signature or attestation/);
    });

    it('a signature whose payload names another digest: exit 1, naming that digest', async () => {
      const r = await assay('verify', ref('elsewhere'), '--key', files['pub.pem']!);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`reason: .*payload is for ${images['unsigned']!.digest}, not ${images['elsewhere']!.digest}`));
    });

    it('a signature copied from another repository: exit 1, naming the repository it was made for', async () => {
      const r = await assay('verify', ref('copied'), '--key', files['pub.pem']!);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`reason: .*signature for ${registry.host}/team/other copied to this repository`));
    });

    it('Ed25519 and RSA keys verify their signatures, and not each other’s', async () => {
      const edOk = await assay('verify', ref('ed25519'), '--key', files['ed25519.pem']!);
      assert.equal(edOk.code, 0, edOk.stdout + edOk.stderr);
      assert.match(edOk.stdout, /^Verified: /);
      const rsaOk = await assay('verify', ref('rsa'), '--key', files['rsa.pem']!);
      assert.equal(rsaOk.code, 0, rsaOk.stdout + rsaOk.stderr);
      assert.match(rsaOk.stdout, /^Verified: /);
      const crossed = await assay('verify', ref('rsa'), '--key', files['ed25519.pem']!);
      assert.equal(crossed.code, 1, crossed.stdout + crossed.stderr);
    });
  });

  describe('keyless (mock Fulcio, Rekor and TSA under a private trusted root)', () => {
    const keyless = (...extra: string[]) => assay('verify', ref('keyless'), ...extra);

    it('the identity and issuer the certificate names, under the private root: exit 0', async () => {
      const r = await keyless(
        '--certificate-identity',
        MOCK_IDENTITY,
        '--certificate-oidc-issuer',
        MOCK_ISSUER,
        '--trusted-root',
        files['root.json']!,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^Verified: .* against ${MOCK_IDENTITY} \\(${MOCK_ISSUER}\\)`));
      assert.match(
        r.stdout,
        new RegExp(`signature \\(sigstore-bundle, referrer\\) on sha256:[a-f0-9]{64}: verified, ${MOCK_IDENTITY} \\(${MOCK_ISSUER}\\)`),
      );
    });

    it('a matching --certificate-identity-regexp: exit 0; a wrong identity or issuer: exit 1 naming who signed', async () => {
      const re = await keyless(
        '--certificate-identity-regexp',
        '.*@assay\\.example',
        '--certificate-oidc-issuer',
        MOCK_ISSUER,
        '--trusted-root',
        files['root.json']!,
      );
      assert.equal(re.code, 0, re.stdout + re.stderr);

      const identity = await keyless(
        '--certificate-identity',
        'someone-else@assay.example',
        '--certificate-oidc-issuer',
        MOCK_ISSUER,
        '--trusted-root',
        files['root.json']!,
      );
      assert.equal(identity.code, 1, identity.stdout + identity.stderr);
      assert.match(
        identity.stdout,
        new RegExp(`reason: .*signed by ${MOCK_IDENTITY} \\(${MOCK_ISSUER}\\), which this policy does not trust`),
      );

      const issuer = await keyless(
        '--certificate-identity',
        MOCK_IDENTITY,
        '--certificate-oidc-issuer',
        'https://accounts.example',
        '--trusted-root',
        files['root.json']!,
      );
      assert.equal(issuer.code, 1, issuer.stdout + issuer.stderr);
      assert.match(issuer.stdout, /which this policy does not trust/);

      // A regexp is anchored: a prefix of the identity is not the identity.
      const prefix = await keyless(
        '--certificate-identity-regexp',
        'builder',
        '--certificate-oidc-issuer',
        MOCK_ISSUER,
        '--trusted-root',
        files['root.json']!,
      );
      assert.equal(prefix.code, 1, prefix.stdout + prefix.stderr);
    });

    it('without --trusted-root (the public-good root only): exit 1, the chain (or the TSA) is not trusted', async () => {
      const flags = ['--certificate-identity', MOCK_IDENTITY, '--certificate-oidc-issuer', MOCK_ISSUER];
      const logged = await assay('verify', ref('keyless-tlog'), ...flags);
      assert.equal(logged.code, 1, logged.stdout + logged.stderr);
      assert.match(logged.stdout, /reason: .*keyless certificate that did not verify: certificate: Failed to verify certificate chain/);
      // The same logged bundle verifies under the private root: the root is what was refused.
      const trusted = await assay('verify', ref('keyless-tlog'), ...flags, '--trusted-root', files['root.json']!);
      assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);
      // @sigstore/verify checks the time proofs first: a bundle timestamped by an untrusted TSA fails there.
      const stamped = await keyless(...flags);
      assert.equal(stamped.code, 1, stamped.stdout + stamped.stderr);
      assert.match(stamped.stdout, /reason: .*keyless certificate that did not verify: timestamp: /);
    });
  });

  describe('attestations', () => {
    it('--attestation-type slsaprovenance: a key-signed .att about the image is 0, one about another digest is 1', async () => {
      const ok = await assay('verify', ref('attested'), '--key', files['pub.pem']!, '--attestation-type', 'slsaprovenance');
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(
        ok.stdout,
        /attestation slsa-provenance \(https:\/\/slsa\.dev\/provenance\/v0\.2\) on sha256:[a-f0-9]{64}: verified, key /,
      );
      const json = await assay('verify', ref('attested'), '--key', files['pub.pem']!, '--attestation-type', 'slsaprovenance', '-o', 'json');
      assert.equal(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout) as {
        trust: { attestations: { provenance?: { builderId?: string }; subjectMatches: boolean }[] };
      };
      assert.equal(doc.trust.attestations[0]?.provenance?.builderId, BUILDER);
      assert.equal(doc.trust.attestations[0]?.subjectMatches, true);

      const wrongKey = await assay('verify', ref('attested'), '--key', files['other.pem']!, '--attestation-type', 'slsaprovenance');
      assert.equal(wrongKey.code, 1, wrongKey.stdout + wrongKey.stderr);
      assert.match(wrongKey.stdout, /attestation signed with a key this policy does not trust/);

      const about = await assay('verify', ref('misattested'), '--key', files['pub.pem']!, '--attestation-type', 'slsaprovenance');
      assert.equal(about.code, 1, about.stdout + about.stderr);
      assert.match(about.stdout, new RegExp(`attestation is about ${images['attested']!.digest}, not ${images['misattested']!.digest}`));

      // A signature is no attestation.
      const none = await assay('verify', ref('signed'), '--key', files['pub.pem']!, '--attestation-type', 'slsaprovenance');
      assert.equal(none.code, 1, none.stdout + none.stderr);
      assert.match(none.stdout, /no slsaprovenance attestation found/);
    });
  });

  describe('errors: exit 2, one line on stderr', () => {
    const cases: [string, () => string[], RegExp][] = [
      ['no signer flag', () => [ref('signed')], /^assay verify: say whom to trust: --key <file>/],
      [
        '--key with --certificate-identity',
        () => [
          ref('signed'),
          '--key',
          files['pub.pem']!,
          '--certificate-identity',
          MOCK_IDENTITY,
          '--certificate-oidc-issuer',
          MOCK_ISSUER,
        ],
        /^assay verify: --key and --certificate-\* are alternatives/,
      ],
      ['a --key file that is no key', () => [ref('signed'), '--key', files['not-a-key.pem']!], /^assay verify: --key .*not-a-key\.pem: /],
      ['a --key file that does not exist', () => [ref('signed'), '--key', join(dir.path, 'absent.pem')], /absent\.pem: no such file/],
      [
        'a bad --trusted-root',
        () => [
          ref('keyless'),
          '--certificate-identity',
          MOCK_IDENTITY,
          '--certificate-oidc-issuer',
          MOCK_ISSUER,
          '--trusted-root',
          files['bad-root.json']!,
        ],
        /^assay verify: --trusted-root .*bad-root\.json: /,
      ],
      ['an image that does not exist', () => [ref('nope'), '--key', files['pub.pem']!], /^assay verify: .*team\/app:nope: /],
    ];
    for (const [name, args, expected] of cases) {
      it(name, async () => {
        const r = await assay('verify', ...args());
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, expected);
        assert.equal(r.stderr.split('\n').length, 2, r.stderr); // one line and its newline
        assert.equal(r.stdout, '');
      });
    }
  });

  it('--output json: verified, reasons and trust, never the signature or the signed payload', async () => {
    const r = await assay('verify', ref('signed'), '--key', files['pub.pem']!, '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { verified: boolean; reasons: string[]; trust: { signatures: { subject: string }[] } };
    assert.equal(doc.verified, true);
    assert.deepEqual(doc.reasons, []);
    assert.deepEqual(
      doc.trust.signatures.map((s) => s.subject),
      [images['signed']!.digest],
    );
    const layer = signatureLayer(key.privateKey, reference(), images['signed']!.digest);
    // ECDSA signatures differ each time: the stored one is read back to look for it.
    const stored = await storedSignature(images['signed']!.digest);
    assert.ok(!r.stdout.includes(stored), 'the signature is not in the output');
    assert.ok(!r.stdout.includes(layer.data.toString('base64')), 'the signed payload is not in the output');

    const denied = await assay('verify', ref('unsigned'), '--key', files['pub.pem']!, '-o', 'json');
    assert.equal(denied.code, 1);
    const no = JSON.parse(denied.stdout) as { verified: boolean; reasons: string[] };
    assert.equal(no.verified, false);
    assert.match(no.reasons[0]!, /not signed: no signature found/);
  });

  /** The base64 signature stored in an image's `.sig` manifest. */
  async function storedSignature(digest: string): Promise<string> {
    const res = await fetch(`${registry.url}/v2/${REPO}/manifests/${cosignTagOf(digest, '.sig')}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const m = (await res.json()) as { layers: { annotations: Record<string, string> }[] };
    return m.layers[0]!.annotations['dev.cosignproject.cosign/signature']!;
  }

  describe('assay scan --verify-key', () => {
    it('signed: exit 0 with --exit-code and the table says VERIFIED; unsigned: exit 1', async () => {
      const ok = await assay('scan', ref('signed'), '--verify-key', files['pub.pem']!, '--exit-code');
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^Signature: VERIFIED against key /m);
      assert.match(ok.stdout, /OS: alpine/);

      const no = await assay('scan', ref('unsigned'), '--verify-key', files['pub.pem']!, '--exit-code');
      assert.equal(no.code, 1, no.stdout + no.stderr);
      assert.match(no.stdout, /^Signature: NOT VERIFIED against key /m);
      assert.match(no.stdout, /FAIL signatures: 1 finding: not signed: no signature found for sha256:/);

      // Without --exit-code the result is printed, the exit is 0.
      const told = await assay('scan', ref('unsigned'), '--verify-key', files['pub.pem']!);
      assert.equal(told.code, 0, told.stderr);
      assert.match(told.stdout, /NOT VERIFIED/);
    });

    it('--format json carries the trust section; the verdict goes to stderr', async () => {
      const r = await assay('scan', ref('signed'), '--verify-key', files['pub.pem']!, '--exit-code', '--format', 'json');
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { image: { digest: string }; trust?: { signatures: { subject: string; scope: string }[] } };
      assert.equal(report.image.digest, images['signed']!.digest);
      assert.deepEqual(
        report.trust?.signatures.map((s) => [s.subject, s.scope]),
        [[images['signed']!.digest, 'image']],
      );
      assert.match(r.stderr, /Signature: VERIFIED/);
    });

    it('a bad --verify-key is exit 2 before any scan', async () => {
      const r = await assay('scan', ref('signed'), '--verify-key', files['not-a-key.pem']!);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^assay scan: --verify-key .*not-a-key\.pem: /);
    });
  });
});
