// The Elasticsearch stand-in through the official client: what audit relies on behaves as the
// real server documents it. The structural tests run against a real Elasticsearch when ES_URL is
// set; the fault tests only against the stand-in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errors } from '@elastic/elasticsearch';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { esClient } from './helpers.ts';

const REAL = process.env.ES_URL;

describe('Elasticsearch stand-in', () => {
  let standin: ElasticsearchStandin;
  let url: string;
  const name = `logs-standintest.t${process.pid}`;
  const ds = `${name}-default`;
  before(async () => {
    standin = await startElasticsearchStandin();
    url = REAL ?? standin.url;
  });
  after(async () => {
    const c = esClient(url);
    await c.indices.deleteDataStream({ name: `${name}-*` }).catch(() => {});
    await c.indices.deleteIndexTemplate({ name }).catch(() => {});
    await standin?.close();
  });

  it('passes the client product check and reports its version', async () => {
    const info = await esClient(url).info();
    assert.match(info.version.number, /^(8|9)\./);
    const res = await fetch(`${url}/_cluster/health`);
    if (!REAL) assert.equal(res.headers.get('x-elastic-product'), 'Elasticsearch');
    const notFound = await fetch(`${url}/_ilm/policy/nope-${process.pid}`);
    if (!REAL) assert.equal(notFound.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(notFound.status, 404);
  });

  it('stores templates and ILM policies, and auto-creates a data stream on first write', async () => {
    const c = esClient(url);
    await c.ilm.putLifecycle({ name: `${name}-p`, policy: { phases: { hot: { actions: {} } } } });
    assert.ok((await c.ilm.getLifecycle({ name: `${name}-p` }))[`${name}-p`]);
    await c.indices.putIndexTemplate({
      name,
      index_patterns: [`${name}-*`],
      data_stream: {},
      priority: 500,
      template: { mappings: { properties: { '@timestamp': { type: 'date' }, n: { type: 'long' }, k: { type: 'keyword' } } } },
    });
    const t = await c.indices.getIndexTemplate({ name });
    assert.equal(t.index_templates[0]!.name, name);
    const r = await c.bulk({
      operations: [
        { create: { _index: ds, _id: 'a' } },
        { '@timestamp': '2026-01-01T00:00:00Z', n: 1, k: 'x' },
        { create: { _index: ds, _id: 'b' } },
        { '@timestamp': '2026-01-01T00:00:01Z', n: '2', k: 'y' },
        { create: { _index: ds, _id: 'a' } },
        { '@timestamp': '2026-01-01T00:00:02Z', n: 3, k: 'z' },
        { create: { _index: ds, _id: 'c' } },
        { '@timestamp': '2026-01-01T00:00:03Z', n: 'three', k: 'z' },
        { index: { _index: ds, _id: 'd' } },
        { '@timestamp': '2026-01-01T00:00:04Z', n: 4 },
      ],
    });
    assert.equal(r.errors, true);
    const st = r.items.map((i) => Object.values(i)[0]!.status);
    assert.deepEqual(st, [201, 201, 409, 400, 400]);
    assert.equal(r.items[2]!.create!.error!.type, 'version_conflict_engine_exception');
    assert.match(r.items[3]!.create!.error!.type, /mapper_parsing_exception|document_parsing_exception/);
    assert.match(r.items[0]!.create!._index, /^\.ds-/);
    const dsInfo = await c.indices.getDataStream({ name: ds });
    assert.equal(dsInfo.data_streams[0]!.name, ds);
    await c.indices.refresh({ index: ds });
    assert.equal((await c.count({ index: ds })).count, 2);
    const s = await c.search<{ k: string }>({ index: `${name}-*`, size: 1, sort: [{ '@timestamp': 'desc' }], query: { match_all: {} } });
    assert.equal(s.hits.hits[0]!._id, 'b');
    const term = await c.search<{ k: string }>({ index: ds, query: { term: { k: 'x' } } });
    assert.deepEqual(
      term.hits.hits.map((h) => h._id),
      ['a'],
    );
    assert.equal((await c.cluster.health()).status === 'red', false);
  });

  it('injects 429/503, dropped connections, item failures, slowness and outages', { skip: !!REAL }, async () => {
    const c = esClient(standin.url);
    standin.failNext(1, 429);
    await assert.rejects(c.cluster.health(), (e: unknown) => e instanceof errors.ResponseError && e.statusCode === 429);
    standin.failNext(1, 503);
    await assert.rejects(c.cluster.health(), (e: unknown) => e instanceof errors.ResponseError && e.statusCode === 503);
    standin.dropNext(1);
    await assert.rejects(c.cluster.health(), (e: unknown) => e instanceof errors.ConnectionError);
    standin.failItem('x1', { status: 400, type: 'mapper_parsing_exception', reason: 'nope', times: 1 });
    const r = await c.bulk({ operations: [{ create: { _index: 'plain', _id: 'x1' } }, { a: 1 }] });
    assert.equal(r.items[0]!.create!.status, 400);
    const r2 = await c.bulk({ operations: [{ create: { _index: 'plain', _id: 'x1' } }, { a: 1 }] });
    assert.equal(r2.items[0]!.create!.status, 201);
    standin.slow(300);
    const t0 = Date.now();
    await c.cluster.health();
    assert.ok(Date.now() - t0 >= 290);
    standin.slow(0);
    await standin.down(500);
    await assert.rejects(c.cluster.health(), (e: unknown) => e instanceof errors.ConnectionError);
    await standin.waitUp();
    await c.cluster.health();
    const port = standin.port;
    await standin.stop();
    await standin.start();
    assert.equal(standin.port, port);
    assert.equal((await c.count({ index: 'plain' })).count, 1, 'state survives stop/start');
  });
});
