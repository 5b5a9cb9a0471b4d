// registry-watcher with real Distribution registries: a signature, attestation or referrer pushed
// after the image (cosign `.sig` / `.att` tags, a Sigstore bundle attached with @sigstore/oci,
// which on Distribution 2.8 pushes the referrer by digest and rewrites the fallback tag
// `sha256-<hex>`) is never announced as an image; the watcher asks for the SUBJECT's trust to be
// verified again (ScanRequested, reason TRUST_REFRESH_REASON), once per artifact, both from
// notifications and from polling. An index signed on the index asks for the index.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import type { ConsumerMessages, KV } from 'nats';
import { attachArtifactToImage, type Credentials } from '@sigstore/oci';
import type { BusConnection } from '@assay/bus';
import { type ScanRequested, ScanRequestedSchema, Streams, Topics, TRUST_REFRESH_REASON } from '@assay/proto';
import {
  attestationLayer,
  cosignTagOf,
  ecdsaKeyPair,
  pushCosignManifest,
  pushBlob,
  putManifest,
  signatureLayer,
} from '../support/cosign-artifacts.ts';
import { buildIndex, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { freePort } from '../support/ports.ts';
import { connectAdmin, DiscoveredEvents, sleep, smallImage, startWatcher, tagDigest, TOKEN, waitFor, type Watcher } from './helpers.ts';

/** Every ScanRequested stored in ASSAY_SCANS, as it arrives. */
class ScanRequests {
  readonly events: ScanRequested[] = [];
  #messages: ConsumerMessages | undefined;

  static async start(bus: BusConnection): Promise<ScanRequests> {
    const s = new ScanRequests();
    const consumer = await bus.js.consumers.get(Streams.scans.name, { filterSubjects: Topics.scanRequested.subject });
    s.#messages = await consumer.consume();
    void (async () => {
      for await (const m of s.#messages!) s.events.push(fromBinary(ScanRequestedSchema, m.data));
    })();
    return s;
  }

  for(repository: string): ScanRequested[] {
    return this.events.filter((e) => e.image?.repository === repository);
  }

  waitCount(repository: string, n: number): Promise<ScanRequested[]> {
    return waitFor(`${n} ScanRequested for ${repository}`, () => (this.for(repository).length >= n ? this.for(repository) : undefined), {
      timeoutMs: 20_000,
    });
  }

  stop(): void {
    this.#messages?.stop();
  }
}

describe('registry-watcher: signatures, attestations and referrers', () => {
  let nats: NatsServer;
  let notifying: Registry;
  let polled: Registry;
  /** Trusted for notifications, but sends none: the test sends them, in the order it chooses. */
  let quiet: Registry;
  let watcher: Watcher;
  let admin: BusConnection;
  let tags: KV;
  let discovered: DiscoveredEvents;
  let requests: ScanRequests;
  const key = ecdsaKeyPair();

  before(async () => {
    nats = await startNatsServer();
    const port = await freePort();
    notifying = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/registry/events/local`, token: TOKEN } });
    polled = await startRegistry();
    quiet = await startRegistry();
    watcher = await startWatcher(
      nats.url,
      [
        { name: 'local', url: notifying.url, trustNotifications: true },
        { name: 'polled', url: polled.url, pollIntervalSeconds: 3600 },
        { name: 'quiet', url: quiet.url, trustNotifications: true },
      ],
      { HTTP_PORT: String(port) },
    );
    const a = await connectAdmin(nats.url);
    admin = a.bus;
    tags = await a.tags();
    discovered = await DiscoveredEvents.start(admin);
    requests = await ScanRequests.start(admin);
  });

  after(async () => {
    discovered?.stop();
    requests?.stop();
    await watcher?.stop();
    await admin?.close();
    await notifying?.close();
    await polled?.close();
    await quiet?.close();
    await nats?.close();
  });

  /** A registry event as Distribution sends it, posted to the watcher's endpoint for `registry`. */
  const notify = async (registry: string, repository: string, digest: string, tag: string, mediaType: string) => {
    const res = await fetch(`${watcher.address}/registry/events/${registry}`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ events: [{ id: `ev-${tag}`, action: 'push', target: { mediaType, repository, digest, tag } }] }),
    });
    assert.equal(res.status, 200);
  };

  test('a .sig push announced before its tag is written: the refresh waits until the tag answers (the scanner finds it by the tag)', async () => {
    const repo = 'signed/raced';
    const image = await smallImage('raced');
    await pushImage(quiet.host, repo, 'v1', image);
    await notify('quiet', repo, image.digest, 'v1', image.mediaType);
    await discovered.waitCount(repo, 1);
    // The signature manifest is in the registry by digest, its tag not yet: what Distribution
    // holds when its push event is already on the way.
    const tag = cosignTagOf(image.digest, '.sig');
    const sig = await pushCosignManifest(quiet.url, repo, undefined, [
      signatureLayer(key.privateKey, `${quiet.host}/${repo}`, image.digest),
    ]);
    await notify('quiet', repo, sig.digest, tag, 'application/vnd.oci.image.manifest.v1+json');
    await sleep(1200);
    assert.equal(requests.for(repo).length, 0, 'no refresh while the tag does not answer');
    await putManifest(quiet.url, repo, tag, sig.json);
    const asked = await requests.waitCount(repo, 1);
    assert.equal(asked[0]!.image?.digest, image.digest);
    assert.equal(asked[0]!.reason, TRUST_REFRESH_REASON);
  });

  test('notifications: .sig, .att and a bundle referrer ask for the image trust again, and are not images', async () => {
    const repo = 'signed/app';
    const image = await smallImage('signed-later');
    await pushImage(notifying.host, repo, 'v1', image);
    await discovered.waitCount(repo, 1);

    const reference = `${notifying.host}/${repo}`;
    const sig = await pushCosignManifest(notifying.url, repo, cosignTagOf(image.digest, '.sig'), [
      signatureLayer(key.privateKey, reference, image.digest),
    ]);
    const first = await requests.waitCount(repo, 1);
    assert.equal(first[0]!.reason, TRUST_REFRESH_REASON);
    assert.equal(first[0]!.image?.digest, image.digest);
    assert.equal(first[0]!.image?.registry, notifying.host);
    assert.equal(first[0]!.image?.mediaType, image.mediaType);
    assert.equal(first[0]!.force, false);

    await pushCosignManifest(notifying.url, repo, cosignTagOf(image.digest, '.att'), [attestationLayer(key.privateKey, image.digest)]);
    await requests.waitCount(repo, 2);

    // @sigstore/oci: the referrer by digest (inspected: it names a subject) and the fallback tag.
    await attachArtifactToImage({
      imageName: reference,
      imageDigest: image.digest,
      artifact: Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}'),
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      // The test registry asks for no credentials; @sigstore/oci signs in only when given some.
      credentials: undefined as unknown as Credentials,
    });
    const all = await requests.waitCount(repo, 4);
    await watcher.api!.idle();
    assert.ok(all.every((r) => r.image?.digest === image.digest && r.reason === TRUST_REFRESH_REASON));
    assert.equal(new Set(all.map((r) => r.meta?.id)).size, all.length, 'one request per artifact');

    // The same signature manifest pushed again asks nothing more.
    assert.equal(all.length, 4);
    await putManifest(notifying.url, repo, cosignTagOf(image.digest, '.sig'), sig.json);
    await sleep(1500);
    await watcher.api!.idle();
    assert.equal(requests.for(repo).length, 4);

    // None of it was announced as an image, nor recorded as a tag.
    assert.deepEqual(
      discovered.for(repo).map((e) => e.image?.digest),
      [image.digest],
    );
    assert.equal(await tagDigest(tags, notifying.host, repo, cosignTagOf(image.digest, '.sig')), undefined);
    assert.equal(await tagDigest(tags, notifying.host, repo, cosignTagOf(image.digest, '')), undefined);
  });

  test('polling: signature tags ask once; an index signed on the index asks for the index', async () => {
    const repo = 'polled/multi';
    const index = buildIndex([
      await smallImage('poll-amd64', { os: 'linux', architecture: 'amd64' }),
      await smallImage('poll-arm64', { os: 'linux', architecture: 'arm64' }),
    ]);
    await pushImage(polled.host, repo, 'v1', index);
    const reference = `${polled.host}/${repo}`;
    await pushCosignManifest(polled.url, repo, cosignTagOf(index.digest, '.sig'), [
      signatureLayer(key.privateKey, reference, index.digest),
    ]);
    const platform = index.images[0]!.digest;
    await pushCosignManifest(polled.url, repo, cosignTagOf(platform, '.sig'), [signatureLayer(key.privateKey, reference, platform)]);

    await watcher.api!.pollNow('polled');
    const asked = await requests.waitCount(repo, 2);
    assert.deepEqual(asked.map((r) => r.image?.digest).sort(), [index.digest, platform].sort());
    assert.equal(asked.find((r) => r.image?.digest === index.digest)?.image?.mediaType, index.mediaType);
    assert.ok(asked.every((r) => r.reason === TRUST_REFRESH_REASON));
    // The platforms are announced; the signature manifests are not.
    await discovered.waitCount(repo, 2);
    assert.deepEqual(
      discovered
        .for(repo)
        .map((e) => e.image?.digest)
        .sort(),
      index.images.map((i) => i.digest).sort(),
    );

    // Polled again: the same signatures ask nothing more.
    await watcher.api!.pollNow('polled');
    await sleep(500);
    assert.equal(requests.for(repo).length, 2);
    assert.equal(discovered.for(repo).length, 2);
  });

  test('an OCI artifact that is no image (a Helm chart, a vulnerability database) is neither announced nor a trust request', async () => {
    const repo = 'charts/app';
    const image = await smallImage('before-the-chart');
    await pushImage(notifying.host, 'charts/image', 'v1', image);
    await discovered.waitCount('charts/image', 1);
    // A Helm chart: its config is the chart's, not an image config.
    const config = await pushBlob(notifying.url, repo, Buffer.from('{"name":"app","version":"1.0.0"}'));
    const chart = await pushBlob(notifying.url, repo, Buffer.from('not really a tarball'));
    await putManifest(notifying.url, repo, '1.0.0', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: config.digest, size: config.size },
      layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: chart.digest, size: chart.size }],
    });
    // An artifact with an artifactType (Assay's own database is published this way).
    await pushCosignManifest(
      notifying.url,
      repo,
      'db',
      [{ data: Buffer.from('db'), mediaType: 'application/vnd.assay.vulndb.layer.v1+sqlite', annotations: {} }],
      {
        artifactType: 'application/vnd.assay.vulndb.v1',
      },
    );
    await sleep(1500);
    await watcher.api!.idle();
    assert.equal(discovered.for(repo).length, 0, 'no artifact announced as an image');
    assert.equal(requests.for(repo).length, 0, 'no trust request either');
    // The watcher is still announcing images (the test above would otherwise prove nothing).
    const after = await smallImage('after-the-chart');
    await pushImage(notifying.host, 'charts/image', 'v2', after);
    await discovered.waitCount('charts/image', 2);
  });
});
