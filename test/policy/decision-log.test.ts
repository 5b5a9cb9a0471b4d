// The decision log against a real nats-server: admission decisions published as the webhook
// publishes them (AuditBatch through its batcher and outbox) are listed newest first, filtered,
// paged, bounded to the ring; a new log reads the tail of the stream back (not its whole
// retention); the log follows the stream across a server restart, and its start never waits for
// NATS; and it reads under the policy service's own NATS permissions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { connectBus, newEventMeta, provisionTopology, publishEvent, type BusConnection } from '@assay/bus';
import { AuditEventSchema, Compliance, natsPermissionsConfig, Streams, Topics, type AuditEvent } from '@assay/proto';
import { DECISION_LOG_CAPACITY, DecisionLog, admissionFilter, replayStart } from '../../services/policy/src/decision-log.ts';
import { eventually, memoryLogger } from '../bus/helpers.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { admissionAudit, admissionEvent } from './admission-decisions.ts';

describe('decision log (recent admission decisions from the audit stream)', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  const logs: DecisionLog[] = [];
  const logger = memoryLogger();
  const newLog = (o: { capacity?: number; replayMessages?: number } = {}) => {
    const log = new DecisionLog({ bus, logger, ...o });
    logs.push(log);
    log.start();
    return log;
  };

  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'decision-log-test', reconnectTimeWaitMs: 250, reconnectJitterMs: 100 });
    await provisionTopology(await bus.jetstreamManager(), { streams: [Streams.audit], consumers: [], buckets: [] });
  });
  after(async () => {
    for (const l of logs) await l.stop();
    await bus?.close();
    await nats?.close();
  });

  it('lists decisions newest first, with outcome, reasons and who asked; filters by outcome, namespace and text; pages', async () => {
    const log = newLog();
    const audit = admissionAudit(bus, 3);
    await audit.publish([
      admissionEvent({ name: 'web-1', namespace: 'shop', user: 'alice' }),
      admissionEvent({
        name: 'api-1',
        namespace: 'shop',
        image: 'registry.example.com/team-a/api:2.0',
        compliance: Compliance.NON_COMPLIANT,
        reason: '2 critical vulnerabilities: CVE-2026-1111',
      }),
      admissionEvent({ name: 'batch-1', namespace: 'jobs', compliance: Compliance.NON_COMPLIANT, enforcement: 'warn' }),
      admissionEvent({ name: 'web-2', namespace: 'shop', dryRun: true }),
    ]);
    await eventually('four decisions held', () => log.size === 4);

    const all = log.list({});
    assert.deepEqual(
      all.items.map((d) => d.name),
      ['web-2', 'batch-1', 'api-1', 'web-1'],
      'newest first',
    );
    assert.equal(all.next, undefined);
    const [web2, batch1, api1, web1] = all.items;
    assert.equal(web1!.outcome, 'allowed');
    assert.equal(web1!.user, 'alice');
    assert.equal(web1!.kind, 'Pod');
    assert.equal(web1!.runtimePolicy, 'prod');
    assert.equal(web1!.mode, 'enforce');
    assert.equal(api1!.outcome, 'denied');
    assert.equal(api1!.images[0]!.allowed, false);
    assert.equal(api1!.images[0]!.compliance, 'non_compliant');
    assert.equal(api1!.images[0]!.image, 'registry.example.com/team-a/api:2.0');
    assert.match(api1!.images[0]!.reasons[0]!, /baseline · vulnerabilities: 2 critical vulnerabilities: CVE-2026-1111/);
    assert.match(api1!.message, /CVE-2026-1111/);
    assert.equal(batch1!.outcome, 'warned', 'let in with a warning');
    assert.ok(batch1!.warnings.length > 0);
    assert.equal(web2!.dryRun, true);
    assert.ok(Date.parse(web1!.at) > Date.now() - 60_000);

    assert.deepEqual(
      log.list({ outcome: 'denied' }).items.map((d) => d.name),
      ['api-1'],
    );
    assert.deepEqual(
      log.list({ outcome: 'warned' }).items.map((d) => d.name),
      ['batch-1'],
    );
    assert.deepEqual(
      log.list({ namespace: 'jobs' }).items.map((d) => d.name),
      ['batch-1'],
    );
    assert.deepEqual(
      log.list({ q: 'CVE-2026-1111' }).items.map((d) => d.name),
      ['api-1'],
      'text searches the message',
    );
    assert.deepEqual(
      log.list({ q: 'ALICE' }).items.map((d) => d.name),
      ['web-1'],
      'and the user, case-insensitively',
    );
    assert.deepEqual(
      log.list({ q: 'team-a/api:2.0' }).items.map((d) => d.name),
      ['api-1'],
      'and the images',
    );

    const p1 = log.list({ namespace: 'shop', limit: 2 });
    assert.deepEqual(
      p1.items.map((d) => d.name),
      ['web-2', 'api-1'],
    );
    assert.ok(p1.next);
    // A decision arriving between pages does not shift the next page.
    await audit.publish([admissionEvent({ name: 'web-3', namespace: 'shop' })]);
    await eventually('the fifth decision held', () => log.size === 5);
    const p2 = log.list({ namespace: 'shop', limit: 2, cursor: p1.next! });
    assert.deepEqual(
      p2.items.map((d) => d.name),
      ['web-1'],
    );
    assert.equal(p2.next, undefined);
  });

  it('reads single AuditEvent messages too, and skips /mutate pinnings and other audit events', async () => {
    const log = newLog({ replayMessages: 1 });
    await eventually('caught up with the stream', async () => log.lastSequence === (await streamLastSeq()));
    const single = admissionEvent({ name: 'single-1', namespace: 'solo' });
    await publishEvent(bus.js, Topics.auditAdmission, single);
    const mutate = admissionEvent({ name: 'pinned-1', namespace: 'solo' });
    if (mutate.event.case === 'admission') mutate.event.value.webhook = 'mutate';
    await admissionAudit(bus).publish([mutate]);
    await publishEvent(
      bus.js,
      Topics.auditPolicy,
      create(AuditEventSchema, { meta: newEventMeta('policy'), event: { case: 'policyChange', value: { policyId: 'p' } } }),
    );
    await publishEvent(bus.js, Topics.auditAdmission, admissionEvent({ name: 'single-2', namespace: 'solo' }));
    await eventually('the last message read', async () => log.lastSequence === (await streamLastSeq()));
    assert.deepEqual(
      log.list({ namespace: 'solo' }).items.map((d) => d.name),
      ['single-2', 'single-1'],
    );
  });

  it('holds at most the ring size, dropping the oldest', async () => {
    const log = newLog();
    const events: AuditEvent[] = [];
    for (let i = 0; i < DECISION_LOG_CAPACITY + 150; i++) events.push(admissionEvent({ name: `ring-${i}`, namespace: 'ring' }));
    await admissionAudit(bus, 100).publish(events);
    await eventually('caught up with the stream', async () => log.lastSequence === (await streamLastSeq()));
    assert.equal(log.size, DECISION_LOG_CAPACITY);
    const ring = log.list({ namespace: 'ring', limit: 500 });
    assert.equal(ring.items[0]!.name, `ring-${DECISION_LOG_CAPACITY + 149}`);
    let cursor = ring.next;
    let last = ring.items.at(-1)!;
    let count = ring.items.length;
    while (cursor) {
      const p = log.list({ namespace: 'ring', limit: 500, cursor });
      count += p.items.length;
      last = p.items.at(-1)!;
      cursor = p.next;
    }
    assert.equal(count, DECISION_LOG_CAPACITY, 'every held decision is on some page, once');
    assert.equal(last.name, 'ring-150', 'the oldest 150 were dropped');
    assert.equal(log.list({ q: 'ring-0' }).items.length, 0, 'the very first is gone');
  });

  it('a new log (a restarted service) reads the tail of the stream back, not all of it', async () => {
    await admissionAudit(bus, 1).publish([
      admissionEvent({ name: 'tail-1', namespace: 'tail' }),
      admissionEvent({ name: 'tail-2', namespace: 'tail', compliance: Compliance.NON_COMPLIANT }),
      admissionEvent({ name: 'tail-3', namespace: 'tail' }),
    ]);
    const last = await streamLastSeq();
    const log = newLog({ replayMessages: 2 });
    await eventually('caught up with the stream', () => log.lastSequence === last);
    assert.deepEqual(
      log.list({}).items.map((d) => d.name),
      ['tail-3', 'tail-2'],
      'only the last two stream messages were read',
    );
    assert.equal(log.list({ outcome: 'denied' }).items[0]!.name, 'tail-2');
    const whole = newLog();
    await eventually('the default window holds the whole stream here', () => whole.lastSequence === last);
    assert.ok(whole.list({ namespace: 'tail' }).items.length === 3);
  });

  it('follows the stream across a nats-server restart, and starts without waiting for NATS', async () => {
    const log = newLog();
    const audit = admissionAudit(bus);
    await audit.publish([admissionEvent({ name: 'before-restart', namespace: 'restart' })]);
    await eventually('the first decision held', () => log.list({ namespace: 'restart' }).items.length === 1);

    await nats.stop();
    await eventually('the client noticed the outage', () => !bus.isConnected());
    const t0 = Date.now();
    const late = newLog();
    assert.ok(Date.now() - t0 < 100, 'start returns at once while NATS is away');
    assert.equal(late.size, 0);
    await nats.start();
    await eventually('reconnected', () => bus.isConnected(), 20_000);

    await eventually(
      'a decision published after the restart is listed',
      async () => {
        await audit.publish([admissionEvent({ name: `after-restart-${Date.now()}`, namespace: 'restart' })]);
        return log.list({ namespace: 'restart' }).items.some((d) => d.name.startsWith('after-restart'));
      },
      30_000,
      1000,
    );
    const names = log.list({ namespace: 'restart' }).items.map((d) => d.name);
    assert.equal(names.at(-1), 'before-restart', 'kept what it had');
    assert.equal(new Set(names).size, names.length, 'nothing read twice');
    await eventually('the log started during the outage caught up', () =>
      late.list({ namespace: 'restart' }).items.some((d) => d.name === 'before-restart'),
    );
  });

  it('chooses the start and the filter the server can take', () => {
    assert.equal(replayStart({ first_seq: 1, last_seq: 100 }, 10), 91);
    assert.equal(replayStart({ first_seq: 95, last_seq: 100 }, 10), 95, 'never before the first stored message');
    assert.equal(replayStart({ first_seq: 0, last_seq: 0 }, 10), 1, 'an empty stream: from its first message');
    assert.deepEqual(admissionFilter('2.10.29'), ['assay.audit.admission.batch', 'assay.audit.admission']);
    assert.deepEqual(admissionFilter('2.11.0'), ['assay.audit.admission.batch', 'assay.audit.admission']);
    assert.equal(admissionFilter('2.9.10'), 'assay.audit.>', 'one filter only before 2.10');
  });

  async function streamLastSeq(): Promise<number> {
    return (await (await bus.jetstreamManager()).streams.info(Streams.audit.name)).state.last_seq;
  }
});

