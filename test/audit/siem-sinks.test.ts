// Other SIEM sinks, each on its own durable consumer: Splunk HEC (fake collector over HTTP),
// syslog RFC 5424 with octet counting over TCP and over TLS (local receivers; the TLS one with a
// throw-away certificate from openssl), and a webhook. Elasticsearch is unreachable throughout
// and one webhook hangs: neither holds up the other sinks.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { connectBus, HEADER_MSG_ID, newEventMeta, publishEvent, type BusConnection } from '@assay/bus';
import { AuditBatchSchema, AuditEventSchema, DeadLetterSchema, deadLetterTopic, Streams, Topics } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { auditService, octetFrame, syslogMessage, type AuditApi, type AuditShape } from '@assay/audit';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { admissionEvent, mixedEvent, publishAudit } from './helpers.ts';
import { selfSignedLocalhost } from '../support/self-signed.ts';

/** Splits an RFC 6587 octet-counted stream into messages. */
function octetParser(onMessage: (m: string) => void) {
  let buf = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(buf.subarray(0, sp).toString('ascii'));
      if (!Number.isInteger(len)) throw new Error(`bad frame length ${buf.subarray(0, sp).toString()}`);
      if (buf.length < sp + 1 + len) return;
      onMessage(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      buf = buf.subarray(sp + 1 + len);
    }
  };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const listen = (s: Server | NetServer, port = 0) =>
  new Promise<number>((r) => s.listen(port, '127.0.0.1', () => r((s.address() as { port: number }).port)));

