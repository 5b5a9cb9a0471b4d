// RegistryClient.referrers against a real Distribution 2.8 registry, which has no referrers API:
// the fallback tag `sha256-<hex>` is read (as written by @sigstore/oci's attach, and by hand per
// the distribution spec). The API path is exercised through a small HTTP server in front of the
// same registry that answers `GET /v2/<repo>/referrers/<digest>` per the OCI distribution spec
// (paged with Link, filtered by artifactType with or without OCI-Filters-Applied) and passes
// every other request through.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { attachArtifactToImage, type Credentials } from '@sigstore/oci';
import { manifestArtifactType, manifestSubject, RegistryClient, referrersTagOf, type ReferrerDescriptor } from '@assay/registry-client';
import { descriptorOf, OCI_EMPTY, pushBlob, putManifest } from '../support/cosign-artifacts.ts';
import { buildImage, MediaTypes, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';

const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SBOM = 'application/spdx+json';

describe('registry-client: referrers', () => {
  let registry: Registry;
  let client: RegistryClient;
  let subject: string;
  let subjectBytes: Buffer;

  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ registry: registry.host, insecure: true, retries: 0 });
    const image = await buildImage({ layers: [[{ path: 'marker', content: 'referred\n' }]] });
    subject = await pushImage(registry.host, 'app', 'v1', image);
    subjectBytes = image.bytes;
  });

  after(async () => {
    await client?.close();
    await registry?.close();
  });

  test('the fallback tag name, a manifest subject and artifact type', () => {
    assert.equal(referrersTagOf(`sha256:${'ab'.repeat(32)}`), `sha256-${'ab'.repeat(32)}`);
    assert.equal(referrersTagOf(`sha512:${'cd'.repeat(64)}`), `sha512-${'cd'.repeat(32)}`);
    const d = `sha256:${'0'.repeat(64)}`;
    assert.equal(manifestSubject({ subject: { digest: d, mediaType: MediaTypes.ociManifest, size: 1 } }), d);
    assert.equal(manifestSubject({ subject: { digest: 'sha256:nothex' } }), undefined);
    assert.equal(manifestSubject({ config: {} }), undefined);
    assert.equal(manifestArtifactType({ artifactType: BUNDLE_V03, config: { mediaType: OCI_EMPTY } }), BUNDLE_V03);
    assert.equal(manifestArtifactType({ config: { mediaType: OCI_EMPTY } }), undefined);
    assert.equal(manifestArtifactType({ config: { mediaType: SBOM } }), SBOM);
  });

  test('nothing attached: the registry has no API and no fallback tag, so no referrers', async () => {
    const r = await client.referrers('app', subject);
    assert.deepEqual(r, { descriptors: [], via: 'fallback-tag', truncated: false });
  });

  test('a Sigstore bundle attached with @sigstore/oci is listed through the fallback tag', async () => {
    const bundle = Buffer.from(JSON.stringify({ mediaType: BUNDLE_V03, note: 'only the attachment is under test here' }));
    const attached = await attachArtifactToImage({
      imageName: `${registry.host}/app`,
      imageDigest: subject,
      artifact: bundle,
      mediaType: BUNDLE_V03,
      annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' },
      // The test registry asks for no credentials; @sigstore/oci signs in only when given some.
      credentials: undefined as unknown as Credentials,
    });
    // An SBOM referrer, written by hand per the spec: the fallback index gains a second entry.
    const sbom = await pushBlob(registry.url, 'app', Buffer.from('{"spdxVersion":"SPDX-2.3"}'));
    const empty = await pushBlob(registry.url, 'app', Buffer.from('{}'));
    const sbomManifest = await putManifest(registry.url, 'app', undefined, {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: SBOM,
      config: { mediaType: OCI_EMPTY, digest: empty.digest, size: empty.size },
      layers: [{ mediaType: SBOM, digest: sbom.digest, size: sbom.size }],
      subject: descriptorOf(MediaTypes.ociManifest, subjectBytes),
    });
    const tag = referrersTagOf(subject);
    const index = await client.getManifest('app', tag);
    const json = index.json as { manifests: ReferrerDescriptor[] };
    await putManifest(
      registry.url,
      'app',
      tag,
      {
        ...json,
        manifests: [
          ...json.manifests,
          { mediaType: MediaTypes.ociManifest, digest: sbomManifest.digest, size: sbomManifest.bytes.length, artifactType: SBOM },
        ],
      },
      MediaTypes.ociIndex,
    );

    const all = await client.referrers('app', subject);
    assert.equal(all.via, 'fallback-tag');
    assert.deepEqual(
      all.descriptors.map((d) => [d.digest, d.artifactType]),
      [
        [attached.digest, BUNDLE_V03],
        [sbomManifest.digest, SBOM],
      ],
    );
    assert.equal(all.descriptors[0]!.annotations?.['dev.sigstore.bundle.predicateType'], 'https://slsa.dev/provenance/v1');
    // The referrer manifest @sigstore/oci wrote names the subject.
    const referrer = await client.getManifest('app', attached.digest);
    assert.equal(manifestSubject(referrer.json), subject);
    assert.equal(manifestArtifactType(referrer.json), BUNDLE_V03);

    const bundles = await client.referrers('app', subject, { artifactType: BUNDLE_V03 });
    assert.deepEqual(
      bundles.descriptors.map((d) => d.digest),
      [attached.digest],
    );
    assert.equal((await client.referrers('app', subject, { maxDescriptors: 1 })).truncated, true);
  });

  describe('through a server that has the referrers API', () => {
    let server: http.Server;
    let api: RegistryClient;
    let applyFilters = true;
    let answerHtml = false;
    const listed: ReferrerDescriptor[] = [];
    const requests: string[] = [];

    before(async () => {
      for (let i = 0; i < 3; i++) {
        listed.push({
          mediaType: MediaTypes.ociManifest,
          digest: `sha256:${String(i).repeat(64)}`,
          size: 100 + i,
          artifactType: i === 1 ? SBOM : BUNDLE_V03,
        });
      }
      server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
        if (!m) {
          // Everything else is the real registry's to answer.
          const up = http.request(`${registry.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          });
          req.pipe(up);
          return;
        }
        requests.push(url.search);
        if (answerHtml) {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a registry</html>');
          return;
        }
        const wanted = url.searchParams.get('artifactType');
        const all = m[2] === subject ? listed : [];
        const filtered = applyFilters && wanted ? all.filter((d) => d.artifactType === wanted) : all;
        // One descriptor per page; the next page named by Link, as the spec allows.
        const page = Number(url.searchParams.get('page') ?? '0');
        const headers: Record<string, string> = { 'content-type': MediaTypes.ociIndex };
        if (applyFilters && wanted) headers['oci-filters-applied'] = 'artifactType';
        if (page + 1 < filtered.length) {
          const next = new URLSearchParams(url.search);
          next.set('page', String(page + 1));
          headers.link = `<${url.pathname}?${next.toString()}>; rel="next"`;
        }
        res
          .writeHead(200, headers)
          .end(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: filtered.slice(page, page + 1) }));
      });
      server.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const port = (server.address() as AddressInfo).port;
      api = new RegistryClient({ registry: registry.host, baseUrl: `http://127.0.0.1:${port}`, insecure: true, retries: 0 });
    });

    after(async () => {
      await api?.close();
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    });

    test('pages are followed, and the API is said to have answered', async () => {
      const r = await api.referrers('app', subject);
      assert.equal(r.via, 'api');
      assert.deepEqual(
        r.descriptors.map((d) => d.digest),
        listed.map((d) => d.digest),
      );
      assert.equal(r.descriptors[1]!.size, 101);
    });

    test('an artifactType filter: applied by the registry, or here when it says it did not', async () => {
      applyFilters = true;
      const byServer = await api.referrers('app', subject, { artifactType: BUNDLE_V03 });
      assert.ok(requests.at(-1)?.includes(`artifactType=${encodeURIComponent(BUNDLE_V03)}`));
      applyFilters = false;
      const byClient = await api.referrers('app', subject, { artifactType: BUNDLE_V03 });
      applyFilters = true;
      for (const r of [byServer, byClient]) {
        assert.equal(r.via, 'api');
        assert.deepEqual(
          r.descriptors.map((d) => d.digest),
          [listed[0]!.digest, listed[2]!.digest],
        );
      }
    });

    test('a 200 that is not an index is no referrers API: the fallback tag is read', async () => {
      answerHtml = true;
      try {
        const r = await api.referrers('app', subject);
        assert.equal(r.via, 'fallback-tag');
        assert.equal(r.descriptors.length, 2);
      } finally {
        answerHtml = false;
      }
    });
  });
});
