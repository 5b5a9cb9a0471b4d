// A runtime policy's grace for what already runs: a non-compliant image re-creating a workload
// that runs it, and was admitted while it was compliant, is allowed with a warning for
// grace.days after the verdict turned; a new workload, one first seen after the verdict turned,
// one in another namespace, or the grace run out: denied as before. Decided by the pure review
// from a snapshot, and through the admission service with a real nats-server whose running
// bucket the test writes as the registry-watcher would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AuditBatchSchema,
  Buckets,
  Compliance,
  digestBucketKey,
  RunningImageSchema,
  Topics,
  type AuditEvent,
  type RunningImage,
  type Verdict,
} from '@assay/proto';
import { auditEventOf } from '@assay/admission';
import { toEcs } from '@assay/audit';
import { reviewAdmission, workloadsOf, parseAdmissionReview } from '@assay/review-engine';
import { waitFor } from '../support/processes.ts';
import { digestFor, memorySnapshot, post, runtimePolicy, verdict } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const DAY = 86_400_000;
const TURNED = new Date('2026-11-20T08:00:00Z');
const NOW = new Date(TURNED.getTime() + 3 * DAY + 3600_000);
const DIGEST = digestFor('web:1.4');
const IMAGE = `registry.example.com/shop/web@${DIGEST}`;
const REASON = { policy: 'baseline', control: 'vulnerabilities', message: 'CVE-2026-4242 (critical) in openssl 3.0.11' };

function turnedVerdict(since = TURNED): Verdict {
  const v = verdict(Compliance.NON_COMPLIANT, [REASON]);
  v.complianceSince = timestampFromDate(since);
  return v;
}

function running(workloads: { namespace: string; kind: string; name: string; firstSeen: Date }[]): RunningImage {
  return create(RunningImageSchema, {
    digest: DIGEST,
    workloads: workloads.map((w) => ({ ...w, pods: 2, firstSeen: timestampFromDate(w.firstSeen) })),
  });
}

/** A Pod the ReplicaSet `web-5d4f8` of Deployment `web` creates (restart, scale, drain). */
function podOfDeployment(uid: string, namespace: string, image = IMAGE) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      operation: 'CREATE',
      namespace,
      name: '',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'u-rs', groups: [] },
      object: {
        metadata: {
          generateName: 'web-5d4f8-',
          labels: { app: 'web', 'pod-template-hash': '5d4f8' },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8', uid: 'rs-1', controller: true }],
        },
        spec: { containers: [{ name: 'web', image }] },
      },
    },
  };
}

/** A workload object's review (Deployment, ReplicaSet) with its pod template. */
function workloadReview(uid: string, namespace: string, kind: string, name: string, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      operation: 'CREATE',
      namespace,
      name,
      kind: { group: 'apps', version: 'v1', kind },
      userInfo: { username: 'dev', uid: 'u-1', groups: [] },
      object: { metadata: { name, ...metadata }, spec: { template: { spec: { containers: [{ name: 'web', image: IMAGE }] } } } },
    },
  };
}

const before3 = new Date(TURNED.getTime() - 10 * DAY);
const graced = (enforcement = 'enforce', days = 7) =>
  runtimePolicy('prod', { enforcement, grace: { days }, scope: { namespaces: ['shop', 'other'] } });

function snapshotWith(entry: RunningImage | undefined, policy = graced()) {
  const snap = memorySnapshot({ policies: [policy], verdicts: new Map([[DIGEST, turnedVerdict()]]) });
  return { ...snap, running: (d: string) => (d === DIGEST ? entry : undefined) };
}

const WARNING =
  `allowed under grace: image "${IMAGE}" turned non-compliant 3 days ago ` +
  `(baseline/vulnerabilities: ${REASON.message}); re-creation of Deployment/web allowed until ` +
  `${new Date(TURNED.getTime() + 7 * DAY).toISOString()} (runtime policy prod)`;