describe('decision log under the per-service NATS permissions', () => {
  it("reads what admission's user publishes with policy's user (the npm start permissions)", async () => {
    const user = (name: string, permissions?: string) =>
      `{ user: ${JSON.stringify(name)}, password: "${name}-secret"${permissions ? `, permissions: ${permissions}` : ''} }`;
    const nats = await startNatsServer({
      extraConfig: `authorization { users: [ ${user('admin')}, ${user('policy', natsPermissionsConfig('policy'))}, ${user(
        'admission',
        natsPermissionsConfig('admission'),
      )} ] }\n`,
    });
    const as = (name: string) => connectBus({ servers: nats.url, name: `test-${name}`, user: name, password: `${name}-secret` });
    const admin = await as('admin');
    const admission = await as('admission');
    const policy = await as('policy');
    const log = new DecisionLog({ bus: policy, logger: memoryLogger() });
    try {
      await provisionTopology(await admin.jetstreamManager(), { streams: [Streams.audit], consumers: [], buckets: [] });
      log.start();
      await admissionAudit(admission).publish([
        admissionEvent({ name: 'perm-1', namespace: 'perm' }),
        admissionEvent({ name: 'perm-2', namespace: 'perm', compliance: Compliance.NON_COMPLIANT }),
      ]);
      await eventually('both decisions read by the policy user', () => log.size === 2);
      assert.deepEqual(
        log.list({}).items.map((d) => [d.name, d.outcome]),
        [
          ['perm-2', 'denied'],
          ['perm-1', 'allowed'],
        ],
      );
    } finally {
      await log.stop();
      for (const b of [policy, admission, admin]) await b.close();
      await nats.close();
    }
  });
});
