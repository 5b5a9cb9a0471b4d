// With NATS stopped, admission keeps deciding from memory and holds its audit events in the
// outbox; when NATS is back, the held events are published (once each) and the mirror catches
// up with what changed meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { AuditBatchSchema, Compliance, Streams, Topics, type AuditEvent } from '@assay/proto';
import { waitFor } from '../support/processes.ts';
import { digestFor, post, runtimePolicy, verdict } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const pod = (uid: string, image: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid, operation: 'CREATE', namespace: 'shop', name: uid, kind: { group: '', version: 'v1', kind: 'Pod' }, object: { spec: { containers: [{ name: 'app', image }] } } },
});

describe('admission: NATS down', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('decides from memory while NATS is down, then flushes its audit events and catches up', async () => {
    const good = digestFor('good');
    const bad = digestFor('bad');
    await stack.putTag('registry.local/team/good:v1', good);
    await stack.putTag('registry.local/team/bad:v1', bad);
    await stack.putVerdict(good, verdict(Compliance.COMPLIANT));
    await stack.putVerdict(bad, verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'malware', message: 'malware: EICAR at /eicar' }]));
    await stack.putPolicy(runtimePolicy('prod'));
    const svc = await stack.service({ ADMISSION_TAG_LOOKUP_TIMEOUT: '200' });
    const url = `${svc.api!.webhook!.address}/validate`;

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
    const readyz = await fetch(`${svc.address}/readyz`);
    assert.equal(readyz.status, 503, 'not ready while disconnected (the bus check), but answering');

    await stack.nats.start();
    await waitFor('audit events flushed', () => (svc.api!.outbox.size === 0 ? true : undefined), { timeoutMs: 30_000 });
    await waitFor('admin reconnected', () => (stack.admin.isConnected() ? true : undefined), { timeoutMs: 15_000 });

    // Every held event is in the audit stream, once.
    const jsm = await stack.admin.jetstreamManager();
    const seen = new Map<string, number>();
    const info = await jsm.streams.info(Streams.audit.name);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(Streams.audit.name, { seq });
      if (m.subject !== Topics.auditAdmissionBatch.subject) continue;
      for (const e of fromBinary(AuditBatchSchema, m.data).events as AuditEvent[]) {
        if (e.event.case === 'admission') seen.set(e.event.value.uid, (seen.get(e.event.value.uid) ?? 0) + 1);
      }
    }
    for (const uid of uids) assert.equal(seen.get(uid), 1, `${uid} audited once`);

    // The mirror catches up with a change made after the outage.
    await stack.putVerdict(bad, verdict(Compliance.COMPLIANT));
    await waitFor('decision follows the new verdict', async () => ((await post(stack.agent, url, pod('after', 'registry.local/team/bad:v1'))).json.response.allowed ? true : undefined), { timeoutMs: 20_000 });
  });
});