describe('admission: grace for what already runs (the pure review)', () => {
  const webRunning = running([{ namespace: 'shop', kind: 'Deployment', name: 'web', firstSeen: before3 }]);

  it('allows the re-created pod of a workload admitted while compliant, with the warning and audited', () => {
    const { response, outcome } = reviewAdmission(podOfDeployment('g-1', 'shop'), snapshotWith(webRunning), { now: NOW });
    assert.equal(response.response.allowed, true, JSON.stringify(response.response));
    assert.equal(response.response.warnings?.length, 1);
    assert.ok(response.response.warnings![0]!.endsWith(WARNING), response.response.warnings![0]);
    assert.match(response.response.warnings![0]!, /^spec\.containers\[0\]\.image: allowed under grace/);
    const grace = outcome.images[0]!.decision!.grace!;
    assert.deepEqual(grace.workload, { kind: 'Deployment', name: 'web' });

    const ev = auditEventOf(outcome, 'admission');
    assert.equal(ev.event.case, 'admission');
    const img = ev.event.case === 'admission' ? ev.event.value.images[0]! : undefined;
    assert.equal(img?.graceWorkload, 'Deployment/web');
    assert.equal(timestampDate(img!.graceUntil!).toISOString(), new Date(TURNED.getTime() + 7 * DAY).toISOString());
    const doc = toEcs(ev, { subject: 'assay.audit.admission', stream: 'ASSAY_AUDIT', streamSequence: 1, storedAt: NOW }) as any;
    assert.equal(doc.assay.admission.grace, true);
    assert.equal(doc.assay.admission.images[0].grace_workload, 'Deployment/web');
    assert.equal(doc.assay.admission.images[0].grace_until, grace.until.toISOString());
  });

  it("allows a rollout restart's new ReplicaSet of the running Deployment", () => {
    const rs = workloadReview('g-rs', 'shop', 'ReplicaSet', 'web-7c9d1', {
      labels: { 'pod-template-hash': '7c9d1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-1', controller: true }],
    });
    const { response } = reviewAdmission(rs, snapshotWith(webRunning), { now: NOW });
    assert.equal(response.response.allowed, true, JSON.stringify(response.response));
    assert.match(response.response.warnings![0]!, /allowed under grace: .* re-creation of Deployment\/web/);
  });

  it('denies a workload never seen running (a new Deployment)', () => {
    const { response, outcome } = reviewAdmission(workloadReview('g-new', 'shop', 'Deployment', 'api'), snapshotWith(webRunning), {
      now: NOW,
    });
    assert.equal(response.response.allowed, false);
    assert.match(response.response.status!.message, /is non-compliant: baseline\/vulnerabilities/);
    assert.equal(outcome.images[0]!.decision!.grace, undefined);
  });

  it('denies a workload first seen running after the verdict turned', () => {
    const late = running([{ namespace: 'shop', kind: 'Deployment', name: 'web', firstSeen: new Date(TURNED.getTime() + DAY) }]);
    const { response } = reviewAdmission(podOfDeployment('g-late', 'shop'), snapshotWith(late), { now: NOW });
    assert.equal(response.response.allowed, false);
  });

  it('denies after the grace, and when the verdict does not say since when', () => {
    const after8 = new Date(TURNED.getTime() + 8 * DAY);
    assert.equal(
      reviewAdmission(podOfDeployment('g-after', 'shop'), snapshotWith(webRunning), { now: after8 }).response.response.allowed,
      false,
    );
    const unknown = snapshotWith(webRunning);
    const v = turnedVerdict();
    delete v.complianceSince;
    unknown.state.verdicts.set(DIGEST, v);
    assert.equal(reviewAdmission(podOfDeployment('g-unk', 'shop'), unknown, { now: NOW }).response.response.allowed, false);
  });

  it('denies a pod in another namespace than the one the workload runs in', () => {
    const { response } = reviewAdmission(podOfDeployment('g-ns', 'other'), snapshotWith(webRunning), { now: NOW });
    assert.equal(response.response.allowed, false);
  });

  it('leaves warn and audit as they were (allowed, the violation reported, no grace)', () => {
    const warn = reviewAdmission(podOfDeployment('g-w', 'shop'), snapshotWith(webRunning, graced('warn')), { now: NOW });
    assert.equal(warn.response.response.allowed, true);
    assert.match(warn.response.response.warnings![0]!, /is non-compliant: baseline\/vulnerabilities/);
    assert.equal(warn.outcome.images[0]!.decision!.grace, undefined);
    const audit = reviewAdmission(podOfDeployment('g-a', 'shop'), snapshotWith(webRunning, graced('audit')), { now: NOW });
    assert.equal(audit.response.response.allowed, true);
    assert.match(audit.outcome.message, /audit only: .*is non-compliant/);
    assert.equal(audit.outcome.images[0]!.decision!.grace, undefined);
  });

  it('names the workloads a request re-creates: itself, its controller, the Deployment or CronJob behind it', () => {
    const named = (review: unknown) => workloadsOf(parseAdmissionReview(review)).map((w) => `${w.kind}/${w.name}`);
    assert.deepEqual(named(podOfDeployment('w-1', 'shop')), ['ReplicaSet/web-5d4f8', 'Deployment/web']);
    const jobPod = podOfDeployment('w-2', 'shop') as any;
    jobPod.request.object.metadata = {
      name: 'nightly-29012345-x7k2p',
      ownerReferences: [{ kind: 'Job', name: 'nightly-29012345', controller: true }],
    };
    jobPod.request.name = 'nightly-29012345-x7k2p';
    assert.deepEqual(named(jobPod), ['Pod/nightly-29012345-x7k2p', 'Job/nightly-29012345', 'CronJob/nightly']);
    // A ReplicaSet whose name does not end in its hash stands for no Deployment.
    const rs = workloadReview('w-3', 'shop', 'ReplicaSet', 'web', { labels: { 'pod-template-hash': 'abc' } });
    assert.deepEqual(named(rs), ['ReplicaSet/web']);
  });
});

