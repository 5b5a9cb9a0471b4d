// Retries, Retry-After and timeouts against a small loopback HTTP server that misbehaves the way
// a third-party registry or proxy can (5xx, 429, dropped connections, silence), then answers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, test } from 'node:test';
import { RegistryClient, RegistryError } from '@assay/registry-client';

interface Flaky {
  host: string;
  hits: number[];
  close(): Promise<void>;
}

type Behaviour = (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void;

const servers: Flaky[] = [];
const clients: RegistryClient[] = [];
after(async () => {
  for (const c of clients) await c.close();
  for (const s of servers) await s.close();
});

/** Request `n` (0-based) gets `behaviour(n, ...)`; every arrival time is recorded. */
async function flaky(behaviour: Behaviour): Promise<Flaky> {
  const hits: number[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    hits.push(Date.now());
    behaviour(hits.length - 1, req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const f: Flaky = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  servers.push(f);
  return f;
}

function ok(res: http.ServerResponse): void {
  res
    .writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' })
    .end(JSON.stringify({ name: 'x/y', tags: ['a', 'b'] }));
}

function errorBody(code: string): string {
  return JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] });
}

function client(host: string, opts: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const c = new RegistryClient({ registry: host, insecure: true, ...opts });
  clients.push(c);
  return c;
}

async function tags(c: RegistryClient): Promise<string[]> {
  const out: string[] = [];
  for await (const t of c.tags('x/y')) out.push(t);
  return out;
}

test('5xx is retried with growing backoff, then succeeds', async () => {
  const s = await flaky((n, _req, res) => (n < 2 ? res.writeHead(503).end() : ok(res)));
  const started = Date.now();
  assert.deepEqual(await tags(client(s.host, { retries: 3, retryPolicy: { baseDelayMs: 100 } })), ['a', 'b']);
  assert.equal(s.hits.length, 3);
  const [h0, h1, h2] = s.hits as [number, number, number];
  // Jittered backoff: first wait in [50, 100] ms, second in [100, 200] ms.
  assert.ok(h1 - h0 >= 45, `first retry after ${h1 - h0} ms`);
  assert.ok(h2 - h1 >= 95, `second retry after ${h2 - h1} ms`);
  assert.ok(Date.now() - started < 2000);
});

test('5xx past the retry budget: RegistryError with the status and the registry error code', async () => {
  const s = await flaky((_n, _req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end(errorBody('UNKNOWN')));
  await assert.rejects(tags(client(s.host, { retries: 2, retryPolicy: { baseDelayMs: 10 } })), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 500);
    assert.deepEqual(err.codes, ['UNKNOWN']);
    assert.equal(err.repository, 'x/y');
    assert.match(
      err.message,
      new RegExp(`registry ${s.host.replace(/\./g, '\\.')}, repository x/y, GET /v2/x/y/tags/list: listing tags failed: HTTP 500 UNKNOWN`),
    );
    return true;
  });
  assert.equal(s.hits.length, 3, 'first attempt and two retries');
});

test('4xx other than 429 is not retried', async () => {
  const s = await flaky((_n, _req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end(errorBody('NAME_UNKNOWN')));
  await assert.rejects(tags(client(s.host, { retries: 3 })), (err: unknown) => err instanceof RegistryError && err.hasCode('NAME_UNKNOWN'));
  assert.equal(s.hits.length, 1);
});

test('429 honours Retry-After in seconds', async () => {
  const s = await flaky((n, _req, res) =>
    n === 0 ? res.writeHead(429, { 'retry-after': '1' }).end(errorBody('TOOMANYREQUESTS')) : ok(res),
  );
  assert.deepEqual(await tags(client(s.host, { retries: 1, retryPolicy: { baseDelayMs: 10 } })), ['a', 'b']);
  const [h0, h1] = s.hits as [number, number];
  assert.ok(h1 - h0 >= 950, `retried after ${h1 - h0} ms, not before Retry-After`);
  assert.ok(h1 - h0 < 3000);
});

test('429 honours Retry-After as an HTTP date', async () => {
  const s = await flaky((n, _req, res) =>
    n === 0 ? res.writeHead(429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() }).end() : ok(res),
  );
  assert.deepEqual(await tags(client(s.host, { retries: 1, retryPolicy: { baseDelayMs: 10 } })), ['a', 'b']);
  const [h0, h1] = s.hits as [number, number];
  // HTTP dates have one-second resolution: at least ~1 s, well under the cap.
  assert.ok(h1 - h0 >= 900, `retried after ${h1 - h0} ms`);
  assert.ok(h1 - h0 < 3500);
});

test('a Retry-After beyond the cap waits only the cap', async () => {
  const s = await flaky((n, _req, res) => (n === 0 ? res.writeHead(429, { 'retry-after': '3600' }).end() : ok(res)));
  const started = Date.now();
  await tags(client(s.host, { retries: 1, retryPolicy: { maxRetryAfterMs: 200 } }));
  assert.ok(Date.now() - started < 1500);
  assert.equal(s.hits.length, 2);
});

test('429 past the retry budget is a RegistryError with TOOMANYREQUESTS', async () => {
  const s = await flaky((_n, _req, res) =>
    res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end(errorBody('TOOMANYREQUESTS')),
  );
  await assert.rejects(
    tags(client(s.host, { retries: 2 })),
    (err: unknown) => err instanceof RegistryError && err.status === 429 && err.hasCode('TOOMANYREQUESTS'),
  );
  assert.equal(s.hits.length, 3);
});

test('a dropped connection is retried', async () => {
  const s = await flaky((n, req, res) => (n === 0 ? req.socket.destroy() : ok(res)));
  assert.deepEqual(await tags(client(s.host, { retries: 2, retryPolicy: { baseDelayMs: 10 } })), ['a', 'b']);
  assert.equal(s.hits.length, 2);
});

test('a server that never answers: timed-out RegistryError within the timeout', async () => {
  const s = await flaky(() => {
    /* silence */
  });
  const started = Date.now();
  await assert.rejects(client(s.host, { timeoutMs: 300, retries: 0 }).ping(), (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.timedOut, true);
    assert.match(err.message, /no response within 300 ms/);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 1500, `failed after ${elapsed} ms`);
  assert.equal(s.hits.length, 1);
});

test('a timeout is retried like a network error, and the whole stays bounded', async () => {
  const s = await flaky((n, _req, res) => (n === 0 ? undefined : ok(res)));
  const started = Date.now();
  assert.deepEqual(await tags(client(s.host, { timeoutMs: 300, retries: 1, retryPolicy: { baseDelayMs: 10 } })), ['a', 'b']);
  assert.equal(s.hits.length, 2);
  assert.ok(Date.now() - started < 2000);
});

test('a caller abort stops retrying at once', async () => {
  const s = await flaky((_n, _req, res) => res.writeHead(503).end());
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('shutting down')), 150);
  const started = Date.now();
  await assert.rejects(client(s.host, { retries: 10, retryPolicy: { baseDelayMs: 100 } }).ping({ signal: ac.signal }));
  assert.ok(Date.now() - started < 1000);
});
