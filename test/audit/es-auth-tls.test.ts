// Elasticsearch over HTTPS with a custom CA, authenticated by API key or by user and password
// (the stand-in serving TLS with a throw-away certificate and requiring credentials). Wrong
// credentials keep events in the stream, and no secret ever reaches the log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connectBus, type BusConnection } from '@assay/bus';
import { createService } from '@assay/service-kit';
import { auditService } from '@assay/audit';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { admissionEvent, publishAudit } from './helpers.ts';
import { selfSignedLocalhost } from '../support/self-signed.ts';

const API_KEY = 'c3RhbmRpbjpzZWNyZXQta2V5LTQyCg==';
const PASSWORD = 'pw-very-secret-77';

describe('Elasticsearch TLS and authentication', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  let standin: ElasticsearchStandin;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let ca: string;

  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url });
    tmp = await makeTempDir('audit-es-tls');
    const made = selfSignedLocalhost(tmp.path);
    const key = made.key;
    ca = made.cert;
    standin = await startElasticsearchStandin({
      tls: { key: readFileSync(key), cert: readFileSync(ca) },
      auth: { apiKey: API_KEY, username: 'assay', password: PASSWORD },
    });
  });
  after(async () => {
    await bus?.close();
    await nats?.close();
    await standin?.close();
    await tmp?.remove();
  });

  async function run(env: Record<string, string>, expectIndexed: boolean) {
    let log = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        log += String(chunk);
        cb();
      },
    });
    const svc = createService(auditService, {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'debug',
        AUDIT_ES_URL: standin.url,
        AUDIT_ES_CA: ca,
        AUDIT_RETRY_MAX: '300ms',
        ...env,
      },
      logDestination: sink,
    });
    try {
      await svc.start();
      const ev = admissionEvent(1);
      await publishAudit(bus.js, ev);
      if (expectIndexed) {
        await svc.api!.esStarted;
        await waitFor('indexed', () => (standin.ids('logs-assay.audit-*').includes(ev.meta!.id) ? true : undefined), { timeoutMs: 15_000 });
      } else {
        await waitFor('refused', () => (log.includes('installing elasticsearch resources failed') ? true : undefined), {
          timeoutMs: 15_000,
        });
        assert.ok(!standin.ids('logs-assay.audit-*').includes(ev.meta!.id));
      }
    } finally {
      await svc.stop();
    }
    assert.ok(!log.includes(API_KEY), 'API key in the log');
    assert.ok(!log.includes(PASSWORD), 'password in the log');
    assert.ok(!log.includes('wrong-key-123'), 'wrong key in the log');
  }

  it('indexes with an API key over TLS verified by the configured CA', async () => {
    standin.authSchemes.length = 0;
    await run({ AUDIT_ES_API_KEY: API_KEY }, true);
    assert.ok(standin.authSchemes.length > 0 && standin.authSchemes.every((s) => s === 'ApiKey'));
  });

  it('indexes with user and password', async () => {
    standin.authSchemes.length = 0;
    await run({ AUDIT_ES_USERNAME: 'assay', AUDIT_ES_PASSWORD: PASSWORD }, true);
    assert.ok(standin.authSchemes.every((s) => s === 'Basic'));
  });

  it('keeps events in the stream when the credentials are refused, and logs no secret', async () => {
    await run({ AUDIT_ES_API_KEY: 'wrong-key-123' }, false);
  });

  it('refuses a URL carrying credentials', () => {
    assert.throws(
      () => createService(auditService, { env: { AUDIT_ES_URL: `https://assay:${PASSWORD}@127.0.0.1:9200` } }),
      (e: Error) => !e.message.includes(PASSWORD) && /AUDIT_ES_URL/.test(e.message),
    );
  });
});
