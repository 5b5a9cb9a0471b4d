// Acceptance: zero lost and zero duplicated audit events, with the audit service running as its
// own process (`node services/audit/src/main.ts`) under a steady stream of events, across
//   1. Elasticsearch unreachable for AUDIT_TEST_ES_DOWN_MS (default 60 s; stand-in only),
//   2. the audit process killed with SIGKILL in the middle of a bulk request, then restarted,
//   3. NATS stopped and started again (same port, same file store).
// Every published event id is then looked up in the index (search over all ids, count), and
// against the stand-in also in its write log (a second successful write of an id = duplicate).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectBus, type BusConnection } from '@assay/bus';
import { Consumers, Streams } from '@assay/proto';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';
import { countDocs, esClient, indexedIds, lostAndDuplicated, mixedEvent, publishAudit } from './helpers.ts';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const REAL = process.env.ES_URL;
const DOWN_MS = Number(process.env.AUDIT_TEST_ES_DOWN_MS ?? 60_000);
const RATE_PER_S = Number(process.env.AUDIT_TEST_RATE ?? 40);

describe('audit acceptance: zero loss, zero duplicates', () => {
  let nats: NatsServer;
  let standin: ElasticsearchStandin;
  let admin: BusConnection;
  let audit: ManagedProcess | undefined;
  let url: string;
  const dataStream = `logs-assay.audit-acc${process.pid}`;
  const published: string[] = [];
  let publishing = false;
  let publisher: Promise<void> | undefined;

  function startAudit(): ManagedProcess {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NATS_|HTTP_|ASSAY_|AUDIT_|LOG_LEVEL)/.test(k)));
    return startProcess(process.execPath, [join(root, 'services', 'audit', 'src', 'main.ts')], {
      env: {
        ...clean,
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        AUDIT_ES_URL: url,
        AUDIT_ES_DATA_STREAM: dataStream,
        AUDIT_ACK_WAIT: '4s',
        AUDIT_BATCH_LINGER: '50ms',
        AUDIT_BATCH_MAX_DOCS: '50',
        AUDIT_RETRY_BASE: '100ms',
        AUDIT_RETRY_MAX: '2s',
        AUDIT_ES_TIMEOUT: '10s',
      },
    });
  }

  function startPublishing(): void {
    publishing = true;
    let i = 0;
    publisher = (async () => {
      while (publishing) {
        const t = Date.now();
        published.push(await publishAudit(admin.js, mixedEvent(i++)));
        const wait = 1000 / RATE_PER_S - (Date.now() - t);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  }

  async function stopPublishing(): Promise<void> {
    publishing = false;
    await publisher;
  }

  const bulks = () => standin.requests.filter((r) => r.endsWith('/_bulk')).length;
  const indexedCount = () => (REAL ? 0 : standin.ids(dataStream).length);

  before(async () => {
    nats = await startNatsServer();
    standin = await startElasticsearchStandin();
    url = REAL ?? standin.url;
    admin = await connectBus({ servers: nats.url, name: 'acceptance' });
  });
  after(async () => {
    publishing = false;
    await audit?.stop();
    await admin?.close();
    await nats?.close();
    await standin?.close();
  });

  it('survives an Elasticsearch outage, a SIGKILL mid-bulk and a NATS restart', { timeout: DOWN_MS + 240_000 }, async () => {
    audit = startAudit();
    await waitFor('audit consuming', () => (audit!.output().includes('batch consumer started') ? true : undefined), {
      process: audit,
      timeoutMs: 30_000,
    });
    startPublishing();
    await waitFor('first events indexed', () => (REAL || indexedCount() > 20 ? true : undefined), { timeoutMs: 20_000 });

    // 1. Elasticsearch down under a steady stream.
    if (!REAL) {
      const before = published.length;
      await standin.down(DOWN_MS);
      await standin.waitUp();
      assert.ok(published.length - before >= (DOWN_MS / 1000) * RATE_PER_S * 0.5, 'events kept coming while Elasticsearch was down');
      await waitFor('catch-up after the outage', () => (indexedCount() >= published.length - RATE_PER_S ? true : undefined), {
        timeoutMs: 60_000,
      });
    }

    // 2. SIGKILL while a bulk request is in flight: the stand-in holds its answer, the process dies,
    //    the documents are in the index but their messages were never acked.
    if (!REAL) standin.slow(1_000);
    const seen = bulks();
    await waitFor('a bulk request in flight', () => (REAL || bulks() > seen ? true : undefined), { timeoutMs: 20_000 });
    await audit.kill();
    assert.equal(audit.child.signalCode, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1_500));
    if (!REAL) standin.slow(0);
    audit = startAudit();
    const conflictsBefore = standin.conflicts;
    await waitFor('audit consuming again', () => (audit!.output().includes('batch consumer started') ? true : undefined), {
      process: audit,
      timeoutMs: 30_000,
    });
    // The killed bulk's documents were indexed but never acked: they come back after the ack wait
    // and are answered 409 (already there), which counts as delivered.
    if (!REAL)
      await waitFor('redelivered documents refused as already indexed', () => (standin.conflicts > conflictsBefore ? true : undefined), {
        timeoutMs: 30_000,
      });

    // 3. NATS restart (same port and store) while events keep coming.
    await nats.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await nats.start();
    await new Promise((r) => setTimeout(r, 5_000));
    await stopPublishing();

    // Everything published must end up indexed exactly once, and acked.
    const es = esClient(url);
    const jsm = await admin.jetstreamManager();
    await waitFor(
      'every event indexed and acked',
      async () => {
        const info = await jsm.consumers.info(Streams.audit.name, Consumers.auditElasticsearch.durable);
        if (info.num_pending + info.num_ack_pending > 0) return undefined;
        const ids = await indexedIds(es, dataStream);
        return lostAndDuplicated(published, ids).lost.length === 0 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, process: audit },
    );
    const ids = await indexedIds(es, dataStream);
    const { lost, duplicated } = lostAndDuplicated(published, ids);
    const count = await countDocs(es, dataStream);
    const writesOver1 = REAL ? [] : [...standin.writes].filter(([id, n]) => n > 1 && published.includes(id)).map(([id]) => id);
    assert.equal(lost.length, 0, `lost ${lost.length} of ${published.length}`);
    assert.equal(duplicated.length, 0, `duplicated in the index: ${duplicated.length}`);
    assert.equal(count, published.length, `count ${count} vs published ${published.length} `);
    assert.deepEqual(writesOver1, [], 'an id was written twice');
    process.stderr.write(
      `acceptance: published=${published.length} indexed=${count} lost=0 duplicated=0 bulks=${bulks()} conflicts=${REAL ? '?' : standin.conflicts}\n`,
    );
  });
});
