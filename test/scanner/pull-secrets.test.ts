// A running image pulled with its workload's image pull secret (SCANNER_KUBE_PULL_SECRETS): two
// real registries with basic auth — one the scanner has no credentials for (only a pull secret
// has), one it is configured for — the Kubernetes API stand-in serving a dockerconfigjson Secret,
// and ImageDiscovered events carrying pull secret references as the registry-watcher sends them.
// Without the setting the same scan fails unauthorised; a secret missing or without an entry for
// the registry falls back to the configured credentials with a warning naming the reference; the
// password appears in no report, log line or bus message.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { newEventMeta, publishEvent, type BusConnection } from '@assay/bus';
import { DiscoverySource, ImageDiscoveredSchema, ImageRefSchema, ScanStatus, SecretRefSchema, Topics } from '@assay/proto';
import { scannerServiceWith } from '@assay/scanner';
import { createService } from '@assay/service-kit';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';
import { logSink } from '../support/log-sink.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { buildImage, pushImage } from '../support/oci-image.ts';
import { type Registry, startRegistry } from '../support/oci-registry.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { CompletedEvents, connectAdmin, testAnalyzers, type ScannerHandle } from './helpers.ts';

const secretPassword = `pull-${randomBytes(12).toString('hex')}`;
const secretUser = 'puller';
const configuredUser = { username: 'scanner', password: `cfg-${randomBytes(12).toString('hex')}` };