describe('SIEM sinks', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  let svc: ServiceHandle<AuditShape, AuditApi>;
  const servers: Array<Server | NetServer> = [];
  const sockets = new Set<Socket>();
  const hec: { auth: string | undefined; events: Record<string, any>[] } = { auth: undefined, events: [] };
  let hecFailures = 2;
  const syslogTcp: string[] = [];
  const syslogTls: string[] = [];
  const webhook: Record<string, any>[] = [];
  let poisonId = '';
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;

  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url });
    tmp = await makeTempDir('audit-sinks');
    const { key, cert } = selfSignedLocalhost(tmp.path);

    const hecServer = createHttpServer(async (req, res) => {
      const text = await body(req);
      if (hecFailures-- > 0) return void res.writeHead(503).end('{"text":"Server is busy","code":9}');
      hec.auth = req.headers.authorization;
      assert.equal(req.url, '/services/collector/event');
      for (const line of text.split('\n')) if (line) hec.events.push(JSON.parse(line));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
    });
    const tcp = createNetServer((s) => {
      sockets.add(s);
      s.on(
        'data',
        octetParser((m) => syslogTcp.push(m)),
      );
    });
    const { readFileSync } = await import('node:fs');
    const tls = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => {
      s.on(
        'data',
        octetParser((m) => syslogTls.push(m)),
      );
    });
    const hook = createHttpServer(async (req, res) => {
      const parsed = JSON.parse(await body(req)) as { events: Record<string, any>[] };
      if (parsed.events.some((e) => e.event.id === poisonId)) return void res.writeHead(400).end('bad event');
      webhook.push(...parsed.events);
      res.writeHead(204).end();
    });
    const stuck = createHttpServer(() => {
      // Never answers.
    });
    servers.push(hecServer, tcp, tls, hook, stuck);
    const [hecPort, tcpPort, tlsPort, hookPort, stuckPort] = [
      await listen(hecServer),
      await listen(tcp),
      await listen(tls),
      await listen(hook),
      await listen(stuck),
    ];
    const sinks = [
      { name: 'splunk', type: 'splunk', url: `http://127.0.0.1:${hecPort}`, token: 'hec-token-1', index: 'assay' },
      { name: 'syslog-tcp', type: 'syslog', host: '127.0.0.1', port: tcpPort },
      { name: 'syslog-tls', type: 'syslog', host: 'localhost', port: tlsPort, tls: true, ca: cert },
      { name: 'hook', type: 'webhook', url: `http://127.0.0.1:${hookPort}/audit`, token: 'hook-token' },
      { name: 'stuck', type: 'webhook', url: `http://127.0.0.1:${stuckPort}/`, timeoutMs: 60_000 },
    ];
    svc = createService(auditService, {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: process.env.AUDIT_TEST_LOG ?? 'silent',
        // Nothing listens there: the Elasticsearch sink never starts, the others must not care.
        AUDIT_ES_URL: `http://127.0.0.1:${await freePort()}`,
        AUDIT_SINKS: JSON.stringify(sinks),
        AUDIT_BATCH_LINGER: '20ms',
        AUDIT_RETRY_BASE: '50ms',
        AUDIT_RETRY_MAX: '300ms',
      },
    });
    await svc.start();
    await svc.ready({ timeoutMs: 20_000 });
  });
  after(async () => {
    await svc?.stop();
    for (const s of sockets) s.destroy();
    for (const s of servers) {
      (s as Server).closeAllConnections?.();
      s.close();
    }
    await bus?.close();
    await nats?.close();
    await tmp?.remove();
  });

  it('delivers every event to every sink, each at its own pace', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await publishAudit(bus.js, mixedEvent(i)));
    await waitFor('splunk', () => (new Set(hec.events.map((e) => e.event.event.id)).size >= ids.length ? true : undefined), {
      timeoutMs: 20_000,
    });
    await waitFor('syslog tcp', () => (syslogTcp.length >= ids.length ? true : undefined), { timeoutMs: 20_000 });
    await waitFor('syslog tls', () => (syslogTls.length >= ids.length ? true : undefined), { timeoutMs: 20_000 });
    await waitFor('webhook', () => (webhook.length >= ids.length ? true : undefined), { timeoutMs: 20_000 });
    assert.equal(hec.auth, 'Splunk hec-token-1');
    assert.deepEqual(new Set(hec.events.map((e) => e.event.event.id)), new Set(ids));
    assert.equal(hec.events[0]!.sourcetype, 'assay:audit');
    assert.equal(hec.events[0]!.index, 'assay');
    for (const m of [...syslogTcp, ...syslogTls]) {
      assert.match(m, /^<\d{2,3}>1 \d{4}-\d\d-\d\dT[\d:.]+Z \S+ assay \d+ (admission|scan|policy-change) \[assay@32473 id="[^"]+"/);
    }
    assert.ok(ids.every((id) => syslogTls.some((m) => m.includes(`id="${id}"`))));
    const denied = syslogTcp.find((m) => m.includes('outcome="failure"') && m.includes('action="admission"'))!;
    assert.ok(denied.startsWith(`<${13 * 8 + 4}>1 `), denied.slice(0, 10));
    const json = JSON.parse(denied.slice(denied.indexOf('\ufeff') + 1));
    assert.equal(json.event.action, 'admission');
  });

  it('dead-letters an event a webhook refuses for good, delivering the rest of its batch', async () => {
    const bad = admissionEvent(500);
    poisonId = bad.meta!.id;
    const sub = bus.nc.subscribe(deadLetterTopic(Streams.audit.name).subject, { max: 1 });
    const others = [admissionEvent(501), admissionEvent(502)];
    const before = webhook.length;
    await publishAudit(bus.js, others[0]!);
    await publishAudit(bus.js, bad);
    await publishAudit(bus.js, others[1]!);
    for await (const m of sub) {
      const dl = fromBinary(DeadLetterSchema, m.data);
      assert.equal(dl.consumer, 'audit-hook');
      assert.match(dl.reason, /refused by webhook sink hook: webhook answered 400/);
    }
    await waitFor('the rest of the batch', () => (webhook.length >= before + 2 ? true : undefined));
    assert.ok(!webhook.some((e) => e.event.id === poisonId));
  });

  it('delivers the events of an AuditBatch one by one, dead-lettering only the refused one', async () => {
    const events = [admissionEvent(600), admissionEvent(601), admissionEvent(602)];
    poisonId = events[1]!.meta!.id;
    const dls: Array<{ msgId: string; data: Uint8Array }> = [];
    const sub = bus.nc.subscribe(deadLetterTopic(Streams.audit.name).subject, {
      callback: (_err, m) => {
        const dl = fromBinary(DeadLetterSchema, m.data);
        if (dl.consumer === 'audit-hook') dls.push({ msgId: m.headers?.get(HEADER_MSG_ID) ?? '', data: new Uint8Array(dl.data) });
      },
    });
    const { seq } = await publishEvent(
      bus.js,
      Topics.auditAdmissionBatch,
      create(AuditBatchSchema, { meta: newEventMeta('admission'), events }),
    );
    const wanted = [events[0]!.meta!.id, events[2]!.meta!.id];
    await waitFor('the batch at the webhook', () => (wanted.every((id) => webhook.some((e) => e.event.id === id)) ? true : undefined));
    await waitFor('the splunk copy', () =>
      events.every((e) => hec.events.some((h) => h.event.event.id === e.meta!.id)) ? true : undefined,
    );
    await waitFor('the dead letter', () => (dls.length > 0 ? true : undefined));
    sub.unsubscribe();
    assert.deepEqual(dls, [{ msgId: `dl-audit-hook-${seq}-1`, data: toBinary(AuditEventSchema, events[1]!) }]);
    assert.ok(!webhook.some((e) => e.event.id === poisonId));
    const jsm = await bus.jetstreamManager();
    await waitFor('audit-hook drained', async () => {
      const info = await jsm.consumers.info(Streams.audit.name, 'audit-hook');
      return info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
    });
  });

  it('frames syslog messages by octet count (bytes, not characters)', () => {
    const msg = syslogMessage(
      { '@timestamp': '2026-01-01T00:00:00.000Z', event: { id: 'x"]', action: 'scan', outcome: 'success' } },
      '{"ü":1}',
      {
        facility: 13,
        appName: 'assay',
        hostname: 'h',
      },
    );
    assert.equal(
      msg,
      `<109>1 2026-01-01T00:00:00.000Z h assay ${process.pid} scan [assay@32473 id="x\\"\\]" action="scan" outcome="success"] \ufeff{"ü":1}`,
    );
    const framed = octetFrame(msg);
    assert.equal(framed.toString('utf8').split(' ')[0], String(Buffer.byteLength(msg)));
  });
});
