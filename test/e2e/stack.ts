// The whole Assay system for end-to-end tests, in-process: one real nats-server, a real registry
// notifying registry-watcher, the scanner with the real analyzers, the policy service sharing the
// scanner's store (one SQLite file, or the MongoDB wire stand-in with `{ store: 'mongo' }`), the
// admission webhook over HTTPS, and audit delivering to the Elasticsearch stand-in. Any service,
// and the store, can be restarted in place. Everything started is stopped by `close()`, also
// after a failed start.
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import type { KV } from 'nats';
import type { Agent } from 'undici';
import { connectBus, type BusConnection } from '@assay/bus';
import { Buckets, Compliance, digestBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { registryWatcherService } from '@assay/registry-watcher';
import { defaultAnalyzerRegistry } from '@assay/scan-engine';
import { scannerServiceWith } from '@assay/scanner';
import { policyService } from '@assay/policy';
import { admissionService } from '@assay/admission';
import { auditService } from '@assay/audit';
import { openSqliteStore } from '@assay/store';
import { startElasticsearchStandin, type ElasticsearchStandin } from '../support/elasticsearch-standin/index.ts';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { httpsAgent } from '../admission/helpers.ts';
import { makeTlsFixtures, type TlsFixtures } from '../admission/tls-fixtures.ts';

export const NOTIFICATION_TOKEN = 'e2e-notification-token-0123456789';
export const POLICY_TOKEN = 'e2e-policy-token-0123456789';

/** JSON with bigints (protobuf int64 fields) as strings, for messages in assertions. */
export const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));

/** The first final (not pending) verdict for `digest`; on timeout, the error shows what the bucket held. */
export async function finalVerdict(s: Pick<Stack, 'verdict'>, digest: string, timeoutMs: number, what = 'an'): Promise<Verdict> {
  try {
    return await waitFor(
      `a final verdict for ${what} image ${digest}`,
      async () => {
        const v = await s.verdict(digest);
        return v && v.compliance !== Compliance.PENDING && v.compliance !== Compliance.UNSPECIFIED ? v : undefined;
      },
      { timeoutMs, intervalMs: 20 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; verdicts bucket holds ${show((await s.verdict(digest)) ?? null)}`);
  }
}

type AnyHandle = ServiceHandle<any, any>;
type ServiceKey = 'watcher' | 'scanner' | 'policy' | 'admission' | 'audit';

export interface StackOptions {
  /** The deployment's one store: an SQLite file shared by scanner and policy (default), or the MongoDB stand-in. */
  store?: 'sqlite' | 'mongo';
}

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
  services: Record<ServiceKey, AnyHandle | undefined>;
  /** The MongoDB stand-in, when the stack runs on it. */
  mongo: MongoStandin | undefined;
  /**
   * Stops one service and starts it again with the same configuration (plus `env`, which
   * `restartService(name)` drops again); resolves once it is ready, or with `ready: false` as
   * soon as its health server listens.
   */
  restartService(name: ServiceKey, opts?: { env?: Record<string, string>; ready?: boolean }): Promise<void>;
  /**
   * Restarts the store: the MongoDB stand-in's listener over the same data, or for SQLite every
   * connection closed (scanner and policy stopped, the file checkpointed) and opened again.
   * Resolves once every service is ready.
   */
  restartStore(opts?: { downMs?: number }): Promise<void>;
  /** Resolves once every service reports ready. */
  allReady(timeoutMs?: number): Promise<void>;
  verdict(digest: string): Promise<Verdict | undefined>;
  /** fetch against the policy API with the bearer token. */
  policyCall(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
  close(): Promise<void>;
}

const logLevel = () => process.env.TEST_LOG_LEVEL ?? 'silent';

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
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
  const specs = new Map<ServiceKey, { def: any; env: Record<string, string> }>();
  const start = async (
    name: ServiceKey,
    def: any,
    env: Record<string, string>,
    extra: { env?: Record<string, string>; ready?: boolean } = {},
  ): Promise<AnyHandle> => {
    if (!specs.has(name)) specs.set(name, { def, env });
    const svc = createService(def, {
      env: {
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: logLevel(),
        METRICS_DEFAULT: 'false',
        NATS_REPLICAS: '1',
        ...env,
        ...extra.env,
      },
    }) as AnyHandle;
    cleanups.push(() => svc.stop());
    services[name] = svc;
    if (extra.ready === false) {
      // Its start may never finish (a service that refuses to become ready): wait for the health server only.
      svc.start().catch(() => {});
      while (!svc.address) {
        if (svc.state === 'failed' || svc.state === 'stopped')
          throw new Error(`${name} stopped while starting: ${svc.failure?.message ?? ''}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return svc;
    }
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
    let mongo: MongoStandin | undefined;
    if (opts.store === 'mongo') {
      mongo = await startMongoStandin();
      cleanups.push(() => mongo!.close());
    }
    const storeEnv: Record<string, string> = mongo ? { MONGO_URL: mongo.url, MONGO_DB: 'assay' } : { SQLITE_PATH: sqlite };
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
    await start('policy', policyService, {
      NATS_URL: nats.url,
      ...storeEnv,
      POLICY_API_TOKEN: POLICY_TOKEN,
      POLICY_API_USER: 'e2e',
    });
    await start('scanner', scannerServiceWith({ analyzers: defaultAnalyzerRegistry }), {
      NATS_URL: nats.url,
      ...storeEnv,
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
    await start('admission', admissionService, {
      NATS_URL: nats.url,
      ADMISSION_PORT: '0',
      ADMISSION_TLS_CERT: tls.serverCert,
      ADMISSION_TLS_KEY: tls.serverKey,
    });

    const verdicts = await admin.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
    // Read on each use: a restarted service listens on a new port.
    const currentPolicyUrl = () => services.policy!.address as string;
    const currentWebhookUrl = () => services.admission!.api!.webhook!.address as string;
    const allReady = async (timeoutMs = 30_000) => {
      await Promise.all(Object.values(services).map((svc) => svc?.ready({ timeoutMs })));
    };
    const restartService = async (name: ServiceKey, extra: { env?: Record<string, string>; ready?: boolean } = {}) => {
      const spec = specs.get(name)!;
      await services[name]!.stop();
      await start(name, spec.def, spec.env, extra);
    };

    return {
      nats,
      registry,
      standin,
      tls,
      agent,
      admin,
      verdicts,
      dataStream,
      get policyUrl() {
        return currentPolicyUrl();
      },
      get webhookUrl() {
        return currentWebhookUrl();
      },
      services,
      mongo,
      restartService,
      async restartStore({ downMs = 0 } = {}) {
        if (mongo) {
          await mongo.close();
          await new Promise((r) => setTimeout(r, downMs));
          await mongo.restart();
        } else {
          // Every connection closed: then the file is opened alone (the WAL folded back in) and closed.
          await services.policy!.stop();
          await services.scanner!.stop();
          await new Promise((r) => setTimeout(r, downMs));
          const alone = await openSqliteStore({ path: sqlite });
          alone.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
          await alone.close();
          await start('policy', specs.get('policy')!.def, specs.get('policy')!.env);
          await start('scanner', specs.get('scanner')!.def, specs.get('scanner')!.env);
        }
        await allReady();
      },
      allReady,
      async verdict(digest) {
        const e = await verdicts.get(digestBucketKey(digest));
        return e && e.operation === 'PUT' ? fromBinary(VerdictSchema, e.value) : undefined;
      },
      async policyCall(method, path, body) {
        const res = await fetch(`${currentPolicyUrl()}${path}`, {
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
