// With NATS unreachable, admission stays ready and keeps deciding from memory, says how stale its
// state is (gauge, and each decision's audit event), and holds its audit events in the outbox;
// when NATS is back, the held events are published (once each) and the mirrors re-watch and
// apply what changed while they were away — also across a NATS restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { AuditBatchSchema, Compliance, Streams, tagBucketKey, Topics, type AuditEvent } from '@assay/proto';
import { waitFor } from '../support/processes.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { canonical, digestFor, post, runtimePolicy, verdict } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const pod = (uid: string, image: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid,
    operation: 'CREATE',
    namespace: 'shop',
    name: uid,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    object: { spec: { containers: [{ name: 'app', image }] } },
  },
});

async function readyz(address: string): Promise<{ status: number; body: { failing: string[]; checks: { name: string; ok: boolean }[] } }> {
  const res = await fetch(`${address}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

async function staleGauge(address: string): Promise<number> {
  const text = await (await fetch(`${address}/metrics`)).text();
  const m = /^assay_admission_mirror_stale_seconds\{[^}]*\} (\S+)$/m.exec(text);
  assert.ok(m, 'assay_admission_mirror_stale_seconds is exposed');
  return Number(m[1]);
}

/** Every admission decision event in the audit stream, by review uid. */
async function auditedDecisions(stack: Stack): Promise<Map<string, AuditEvent[]>> {
  const jsm = await stack.admin.jetstreamManager();
  const seen = new Map<string, AuditEvent[]>();
  const info = await jsm.streams.info(Streams.audit.name);
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(Streams.audit.name, { seq });
    if (m.subject !== Topics.auditAdmissionBatch.subject) continue;
    for (const e of fromBinary(AuditBatchSchema, m.data).events) {
      if (e.event.case === 'admission') seen.set(e.event.value.uid, [...(seen.get(e.event.value.uid) ?? []), e]);
    }
  }
  return seen;
}

describe('admission: NATS down', () => {
  let stack: Stack;
  let proxy: TcpProxy | undefined;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await proxy?.close();
    await stack?.close();
  });

  it('stays ready and decides from memory while NATS is down, marks those decisions stale, then flushes them and catches up', async () => {
    const good = digestFor('good');
    const bad = digestFor('bad');
    await stack.putTag('registry.local/team/good:v1', good);
    await stack.putTag('registry.local/team/bad:v1', bad);
    await stack.putVerdict(good, verdict(Compliance.COMPLIANT));
    await stack.putVerdict(
      bad,
      verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'malware', message: 'malware: EICAR at /eicar' }]),
    );
    await stack.putPolicy(runtimePolicy('prod'));
    const svc = await stack.service({ ADMISSION_TAG_LOOKUP_TIMEOUT: '200' });
    const url = `${svc.api!.webhook!.address}/validate`;
    assert.equal(await staleGauge(svc.address!), 0, 'current while connected');
    const before = await post(stack.agent, url, pod('before', 'registry.local/team/good:v1'));
    assert.equal(before.json.response.allowed, true);
    // Its audit event leaves after the answer (batched for a few ms): published before the
    // outage, so the outbox holds exactly the 20 decisions made during it.
    await waitFor('the decision before the outage published', () => (svc.api!.outbox.published >= 1 ? true : undefined));

    await stack.nats.stop();
    await waitFor('admission sees NATS down', () => (svc.bus!.isConnected() ? undefined : true));
    const uids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const uid = `down-${i}`;
      uids.push(uid);
      const res = await post(stack.agent, url, pod(uid, i % 2 ? 'registry.local/team/bad:v1' : 'registry.local/team/good:v1'));
      assert.equal(res.status, 200);
      assert.equal(res.json.response.allowed, i % 2 === 0, uid);
    }
    await waitFor('audit events held', () => (svc.api!.outbox.size === 20 ? true : undefined));
    const r = await readyz(svc.address!);
    assert.equal(r.status, 200, `ready while disconnected (it can decide): ${JSON.stringify(r.body)}`);
    assert.ok(!r.body.checks.some((c) => c.name === 'bus'), 'admission has no bus readiness check');
    const staleDuring = await waitFor('the stale gauge counting', async () => {
      const s = await staleGauge(svc.address!);
      return s >= 1 ? s : undefined;
    });
    assert.ok(staleDuring >= 1);

    await stack.nats.start();
    await waitFor('audit events flushed', () => (svc.api!.outbox.size === 0 ? true : undefined), { timeoutMs: 30_000 });
    await waitFor('admin reconnected', () => (stack.admin.isConnected() ? true : undefined), { timeoutMs: 15_000 });
    await waitFor('mirrors current again', async () => ((await staleGauge(svc.address!)) === 0 ? true : undefined), { timeoutMs: 20_000 });

    // Every held event is in the audit stream, once, marked as decided on stale state; the
    // decision made while connected is not.
    const seen = await auditedDecisions(stack);
    for (const uid of uids) {
      const events = seen.get(uid) ?? [];
      assert.equal(events.length, 1, `${uid} audited once`);
      const a = events[0]!.event.value as { decidedOnStaleState: boolean; staleSeconds: number };
      assert.equal(a.decidedOnStaleState, true, `${uid} marked stale`);
    }
    const current = seen.get('before')?.[0]?.event.value as { decidedOnStaleState: boolean; staleSeconds: number } | undefined;
    assert.equal(current?.decidedOnStaleState, false);
    assert.equal(current?.staleSeconds, 0);
    const last = seen.get('down-19')![0]!.event.value as { staleSeconds: number };
    assert.ok(last.staleSeconds > 0, 'the stale time is recorded');

    // The mirror catches up with a change made after the outage.
    await stack.putVerdict(bad, verdict(Compliance.COMPLIANT));
    await waitFor(
      'decision follows the new verdict',
      async () => ((await post(stack.agent, url, pod('after', 'registry.local/team/bad:v1'))).json.response.allowed ? true : undefined),
      { timeoutMs: 20_000 },
    );
  });

  it('re-watches after a NATS restart and applies what changed while it was cut off', async () => {
    const kept = digestFor('kept');
    const fixed = digestFor('fixed');
    const fresh = digestFor('fresh');
    await stack.putTag('registry.local/team/kept:v1', kept);
    await stack.putTag('registry.local/team/fixed:v1', fixed);
    await stack.putVerdict(kept, verdict(Compliance.COMPLIANT));
    await stack.putVerdict(
      fixed,
      verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'secrets', message: 'private key at /key' }]),
    );
    await stack.putPolicy(runtimePolicy('prod'));
    // Admission reaches NATS through a proxy, so it alone can be cut off while the buckets change.
    proxy = await startTcpProxy(stack.nats.port);
    const svc = await stack.service({ NATS_URL: `nats://${proxy.address}`, ADMISSION_TAG_LOOKUP_TIMEOUT: '200' });
    const url = `${svc.api!.webhook!.address}/validate`;
    const allowed = async (uid: string, image: string) => {
      const res = await post(stack.agent, url, pod(uid, image));
      assert.equal(res.status, 200);
      return res.json.response.allowed as boolean;
    };
    assert.equal(await allowed('cut-0', 'registry.local/team/kept:v1'), true);
    assert.equal(await allowed('cut-1', 'registry.local/team/fixed:v1'), false);

    proxy.cut();
    await waitFor('admission cut off', () => (svc.bus!.isConnected() ? undefined : true));
    // NATS restarts (the mirrors' watch consumers are gone with it) and the buckets change.
    await stack.nats.stop();
    await stack.nats.start();
    await waitFor('admin reconnected', () => (stack.admin.isConnected() ? true : undefined), { timeoutMs: 15_000 });
    await stack.putVerdict(fixed, verdict(Compliance.COMPLIANT));
    await stack.putTag('registry.local/team/fresh:v1', fresh);
    await stack.putVerdict(fresh, verdict(Compliance.COMPLIANT));
    await stack.kv.tags.delete(tagBucketKey(canonical('registry.local/team/kept:v1')));

    // Still cut off: the last state it had decides, and it says it is stale.
    assert.equal(await allowed('cut-2', 'registry.local/team/fixed:v1'), false);
    assert.equal(await allowed('cut-3', 'registry.local/team/kept:v1'), true);
    assert.equal((await readyz(svc.address!)).status, 200);
    assert.ok((await staleGauge(svc.address!)) > 0);

    proxy.restore();
    await waitFor('mirrors current again', async () => ((await staleGauge(svc.address!)) === 0 ? true : undefined), { timeoutMs: 30_000 });
    assert.equal(await allowed('cut-4', 'registry.local/team/fixed:v1'), true, 'the verdict changed while away is applied');
    assert.equal(await allowed('cut-5', 'registry.local/team/fresh:v1'), true, 'the image registered while away is known');
    assert.equal(await allowed('cut-6', 'registry.local/team/kept:v1'), false, 'the tag deleted while away is gone (unregistered)');
    assert.equal(svc.api!.tags.has(tagBucketKey(canonical('registry.local/team/kept:v1'))), false);
  });
});
