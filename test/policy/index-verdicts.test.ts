// Aggregate verdicts of multi-platform images on a real nats-server: the index digest gets a
// verdict over its platform manifests' verdicts — pending until every platform is judged,
// non-compliant when any platform is, kept current when a platform's verdict changes (scan,
// policy change, after a restart), and written by any replica that learns of the index.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { connectBus, derivedEventId, newEventMeta, provisionTopology, publishEvent, type BusConnection } from '@assay/bus';
import { IndexVerdicts } from '@assay/policy';
import { indexVerdict } from '@assay/policy-engine';
import {
  AuditEventSchema,
  Buckets,
  Compliance,
  digestBucketKey,
  ImageDiscoveredSchema,
  ImageRefSchema,
  ScanCompletedSchema,
  ScanStatus,
  Streams,
  Topics,
  VerdictSchema,
  type ImageDiscovered,
  type Verdict,
} from '@assay/proto';
import { createLogger } from '@assay/telemetry';
import type { ImageAssurancePolicy } from '@assay/domain';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startHarness, type Harness } from './harness.ts';
import { report, sha } from './fixtures.ts';

const REGISTRY = 'registry.example.com';
const KEY_PATH = 'etc/ssl/private/ssl-cert-snakeoil.key';

const baseline = (sensitive: boolean): ImageAssurancePolicy => ({
  name: 'baseline',
  enabled: true,
  action: 'block',
  scope: { repositories: ['team-a/*'] },
  controls: { sensitiveData: { block: sensitive } },
});

interface PlatformSpec {
  digest: string;
  os: string;
  architecture: string;
  variant?: string;
}

function indexEvent(indexDigest: string, repository: string, platforms: PlatformSpec[]): ImageDiscovered {
  const meta = newEventMeta('test');
  meta.id = derivedEventId(`${Topics.indexDiscovered.subject}\0${indexDigest}`);
  return create(ImageDiscoveredSchema, {
    meta,
    image: create(ImageRefSchema, {
      registry: REGISTRY,
      repository,
      tag: 'v1',
      digest: indexDigest,
      mediaType: 'application/vnd.oci.image.index.v1+json',
    }),
    manifests: platforms.map((p) =>
      create(ImageRefSchema, {
        registry: REGISTRY,
        repository,
        digest: p.digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        platform: { os: p.os, architecture: p.architecture, variant: p.variant ?? '' },
      }),
    ),
  });
}

const secretReport = (digest: string, repository: string) =>
  report(
    { sensitiveData: [{ rule: 'private-key', path: KEY_PATH, severity: 'high', masked: '-----BEGIN PRIVATE KEY-----***' }] } as never,
    { digest, repository },
  );
const cleanReport = (digest: string, repository: string) => report({}, { digest, repository });

const byDigest = (v: Verdict) => new Map(v.platforms.map((p) => [p.digest, p]));

