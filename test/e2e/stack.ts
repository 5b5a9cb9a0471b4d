// The whole Assay system for end-to-end tests, in-process: one real nats-server, a real registry
// notifying registry-watcher, the scanner with the real analyzers, the policy service sharing the
// scanner's SQLite file, the admission webhook over HTTPS, and audit delivering to the
// Elasticsearch stand-in. Everything started is stopped by `close()`, also after a failed start.
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import type { KV } from 'nats';
import type { Agent } from 'undici';
import { connectBus, type BusConnection } from '@assay/bus';
import { Buckets, digestBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { registryWatcherService } from '@assay/registry-watcher';
import { defaultAnalyzerRegistry, scannerServiceWith } from '@assay/scanner';
import { policyService } from '@assay/policy';
import { admissionService } from '@assay/admission';
import { auditService } from '@assay/audit';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { httpsAgent } from '../admission/helpers.ts';
import { makeTlsFixtures, type TlsFixtures } from '../admission/tls-fixtures.ts';

export const NOTIFICATION_TOKEN = 'e2e-notification-token-0123456789';
export const POLICY_TOKEN = 'e2e-policy-token-0123456789';

type AnyHandle = ServiceHandle<any, any>;

export interface Stack {
  nats: NatsServer;
  registry: Registry;
  standin: ElasticsearchStandin;
  tls: TlsFixtures;
  agent: Agent;
  admin: BusConnection;
  verdicts: KV;
  /** Audit data stream in the stand-in. */
  dataStream: string;
  /** Base URLs: policy REST API (http) and the admission webhook (https). */
  policyUrl: string;
  webhookUrl: string;
  services: Record<'watcher' | 'scanner' | 'policy' | 'admission' | 'audit', AnyHandle | undefined>;
  verdict(digest: string): Promise<Verdict | undefined>;
  /** fetch against the policy API with the bearer token. */
  policyCall(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
  close(): Promise<void>;
}

const logLevel = () => process.env.TEST_LOG_LEVEL ?? 'silent';

export async function startStack(): Promise<Stack> {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const close = async () => {
    const errors: unknown[] = [];
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        errors.push(err);
      }
    }
    cleanups.length = 0;
    if (errors.length) throw new AggregateError(errors, 'e2e stack cleanup failed');
  };
  const services: Stack['services'] = { watcher: undefined, scanner: undefined, policy: undefined, admission: undefined, audit: undefined };
  const start = async (name: keyof Stack['services'], def: any, env: Record<string, string>): Promise<AnyHandle> => {
    const svc = createService(def, {
      env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: logLevel(), METRICS_DEFAULT: 'false', NATS_REPLICAS: '1', ...env },
    }) as AnyHandle;
    cleanups.push(() => svc.stop());
    services[name] = svc;
    await svc.start();
    await svc.ready({ timeoutMs: 30_000 });
    return svc;
  };

  try {
    const nats = await startNatsServer();
    cleanups.push(() => nats.close());
    const dir = await makeTempDir('e2e');
    cleanups.push(() => dir.remove());
    const standin = await startElasticsearchStandin();
    cleanups.push(() => standin.close());
    const tls = await makeTlsFixtures();
    cleanups.push(() => tls.remove());
    const agent = httpsAgent(tls.ca);
    cleanups.push(() => agent.close());

    // The registry must know where to notify before the watcher exists: a pre-chosen port.
    const watcherPort = await freePort();
    const registry = await startRegistry({
      notifications: { url: `http://127.0.0.1:${watcherPort}/registry/events/local`, token: NOTIFICATION_TOKEN },
    });
    cleanups.push(() => registry.close());

    const admin = await connectBus({ servers: nats.url, name: 'e2e-admin' });
    cleanups.push(() => admin.close());

    const sqlite = join(dir.path, 'assay.db');
    const dataStream = `logs-assay.audit-e2e${process.pid}`;
    const registries = JSON.stringify([{ name: 'local', url: registry.url, insecure: true, trustNotifications: true }]);

    // Audit first, so that no audit event waits for a consumer; then the pipeline from the end.
    const audit = await start('audit', auditService, {
      NATS_URL: nats.url,
      AUDIT_ES_URL: standin.url,
      AUDIT_ES_DATA_STREAM: dataStream,
      AUDIT_BATCH_LINGER: '20ms',
      AUDIT_RETRY_BASE: '50ms',
      AUDIT_RETRY_MAX: '500ms',
    });
    await audit.api?.esStarted;
    const policy = await start('policy', policyService, {
      NATS_URL: nats.url,
      SQLITE_PATH: sqlite,
      POLICY_API_TOKEN: POLICY_TOKEN,
      POLICY_API_USER: 'e2e',
    });
    await start('scanner', scannerServiceWith({ analyzers: defaultAnalyzerRegistry }), {
      NATS_URL: nats.url,
      SQLITE_PATH: sqlite,
      SCANNER_REGISTRIES: JSON.stringify([{ name: 'local', url: registry.url, insecure: true }]),
      SCAN_RETRY_BACKOFF: '200ms',
    });
    await start('watcher', registryWatcherService, {
      NATS_URL: nats.url,
      HTTP_PORT: String(watcherPort),
      NOTIFICATION_TOKEN,
      WATCHER_REGISTRIES: registries,
      WATCHER_RETRY_BASE: '200ms',
    });
    const admission = await start('admission', admissionService, {
      NATS_URL: nats.url,
      ADMISSION_PORT: '0',
      ADMISSION_TLS_CERT: tls.serverCert,
      ADMISSION_TLS_KEY: tls.serverKey,
    });

    const verdicts = await admin.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
    const policyUrl = policy.address as string;
    const webhookUrl = admission.api!.webhook!.address as string;

    return {
      nats,
      registry,
      standin,
      tls,
      agent,
      admin,
      verdicts,
      dataStream,
      policyUrl,
      webhookUrl,
      services,
      async verdict(digest) {
        const e = await verdicts.get(digestBucketKey(digest));
        return e && e.operation === 'PUT' ? fromBinary(VerdictSchema, e.value) : undefined;
      },
      async policyCall(method, path, body) {
        const res = await fetch(`${policyUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${POLICY_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: res.status, json, text };
      },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

// Shared with `npm run demo`.
export { deploymentReview } from '../../scripts/demo/walkthrough.ts';
