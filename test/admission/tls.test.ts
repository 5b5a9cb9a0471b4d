// The webhook speaks TLS only, serves the kubelet's probes on its TLS port, verifies the API
// server's client certificate when a client CA is configured (probes excepted), and picks up a
// renewed certificate without a restart.
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { waitFor } from '../support/processes.ts';
import { httpsAgent, post } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'tls-1',
    operation: 'CREATE',
    namespace: 'ns',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    object: { spec: { containers: [{ name: 'a', image: 'nginx:1.27' }] } },
  },
};

function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

describe('admission: TLS', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('answers over HTTPS only, probes included, and reloads a renewed certificate', async () => {
    const svc = await stack.service();
    const { address, port } = svc.api!.webhook!;
    assert.match(address, /^https:\/\//);
    // Plain HTTP on the webhook port gets no answer a client could read as HTTP.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    for (const path of ['/healthz', '/readyz']) {
      const res = await request(`${address}${path}`, { dispatcher: stack.agent });
      assert.equal(res.statusCode, 200, path);
      await res.body.dump();
    }
    const res = await post(stack.agent, `${address}/validate`, review);
    assert.equal(res.status, 200);
    assert.equal(res.json.response.uid, 'tls-1');

    const before = await servedSerial(port, stack.tls.ca);
    stack.tls.renewServer();
    await waitFor('renewed certificate served', async () => ((await servedSerial(port, stack.tls.ca)) !== before ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    // New connections get the new certificate and still work.
    const agent = httpsAgent(stack.tls.ca);
    try {
      assert.equal((await post(agent, `${address}/validate`, review)).status, 200);
    } finally {
      await agent.close();
    }
  });

  it('with a client CA, wants a client certificate for reviews but not for probes', async () => {
    const svc = await stack.service({ ADMISSION_CLIENT_CA: stack.tls.caCert });
    const { address } = svc.api!.webhook!;
    const anonymous = await post(stack.agent, `${address}/validate`, review);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.json.message, /client certificate required/);
    const probe = await request(`${address}/readyz`, { dispatcher: stack.agent });
    assert.equal(probe.statusCode, 200);
    await probe.body.dump();
    const apiServer = httpsAgent(stack.tls.ca, { cert: stack.tls.clientCert, key: stack.tls.clientKey });
    try {
      const res = await post(apiServer, `${address}/validate`, review);
      assert.equal(res.status, 200);
      assert.equal(res.json.response.allowed, true);
    } finally {
      await apiServer.close();
    }
  });

  it('refuses to start without usable TLS files, and runs no webhook at all without them', async () => {
    await assert.rejects(stack.service({ ADMISSION_TLS_CERT: `${stack.tls.dir}/missing.crt` }), /cannot read the webhook TLS certificate/);
    await assert.rejects(stack.service({ ADMISSION_TLS_KEY: stack.tls.clientKey }), /are not usable/);
    await assert.rejects(stack.service({ ADMISSION_TLS_KEY: '' }), /ADMISSION_TLS_CERT and ADMISSION_TLS_KEY go together/);
    const bare = await stack.service({ ADMISSION_TLS_CERT: '', ADMISSION_TLS_KEY: '' });
    assert.equal(bare.api!.webhook, undefined);
  });
});
