// A slow review does not cost the API server its connection: after an AdmissionReview that took
// 10 s (a pending verdict waited for under `pending: wait`), the next review on the same
// keep-alive connection is answered on that connection, not reset. Checked from both sides: the
// client's socket (same local port) and the server's TLS connections (still one), with and without
// client certificates (the API server presents one when a client CA is configured).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { waitFor } from '../support/processes.ts';
import { digestFor, podReview, runtimePolicy, verdict } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const PENDING = 'registry.local/team/pending:v1';
/** The reported case: a review of about 10 s. */
const SLOW_MS = 10_000;

interface Answer {
  status: number;
  json: any;
  /** The client's end of the connection the answer came on. */
  localPort: number;
}

/** One POST through `agent` (node:https, the client the report used), JSON in and out. */
function send(agent: Agent, url: string, body: unknown): Promise<Answer> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            localPort: req.socket!.localPort!,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('admission: keep-alive after a slow review', { timeout: 120_000 }, () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await stack.putPolicy(runtimePolicy('waiting', { scope: { namespaces: ['waiting'] }, pending: { action: 'wait', waitMs: SLOW_MS } }));
    await stack.putTag(PENDING, digestFor('pending'));
    await stack.putVerdict(digestFor('pending'), verdict(Compliance.PENDING));
  });
  after(async () => {
    await stack?.close();
  });

  const cases: { name: string; env: () => Record<string, string>; client: () => { cert?: Buffer; key?: Buffer } }[] = [
    { name: 'without client certificates', env: () => ({}), client: () => ({}) },
    {
      name: 'with the API server presenting a client certificate',
      env: () => ({ ADMISSION_CLIENT_CA: stack.tls.caCert }),
      client: () => ({ cert: readFileSync(stack.tls.clientCert), key: readFileSync(stack.tls.clientKey) }),
    },
  ];
  for (const c of cases) {
    it(`answers the next review on the same connection after a ${SLOW_MS / 1000} s one, ${c.name}`, async () => {
      // The pending wait may end no later than the policy's waitMs: give the deadline room above it.
      const svc = await stack.service({ ADMISSION_DECISION_DEADLINE: String(SLOW_MS + 2_000), ...c.env() });
      const webhook = svc.api!.webhook!;
      await waitFor('pending verdict mirrored', () => (svc.api!.snapshot.verdict(digestFor('pending')) ? true : undefined));
      let connections = 0;
      webhook.app.server.on('secureConnection', () => connections++);
      // One socket at most, kept alive: the second review can only go where the first went.
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: stack.tls.ca, ...c.client() });
      try {
        const t0 = Date.now();
        const slow = await send(agent, `${webhook.address}/validate`, podReview('slow', 'waiting', [PENDING]));
        const took = Date.now() - t0;
        assert.equal(slow.status, 200, JSON.stringify(slow.json));
        assert.ok(took >= SLOW_MS - 100, `the first review was slow (${took} ms)`);
        assert.equal(slow.json.response.allowed, false);
        assert.match(slow.json.response.status.message, /has not been scanned yet \(waited for the scan\)/);

        const next = await send(agent, `${webhook.address}/validate`, podReview('next', 'elsewhere', [PENDING]));
        assert.equal(next.status, 200, JSON.stringify(next.json));
        assert.equal(next.json.response.uid, 'next');
        assert.equal(next.json.response.allowed, true);
        assert.equal(next.localPort, slow.localPort, 'the next review went over the same connection');
        assert.equal(connections, 1, 'the server saw one TLS connection for both reviews');
      } finally {
        agent.destroy();
        await svc.stop();
      }
    });
  }
});