describe('scanner: pulls of running images with their pull secrets', () => {
  let privateReg: Registry; // only the pull secret has credentials for it
  let configuredReg: Registry; // the scanner's configured credentials
  let standin: KubeApiStandin;
  let admin: BusConnection;
  let completed: CompletedEvents;
  let tokenFile: string;
  const logs = logSink();
  const messages: Buffer[] = [];
  let n = 0;

  before(async () => {
    [privateReg, configuredReg] = await Promise.all([
      startRegistry({ basicAuth: { username: secretUser, password: secretPassword } }),
      startRegistry({ basicAuth: configuredUser }),
    ]);
    const token = randomBytes(16).toString('hex');
    standin = await KubeApiStandin.start({ token });
    standin.createNamespace('shop');
    const dir = await makeTempDir('scanner-pull-secrets');
    tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    const dockerconfig = {
      auths: {
        // the https:// form a `kubectl create secret docker-registry` may write
        [`https://${privateReg.host}`]: {
          username: secretUser,
          password: secretPassword,
          auth: Buffer.from(`${secretUser}:${secretPassword}`).toString('base64'),
        },
      },
    };
    standin.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'shop' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify(dockerconfig)).toString('base64') },
    });
  });

  after(async () => {
    await standin?.close();
    await Promise.all([privateReg?.close(), configuredReg?.close()]);
  });

  /** A scanner on a bus of its own (a scanner replacing another on one bus waits out its pulls). */
  async function withScanner<T>(env: Record<string, string>, fn: (s: ScannerHandle) => Promise<T>): Promise<T> {
    const nats: NatsServer = await startNatsServer();
    admin = await connectAdmin(nats.url);
    completed = await CompletedEvents.start(admin);
    // Every message on the bus, raw.
    const sub = admin.nc.subscribe('>');
    void (async () => {
      for await (const m of sub) messages.push(Buffer.from(m.data));
    })();
    const svc = createService(scannerServiceWith({ analyzers: testAnalyzers }), {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'debug',
        METRICS_DEFAULT: 'false',
        SQLITE_PATH: ':memory:',
        SCAN_RETRY_BACKOFF: '200ms',
        SCAN_MAX_DELIVERIES: '1',
        TRUST_VERIFY: 'false',
        SCANNER_REGISTRIES: JSON.stringify([
          { name: 'private', url: privateReg.url, insecure: true },
          { name: 'configured', url: configuredReg.url, insecure: true, credentials: configuredUser },
        ]),
        ...env,
      },
      logDestination: logs.destination,
    }) as ScannerHandle;
    await svc.start();
    try {
      await svc.ready({ timeoutMs: 20_000 });
      return await fn(svc);
    } finally {
      await svc.stop();
      completed.stop();
      await admin.close();
      await nats.close();
    }
  }
  const enabled = () => ({ SCANNER_KUBE_PULL_SECRETS: 'true', SCANNER_KUBE_API_URL: standin.url, SCANNER_KUBE_TOKEN_FILE: tokenFile });
  const reportTexts: string[] = [];

  async function push(reg: Registry, auth: { username: string; password: string }) {
    const image = await buildImage({ layers: [[{ path: 'etc/os-release', content: `ID=debian\nVERSION_ID="12"\n# ${++n}\n` }]] });
    const repository = `shop/app${n}`;
    await pushImage(reg.host, repository, 'v1', image, { auth });
    return { registry: reg.host, repository, digest: image.digest };
  }

  async function scanRunning(img: { registry: string; repository: string; digest: string }, secrets: string[]) {
    const before = completed.for(img.digest).length;
    await publishEvent(
      admin.js,
      Topics.imageDiscovered,
      create(ImageDiscoveredSchema, {
        meta: newEventMeta('scanner-test'),
        image: create(ImageRefSchema, img),
        source: DiscoverySource.CLUSTER,
        pullSecrets: secrets.map((name) => create(SecretRefSchema, { namespace: 'shop', name })),
      }),
    );
    return (await completed.wait(img.digest, before + 1))[before]!;
  }

  it('without SCANNER_KUBE_PULL_SECRETS the scan fails unauthorised (no secret is read)', async () => {
    const img = await push(privateReg, { username: secretUser, password: secretPassword });
    const gets = standin.gets;
    await withScanner({}, async () => {
      const ev = await scanRunning(img, ['regcred']);
      assert.equal(ev.status, ScanStatus.FAILED);
      assert.match(ev.error, /401|unauthori[sz]ed|authenticat/i);
    });
    assert.equal(standin.gets, gets);
  });

  it("with it, the scan pulls with the secret's credentials (the scanner has none for that registry); secrets read once", async () => {
    const a = await push(privateReg, { username: secretUser, password: secretPassword });
    const b = await push(privateReg, { username: secretUser, password: secretPassword });
    const gets = standin.gets;
    await withScanner(enabled(), async (s) => {
      for (const img of [a, b]) {
        const ev = await scanRunning(img, ['regcred']);
        assert.equal(ev.status, ScanStatus.SUCCEEDED, ev.error);
        const report = await s.api!.store.reports.get(img.digest);
        assert.equal(report?.os?.family, 'debian');
        reportTexts.push(JSON.stringify(report));
        const warnings = (report as { warnings?: string[] }).warnings ?? [];
        assert.ok(!warnings.some((w) => w.includes('pull secret')), warnings.join('\n'));
      }
    });
    // the parsed secret is cached: the second scan did not read it again
    assert.equal(standin.gets - gets, 1);
  });

  it('a missing secret, or one with no entry for the registry: the configured credentials, and a warning naming each', async () => {
    const img = await push(configuredReg, configuredUser);
    await withScanner(enabled(), async (s) => {
      const ev = await scanRunning(img, ['gone', 'regcred']);
      assert.equal(ev.status, ScanStatus.SUCCEEDED, ev.error);
      const report = (await s.api!.store.reports.get(img.digest))!;
      reportTexts.push(JSON.stringify(report));
      const warnings = ((report as { warnings?: string[] }).warnings ?? []).filter((w) => w.includes('pull secret'));
      assert.equal(warnings.length, 2, warnings.join('\n'));
      assert.match(warnings[0]!, /shop\/gone was not found; pulled with the configured registry credentials/);
      assert.match(warnings[1]!, new RegExp(`shop/regcred has no entry for registry ${configuredReg.host.replace(/\./g, '\\.')}`));
    });
  });

  it("the secret's password appears in no report, log line or bus message", async () => {
    // after the scans above: reports are in bus messages (ScanCompleted carries summaries) and logs
    const encoded = Buffer.from(`${secretUser}:${secretPassword}`).toString('base64');
    assert.ok(logs.lines.length > 0);
    assert.ok(messages.length > 0);
    assert.equal(reportTexts.length, 3);
    const allLogs = logs.lines.map((l) => JSON.stringify(l)).join('\n');
    assert.ok(allLogs.includes('regcred'), 'the logs name the secret by reference');
    for (const needle of [secretPassword, encoded]) {
      assert.ok(!allLogs.includes(needle), 'a log line holds the secret');
      assert.ok(!reportTexts.some((r) => r.includes(needle)), 'a report holds the secret');
      assert.ok(!messages.some((m) => m.includes(needle)), 'a bus message holds the secret');
    }
  });
});
