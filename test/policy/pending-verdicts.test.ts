// Pending verdicts on a real nats-server: an image the system knows about (discovered, or asked to
// be scanned) but has not judged yet gets a COMPLIANCE_PENDING verdict, which its scan's verdict
// replaces (ERROR when the scan fails); an image already judged is never moved back to pending;
// replays and restarts change nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { derivedEventId, newEventMeta, publishEvent } from '@assay/bus';
import {
  AuditEventSchema,
  Compliance,
  ImageDiscoveredSchema,
  ImageRefSchema,
  ScanCompletedSchema,
  ScanRequestedSchema,
  ScanStatus,
  Streams,
  Topics,
  VerdictSchema,
  type ImageDiscovered,
} from '@assay/proto';
import type { ImageAssurancePolicy } from '@assay/domain';
import { startHarness, type Harness } from './harness.ts';
import { report, sha } from './fixtures.ts';

const REGISTRY = 'registry.example.com';

const baseline: ImageAssurancePolicy = {
  name: 'baseline',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-a/*'] },
  controls: { sensitiveData: { block: true } },
};

function discovered(digest: string, repository: string, tag = 'v1'): ImageDiscovered {
  return create(ImageDiscoveredSchema, {
    meta: newEventMeta('test'),
    image: create(ImageRefSchema, { registry: REGISTRY, repository, tag, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' }),
  });
}

const requested = (digest: string, repository: string, force = false) =>
  create(ScanRequestedSchema, {
    meta: newEventMeta('test'),
    image: create(ImageRefSchema, { registry: REGISTRY, repository, digest }),
    reason: 'test',
    force,
    requestedBy: 'test',
  });

describe('pending verdicts (policy service)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const created = await h.call('POST', '/api/v1/policies', { id: 'baseline', document: baseline });
    assert.equal(created.status, 201, created.text);
  });
  after(async () => {
    await h?.close();
  });

  it('a discovered image is pending at once; its scan verdict replaces the pending one', async () => {
    const digest = sha('pending-discovered');
    const event = discovered(digest, 'team-a/web', 'v7');
    await publishEvent(h.admin.js, Topics.imageDiscovered, event);
    const pending = await h.waitVerdict(digest, () => true);
    assert.equal(pending.verdict.compliance, Compliance.PENDING);
    assert.equal(pending.verdict.image?.registry, REGISTRY);
    assert.equal(pending.verdict.image?.repository, 'team-a/web');
    assert.equal(pending.verdict.image?.digest, digest);
    assert.equal(pending.verdict.image?.tag, 'v7');
    assert.equal(pending.verdict.meta?.producer, 'policy');
    assert.equal(pending.verdict.meta?.causationId, event.meta?.id, 'caused by the discovery');
    assert.deepEqual(pending.verdict.reasons, []);
    assert.equal(pending.verdict.reportId, '');

    // Announced like any first verdict: verdictChanged and an audit event (unspecified → pending).
    await h.settled();
    const jsm = await h.admin.jetstreamManager();
    const changed = fromBinary(
      VerdictSchema,
      (await jsm.streams.getMessage(Streams.policy.name, { last_by_subj: Topics.verdictChanged.subject })).data,
    );
    assert.equal(changed.image?.digest, digest);
    assert.equal(changed.compliance, Compliance.PENDING);
    const audit = fromBinary(
      AuditEventSchema,
      (await jsm.streams.getMessage(Streams.audit.name, { last_by_subj: Topics.auditPolicy.subject })).data,
    );
    assert.equal(audit.event.case, 'verdictChange');
    if (audit.event.case === 'verdictChange') {
      assert.equal(audit.event.value.compliance, Compliance.PENDING);
      assert.equal(audit.event.value.previous, Compliance.UNSPECIFIED);
    }

    await h.storeAndAnnounce(
      report({ sensitiveData: [{ rule: 'private-key', path: 'etc/ssl/private/k.key', severity: 'high', masked: '***' }] } as never, {
        digest,
        repository: 'team-a/web',
      }),
    );
    const judged = await h.waitVerdict(digest, (v) => v.compliance !== Compliance.PENDING);
    assert.equal(judged.verdict.compliance, Compliance.NON_COMPLIANT);
    assert.ok(judged.revision > pending.revision);
    assert.deepEqual(
      judged.verdict.policies.map((p) => [p.id, p.version]),
      [['baseline', 1]],
    );
  });

  it('a discovered image whose scan fails ends as ERROR', async () => {
    const digest = sha('pending-then-failed');
    await publishEvent(h.admin.js, Topics.imageDiscovered, discovered(digest, 'team-a/broken'));
    await h.waitVerdict(digest, (v) => v.compliance === Compliance.PENDING);
    await publishEvent(
      h.admin.js,
      Topics.scanCompleted,
      create(ScanCompletedSchema, {
        meta: newEventMeta('test'),
        image: { registry: REGISTRY, repository: 'team-a/broken', digest },
        status: ScanStatus.FAILED,
        error: 'manifest unknown',
      }),
    );
    const { verdict } = await h.waitVerdict(digest, (v) => v.compliance !== Compliance.PENDING);
    assert.equal(verdict.compliance, Compliance.ERROR);
    assert.match(verdict.reasons[0]!.message, /manifest unknown/);
  });

  it('a scan request for an unknown digest is pending', async () => {
    const digest = sha('pending-requested');
    const msg = requested(digest, 'team-b/tool');
    await publishEvent(h.admin.js, Topics.scanRequested, msg);
    const { verdict } = await h.waitVerdict(digest, () => true);
    assert.equal(verdict.compliance, Compliance.PENDING);
    assert.equal(verdict.image?.repository, 'team-b/tool');
    assert.equal(verdict.meta?.causationId, msg.meta?.id);
  });

  it('an image already judged keeps its verdict when rediscovered or rescanned', async () => {
    const digest = sha('pending-judged');
    await h.storeAndAnnounce(report({}, { digest, repository: 'team-a/api' }));
    const judged = await h.waitVerdict(digest, () => true);
    assert.equal(judged.verdict.compliance, Compliance.COMPLIANT);

    await publishEvent(h.admin.js, Topics.imageDiscovered, discovered(digest, 'team-a/api', 'v2'));
    await publishEvent(h.admin.js, Topics.scanRequested, requested(digest, 'team-a/api', true));
    await publishEvent(h.admin.js, Topics.scanRequested, requested(digest, 'team-a/api'));
    await h.settled();
    const after = await h.verdict(digest);
    assert.equal(after?.revision, judged.revision, 'not rewritten');
    assert.equal(after?.verdict.compliance, Compliance.COMPLIANT);
  });

  it('a replayed event, a second request and a restart leave a pending verdict as it is', async () => {
    const digest = sha('pending-idempotent');
    await publishEvent(h.admin.js, Topics.imageDiscovered, discovered(digest, 'team-a/once'));
    const first = await h.waitVerdict(digest, () => true);
    await publishEvent(h.admin.js, Topics.imageDiscovered, discovered(digest, 'team-a/once'));
    await publishEvent(h.admin.js, Topics.scanRequested, requested(digest, 'team-a/once'));
    await h.settled();
    await h.restart();
    await h.settled();
    const after = await h.verdict(digest);
    assert.equal(after?.revision, first.revision);
    assert.equal(after?.verdict.compliance, Compliance.PENDING);
    // The service after the restart still replaces it with the scan's verdict.
    await h.storeAndAnnounce(report({}, { digest, repository: 'team-a/once' }));
    const judged = await h.waitVerdict(digest, (v) => v.compliance !== Compliance.PENDING);
    assert.equal(judged.verdict.compliance, Compliance.COMPLIANT);
  });

  it('an index: its platform manifests are pending; the index digest gets its aggregate', async () => {
    const index = sha('pending-index');
    const amd = sha('pending-index-amd64');
    const arm = sha('pending-index-arm64');
    const meta = newEventMeta('test');
    meta.id = derivedEventId(`${Topics.indexDiscovered.subject}\0${index}`);
    await publishEvent(
      h.admin.js,
      Topics.indexDiscovered,
      create(ImageDiscoveredSchema, {
        meta,
        image: create(ImageRefSchema, {
          registry: REGISTRY,
          repository: 'team-a/multi',
          tag: 'v1',
          digest: index,
          mediaType: 'application/vnd.oci.image.index.v1+json',
        }),
        manifests: [
          create(ImageRefSchema, {
            registry: REGISTRY,
            repository: 'team-a/multi',
            digest: amd,
            platform: { os: 'linux', architecture: 'amd64' },
          }),
          create(ImageRefSchema, {
            registry: REGISTRY,
            repository: 'team-a/multi',
            digest: arm,
            platform: { os: 'linux', architecture: 'arm64' },
          }),
        ],
      }),
    );
    for (const d of [amd, arm]) {
      const { verdict } = await h.waitVerdict(d, () => true);
      assert.equal(verdict.compliance, Compliance.PENDING);
      assert.equal(verdict.image?.repository, 'team-a/multi');
    }
    const aggregate = await h.waitVerdict(index, (v) => v.platforms.length === 2);
    assert.equal(aggregate.verdict.compliance, Compliance.PENDING);

    await h.storeAndAnnounce(report({}, { digest: amd, repository: 'team-a/multi' }));
    await h.storeAndAnnounce(report({}, { digest: arm, repository: 'team-a/multi' }));
    const done = await h.waitVerdict(index, (v) => v.compliance !== Compliance.PENDING);
    assert.equal(done.verdict.compliance, Compliance.COMPLIANT);
    // A later scan request for the index digest does not move its aggregate back to pending.
    await publishEvent(h.admin.js, Topics.scanRequested, requested(index, 'team-a/multi'));
    await h.settled();
    assert.equal((await h.verdict(index))?.revision, done.revision);
  });
});