describe('admission: grace through the service, the running bucket on a real nats-server', () => {
  let stack: Stack;
  let url: string;
  const audits: AuditEvent[] = [];

  before(async () => {
    stack = await startStack();
    const sub = stack.admin.nc.subscribe(Topics.auditAdmissionBatch.subject);
    void (async () => {
      for await (const m of sub) audits.push(...fromBinary(AuditBatchSchema, m.data).events);
    })();
    // Turned a day ago, so the grace (7 days) runs now.
    await stack.putVerdict(DIGEST, turnedVerdict(new Date(Date.now() - DAY)));
    await stack.putPolicy(graced());
    const svc = await stack.service();
    url = svc.api!.webhook!.address;
    // Written as the registry-watcher does: digest key → RunningImage.
    const kv = await stack.admin.js.views.kv(Buckets.running.name, { bindOnly: true });
    const entry = running([{ namespace: 'shop', kind: 'Deployment', name: 'web', firstSeen: new Date(Date.now() - 30 * DAY) }]);
    await kv.put(digestBucketKey(DIGEST), toBinary(RunningImageSchema, entry));
    await waitFor('the running entry mirrored', () => svc.api!.running.get(digestBucketKey(DIGEST)));
  });
  after(async () => {
    await stack?.close();
  });

  it("allows the running Deployment's pod with the warning, audits it, and denies a new Deployment", async () => {
    const res = await post(stack.agent, `${url}/validate`, podOfDeployment('svc-grace', 'shop'));
    assert.equal(res.status, 200);
    assert.equal(res.json.response.allowed, true, JSON.stringify(res.json.response));
    assert.match(
      res.json.response.warnings[0],
      /allowed under grace: .* turned non-compliant 1 days ago .* re-creation of Deployment\/web allowed until /,
    );

    const denied = await post(stack.agent, `${url}/validate`, workloadReview('svc-new', 'shop', 'Deployment', 'api'));
    assert.equal(denied.json.response.allowed, false);
    const other = await post(stack.agent, `${url}/validate`, podOfDeployment('svc-other', 'other'));
    assert.equal(other.json.response.allowed, false);

    const ev = await waitFor('the grace audited', () =>
      audits.find((a) => a.event.case === 'admission' && a.event.value.uid === 'svc-grace'),
    );
    const img = ev.event.case === 'admission' ? ev.event.value.images[0] : undefined;
    assert.equal(img?.graceWorkload, 'Deployment/web');
    assert.ok(img?.graceUntil && timestampDate(img.graceUntil).getTime() > Date.now());
  });
});