describe('index verdicts (policy service)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const created = await h.call('POST', '/api/v1/policies', { id: 'baseline', document: baseline(true) });
    assert.equal(created.status, 201, created.text);
  });
  after(async () => {
    await h?.close();
  });

  const repo = 'team-a/multi';
  const index = sha('index-1');
  const amd = sha('index-1/amd64');
  const arm = sha('index-1/arm64');

  it('an index known before its platforms are judged is pending, then follows each platform verdict', async () => {
    await publishEvent(
      h.admin.js,
      Topics.indexDiscovered,
      indexEvent(index, repo, [
        { digest: amd, os: 'linux', architecture: 'amd64' },
        { digest: arm, os: 'linux', architecture: 'arm64', variant: 'v8' },
      ]),
    );
    const pending = await h.waitVerdict(index, () => true);
    assert.equal(pending.verdict.compliance, Compliance.PENDING);
    assert.deepEqual(
      pending.verdict.platforms.map((p) => [p.digest, p.compliance]),
      [
        [amd, Compliance.PENDING],
        [arm, Compliance.PENDING],
      ],
    );
    assert.equal(pending.verdict.image?.digest, index);
    assert.equal(pending.verdict.image?.tag, 'v1');

    // One platform judged: still pending as a whole, but the platform's verdict is listed.
    await h.storeAndAnnounce(cleanReport(amd, repo));
    const half = await h.waitVerdict(index, (v) => byDigest(v).get(amd)?.compliance === Compliance.COMPLIANT);
    assert.equal(half.verdict.compliance, Compliance.PENDING);
    assert.equal(byDigest(half.verdict).get(arm)?.compliance, Compliance.PENDING);

    await h.storeAndAnnounce(secretReport(arm, repo));
    const { verdict } = await h.waitVerdict(index, (v) => v.compliance !== Compliance.PENDING);
    assert.equal(verdict.compliance, Compliance.NON_COMPLIANT);
    assert.equal(byDigest(verdict).get(amd)?.compliance, Compliance.COMPLIANT);
    const armVerdict = byDigest(verdict).get(arm)!;
    assert.equal(armVerdict.compliance, Compliance.NON_COMPLIANT);
    assert.equal(armVerdict.platform?.variant, 'v8');
    assert.ok(armVerdict.reasons.some((r) => r.control === 'sensitiveData' && r.message.includes(KEY_PATH)));
    assert.equal(verdict.reasons.length, 1, 'the compliant platform adds no reason');
    assert.match(verdict.reasons[0]!.message, /^linux\/arm64\/v8: /);
    assert.ok(verdict.reasons[0]!.message.includes(KEY_PATH));
    assert.deepEqual(
      verdict.policies.map((p) => [p.id, p.version]),
      [['baseline', 1]],
    );

    // Announced and audited like any verdict change, with the platforms.
    await h.settled();
    const jsm = await h.admin.jetstreamManager();
    const changed = fromBinary(
      VerdictSchema,
      (await jsm.streams.getMessage(Streams.policy.name, { last_by_subj: Topics.verdictChanged.subject })).data,
    );
    assert.equal(changed.image?.digest, index);
    assert.equal(changed.compliance, Compliance.NON_COMPLIANT);
    const audit = fromBinary(
      AuditEventSchema,
      (await jsm.streams.getMessage(Streams.audit.name, { last_by_subj: Topics.auditPolicy.subject })).data,
    );
    assert.equal(audit.event.case, 'verdictChange');
    if (audit.event.case === 'verdictChange') {
      assert.equal(audit.event.value.image?.digest, index);
      assert.equal(audit.event.value.previous, Compliance.PENDING);
      assert.deepEqual(
        audit.event.value.platforms.map((p) => p.compliance),
        [Compliance.COMPLIANT, Compliance.NON_COMPLIANT],
      );
    }
  });

  it('GET /api/v1/verdicts/:digest returns the verdict, an index with its platforms', async () => {
    const res = await h.call('GET', `/api/v1/verdicts/${index}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.compliance, 'COMPLIANCE_NON_COMPLIANT');
    assert.equal(res.json.image.digest, index);
    assert.deepEqual(
      res.json.platforms.map((p: { digest: string; compliance: string }) => [p.digest, p.compliance]),
      [
        [amd, 'COMPLIANCE_COMPLIANT'],
        [arm, 'COMPLIANCE_NON_COMPLIANT'],
      ],
    );
    const platform = await h.call('GET', `/api/v1/verdicts/${arm}`);
    assert.equal(platform.status, 200);
    assert.equal(platform.json.reportId, `r-${arm.slice(7, 23)}`);
    assert.equal((await h.call('GET', `/api/v1/verdicts/${sha('never-seen')}`)).status, 404);
    const bad = await h.call('GET', '/api/v1/verdicts/latest');
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /digest/);
    const anonymous = await fetch(`${h.url}/api/v1/verdicts/${index}`);
    assert.equal(anonymous.status, 401);
  });

  it('after a restart the index is still known: a policy change re-evaluates its platforms and the index follows', async () => {
    await h.restart();
    const current = await h.call('GET', '/api/v1/policies/baseline');
    const put = await h.call(
      'PUT',
      '/api/v1/policies/baseline',
      { document: baseline(false) },
      { 'if-match': `"${current.json.version}"` },
    );
    assert.equal(put.status, 200, put.text);
    const { verdict } = await h.waitVerdict(index, (v) => v.compliance === Compliance.COMPLIANT);
    assert.deepEqual(
      verdict.platforms.map((p) => p.compliance),
      [Compliance.COMPLIANT, Compliance.COMPLIANT],
    );
    assert.deepEqual(verdict.reasons, []);
    assert.deepEqual(
      verdict.policies.map((p) => [p.id, p.version]),
      [['baseline', 2]],
    );
    // Back to blocking, for the tests after this one.
    const again = await h.call('PUT', '/api/v1/policies/baseline', { document: baseline(true) }, { 'if-match': '"2"' });
    assert.equal(again.status, 200, again.text);
    await h.waitVerdict(index, (v) => v.compliance === Compliance.NON_COMPLIANT);
  });

  it('platforms judged before the index is known: the index is aggregated at once', async () => {
    const idx = sha('index-2');
    const a = sha('index-2/amd64');
    const b = sha('index-2/arm');
    await h.storeAndAnnounce(cleanReport(a, repo));
    await h.storeAndAnnounce(cleanReport(b, repo));
    await h.waitVerdict(a, () => true);
    await h.waitVerdict(b, () => true);
    await publishEvent(
      h.admin.js,
      Topics.indexDiscovered,
      indexEvent(idx, repo, [
        { digest: a, os: 'linux', architecture: 'amd64' },
        { digest: b, os: 'linux', architecture: 'arm', variant: 'v7' },
      ]),
    );
    const { verdict } = await h.waitVerdict(idx, () => true);
    assert.equal(verdict.compliance, Compliance.COMPLIANT);
    assert.deepEqual(
      verdict.platforms.map((p) => [p.digest, p.compliance]),
      [
        [a, Compliance.COMPLIANT],
        [b, Compliance.COMPLIANT],
      ],
    );
  });

  it('a failed platform scan makes the index ERROR; the same index announced twice is one record', async () => {
    const idx = sha('index-3');
    const ok = sha('index-3/amd64');
    const broken = sha('index-3/arm64');
    const event = indexEvent(idx, repo, [
      { digest: ok, os: 'linux', architecture: 'amd64' },
      { digest: broken, os: 'linux', architecture: 'arm64' },
    ]);
    await publishEvent(h.admin.js, Topics.indexDiscovered, event);
    const again = await publishEvent(h.admin.js, Topics.indexDiscovered, event, { msgId: event.meta!.id });
    assert.equal(again.duplicate, true, 'the derived id makes a repeat a duplicate');
    await h.storeAndAnnounce(cleanReport(ok, repo));
    await publishEvent(
      h.admin.js,
      Topics.scanCompleted,
      create(ScanCompletedSchema, {
        meta: newEventMeta('test'),
        image: { registry: REGISTRY, repository: repo, digest: broken },
        status: ScanStatus.FAILED,
        error: 'LayerLimitError: too many entries',
      }),
    );
    const { verdict } = await h.waitVerdict(idx, (v) => v.compliance !== Compliance.PENDING);
    assert.equal(verdict.compliance, Compliance.ERROR);
    assert.match(verdict.reasons[0]!.message, /^linux\/arm64: scan failed: LayerLimitError/);
  });

  it('an index event without a valid digest is refused, not recorded', async () => {
    await assert.rejects(h.api.indexes!.record(indexEvent('latest', repo, [])), /valid digest/);
  });

  it('an index without runnable platforms leaves the verdict the scanner gave it (a failed scan) alone', async () => {
    const idx = sha('index-empty');
    await publishEvent(
      h.admin.js,
      Topics.scanCompleted,
      create(ScanCompletedSchema, {
        meta: newEventMeta('test'),
        image: { registry: REGISTRY, repository: repo, digest: idx },
        status: ScanStatus.FAILED,
        error: 'UnscannableImageError: index has no runnable manifests',
      }),
    );
    await h.waitVerdict(idx, (v) => v.compliance === Compliance.ERROR);
    const w = await h.api.indexes!.record(indexEvent(idx, repo, []));
    assert.equal(w.written, false);
    assert.equal((await h.verdict(idx))!.verdict.compliance, Compliance.ERROR);
  });
});

describe('index verdicts across replicas', () => {
  let nats: NatsServer;
  let a: BusConnection;
  let b: BusConnection;
  const replicas: IndexVerdicts[] = [];
  before(async () => {
    nats = await startNatsServer();
    a = await connectBus({ servers: nats.url });
    b = await connectBus({ servers: nats.url });
    await provisionTopology(await a.jetstreamManager(), {
      streams: [Streams.policy, Streams.audit],
      consumers: [],
      buckets: [Buckets.verdicts, Buckets.imageIndexes],
    });
  });
  after(async () => {
    for (const r of replicas) await r.stop();
    await a?.close();
    await b?.close();
    await nats?.close();
  });

  async function replica(bus: BusConnection, announced: Verdict[]): Promise<IndexVerdicts> {
    const r = new IndexVerdicts({
      js: bus.js,
      verdicts: await bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true }),
      indexes: await bus.js.views.kv(Buckets.imageIndexes.name, { bindOnly: true }),
      logger: createLogger({ service: 'policy-test', level: 'silent' }),
      announce: async (v) => {
        announced.push(v);
      },
      connection: bus,
    });
    await r.start();
    replicas.push(r);
    return r;
  }

  it('an index recorded by one replica is learnt by the other, which recomputes it', async () => {
    const announcedA: Verdict[] = [];
    const announcedB: Verdict[] = [];
    const ra = await replica(a, announcedA);
    const rb = await replica(b, announcedB);
    const verdicts = await a.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
    const idx = sha('replica-index');
    const p1 = sha('replica-index/amd64');
    const p2 = sha('replica-index/arm64');
    const platformVerdict = (digest: string, compliance: Compliance) =>
      toBinary(VerdictSchema, create(VerdictSchema, { image: { digest }, compliance, evaluatedAt: timestampFromDate(new Date()) }));
    await verdicts.put(digestBucketKey(p1), platformVerdict(p1, Compliance.COMPLIANT));

    const w = await ra.record(
      indexEvent(idx, 'team-a/multi', [
        { digest: p1, os: 'linux', architecture: 'amd64' },
        { digest: p2, os: 'linux', architecture: 'arm64' },
      ]),
    );
    // Written by this call or, first, by a replica whose mirror saw the new index.
    assert.equal(w.verdict?.compliance, Compliance.PENDING);
    const recorded = await verdicts.get(digestBucketKey(idx));
    assert.equal(fromBinary(VerdictSchema, recorded!.value).compliance, Compliance.PENDING);

    // Replica B learns the index from the bucket and knows which index a platform belongs to.
    const deadline = Date.now() + 5000;
    while (rb.indexesOf(p2).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(rb.indexesOf(p2), [idx]);
    await rb.settled();

    // A platform verdict written by B's engine: B recomputes the index.
    await verdicts.put(digestBucketKey(p2), platformVerdict(p2, Compliance.NON_COMPLIANT));
    await rb.platformChanged(p2);
    const e = await verdicts.get(digestBucketKey(idx));
    const v = fromBinary(VerdictSchema, e!.value);
    assert.equal(v.compliance, Compliance.NON_COMPLIANT);
    assert.ok(announcedB.some((x) => x.image?.digest === idx && x.compliance === Compliance.NON_COMPLIANT));
  });

  it('a platform verdict that lands before a replica knows the index is still counted (mirror recomputation)', async () => {
    const verdicts = await a.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
    const indexes = await a.js.views.kv(Buckets.imageIndexes.name, { bindOnly: true });
    const idx = sha('late-index');
    const p1 = sha('late-index/amd64');
    // The platform is judged first, then the index appears in the bucket without any replica's
    // record() (as if written by a replica that died before computing the aggregate).
    await verdicts.put(
      digestBucketKey(p1),
      toBinary(VerdictSchema, create(VerdictSchema, { image: { digest: p1 }, compliance: Compliance.COMPLIANT })),
    );
    await indexes.put(
      digestBucketKey(idx),
      toBinary(ImageDiscoveredSchema, indexEvent(idx, 'team-a/multi', [{ digest: p1, os: 'linux', architecture: 'amd64' }])),
    );
    const deadline = Date.now() + 5000;
    let v: Verdict | undefined;
    while (Date.now() < deadline) {
      const e = await verdicts.get(digestBucketKey(idx));
      if (e && e.operation === 'PUT') {
        v = fromBinary(VerdictSchema, e.value);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(v?.compliance, Compliance.COMPLIANT, 'the replicas recomputed the index when their mirrors saw it');
  });
});

describe('indexVerdict', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  const idx = sha('pure-index');
  const ev = indexEvent(idx, 'team-a/x', [
    { digest: sha('p/amd64'), os: 'linux', architecture: 'amd64' },
    { digest: sha('p/arm64'), os: 'linux', architecture: 'arm64', variant: 'v8' },
    { digest: sha('p/s390x'), os: 'linux', architecture: 's390x' },
  ]);
  const v = (compliance: Compliance, over: MessageInitShape<typeof VerdictSchema> = {}) => create(VerdictSchema, { ...over, compliance });

  it('non-compliant beats error beats pending beats compliant; reasons carry their platform', () => {
    const all = (c: [Compliance, Compliance, Compliance]) =>
      new Map([
        [sha('p/amd64'), v(c[0], { reasons: [{ policy: 'p', control: 'malware', message: 'EICAR in bin/x', severity: 'critical' }] })],
        [sha('p/arm64'), v(c[1])],
        [sha('p/s390x'), v(c[2])],
      ]);
    const C = Compliance;
    assert.equal(indexVerdict(ev, all([C.COMPLIANT, C.COMPLIANT, C.COMPLIANT]), now).compliance, C.COMPLIANT);
    assert.equal(indexVerdict(ev, all([C.COMPLIANT, C.PENDING, C.COMPLIANT]), now).compliance, C.PENDING);
    assert.equal(indexVerdict(ev, all([C.COMPLIANT, C.ERROR, C.PENDING]), now).compliance, C.ERROR);
    const mixed = indexVerdict(ev, all([C.NON_COMPLIANT, C.ERROR, C.PENDING]), now);
    assert.equal(mixed.compliance, C.NON_COMPLIANT);
    assert.deepEqual(
      mixed.reasons.map((r) => r.message),
      ['linux/amd64: EICAR in bin/x'],
    );
    // A platform with no verdict yet is pending.
    const missing = new Map([
      [sha('p/amd64'), v(C.COMPLIANT)],
      [sha('p/arm64'), v(C.COMPLIANT)],
    ]);
    const m = indexVerdict(ev, missing, now);
    assert.equal(m.compliance, C.PENDING);
    assert.equal(m.platforms[2]!.compliance, C.PENDING);
  });

  it('trust: the index is signed only when every platform is; signers and attestation kinds are those of any platform', () => {
    const signed = (signers: string[], kinds: string[] = []) => ({
      trust: { signed: signers.length > 0, signers, attestationKinds: kinds },
    });
    const C = Compliance;
    const all = indexVerdict(
      ev,
      new Map([
        [sha('p/amd64'), v(C.COMPLIANT, signed(['ci@acme'], ['slsa-provenance']))],
        [sha('p/arm64'), v(C.COMPLIANT, signed(['ci@acme', 'key release']))],
        [sha('p/s390x'), v(C.COMPLIANT, signed(['ci@acme'], ['cyclonedx']))],
      ]),
      now,
    );
    assert.equal(all.trust?.signed, true);
    assert.deepEqual(all.trust?.signers, ['ci@acme', 'key release']);
    assert.deepEqual(all.trust?.attestationKinds, ['cyclonedx', 'slsa-provenance']);
    const one = indexVerdict(
      ev,
      new Map([
        [sha('p/amd64'), v(C.COMPLIANT, signed(['ci@acme']))],
        [sha('p/arm64'), v(C.NON_COMPLIANT, signed([]))],
        [sha('p/s390x'), v(C.COMPLIANT, signed(['ci@acme']))],
      ]),
      now,
    );
    assert.equal(one.trust?.signed, false, 'one unsigned platform: the index is not signed');
    // A platform not judged yet has no summary: the index is not (yet) signed.
    const partial = indexVerdict(ev, new Map([[sha('p/amd64'), v(C.COMPLIANT, signed(['ci@acme']))]]), now);
    assert.equal(partial.trust?.signed, false);
    // No platform verified at all: no summary.
    assert.equal(indexVerdict(ev, new Map([[sha('p/amd64'), v(C.COMPLIANT)]]), now).trust, undefined);
  });

  it('policies are the union at their newest version; database versions are listed once each', () => {
    const platforms = new Map([
      [
        sha('p/amd64'),
        v(Compliance.COMPLIANT, {
          policies: [
            { id: 'b', version: 2 },
            { id: 'a', version: 1 },
          ],
          vulnDbVersion: '2026-02-01',
        }),
      ],
      [sha('p/arm64'), v(Compliance.COMPLIANT, { policies: [{ id: 'a', version: 3 }], vulnDbVersion: '2026-02-01' })],
      [sha('p/s390x'), v(Compliance.COMPLIANT, { policies: [{ id: 'a', version: 3 }], vulnDbVersion: '2026-01-15' })],
    ]);
    const out = indexVerdict(ev, platforms, now);
    assert.deepEqual(
      out.policies.map((p) => [p.id, p.version]),
      [
        ['a', 3],
        ['b', 2],
      ],
    );
    assert.equal(out.vulnDbVersion, '2026-01-15,2026-02-01');
    assert.equal(out.reportId, '');
    assert.equal(out.image?.digest, idx);
  });
});
