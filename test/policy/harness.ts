// A running policy service for the tests: real nats-server, SQLite store in a temp directory,
// the service started in-process with an API token; helpers to publish scans and read verdicts.
import { join } from 'node:path';
import { create, fromBinary } from '@bufbuild/protobuf';
import { connectBus, newEventMeta, publishEvent, type BusConnection } from '@assay/bus';
import { policyService, policyTopology, type PolicyApi } from '@assay/policy';
import { Buckets, digestBucketKey, ScanCompletedSchema, ScanStatus, Topics, VerdictSchema, type Verdict } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import type { ScanReport } from '@assay/domain';
import type { KV } from 'nats';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { makeTempDir } from '../support/tempdir.ts';

export const TOKEN = 'test-token-0123456789';

export interface Harness {
  nats: NatsServer;
  svc: ServiceHandle<any, PolicyApi>;
  api: PolicyApi;
  /** Stops the service and starts a new one on the same bus and store (nothing kept in memory), after `downMs`. */
  restart(downMs?: number): Promise<void>;
  admin: BusConnection;
  kv: KV;
  url: string;
  /** fetch against the service with the bearer token. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  storeAndAnnounce(report: ScanReport): Promise<void>;
  verdict(digest: string): Promise<{ verdict: Verdict; revision: number } | undefined>;
  waitVerdict(
    digest: string,
    pred: (v: Verdict, revision: number) => boolean,
    timeoutMs?: number,
  ): Promise<{ verdict: Verdict; revision: number }>;
  /** Resolves when the policy consumers have nothing pending or in flight. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const nats = await startNatsServer();
  const dir = await makeTempDir('policy');
  const makeService = () =>
    createService(policyService, {
      env: {
        NATS_URL: nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        SQLITE_PATH: join(dir.path, 'assay.db'),
        POLICY_API_TOKEN: TOKEN,
        POLICY_API_USER: 'alice',
        ...env,
      },
    });
  let svc = makeService();
  await svc.start();
  await svc.ready({ timeoutMs: 20_000 });
  const admin = await connectBus({ servers: nats.url });
  const kv = await admin.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
  let url = svc.address!;

  const h: Harness = {
    nats,
    get svc() {
      return svc;
    },
    get api() {
      return svc.api!;
    },
    admin,
    kv,
    get url() {
      return url;
    },
    async restart(downMs = 0) {
      await svc.stop();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      svc = makeService();
      await svc.start();
      await svc.ready({ timeoutMs: 20_000 });
      url = svc.address!;
    },
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async storeAndAnnounce(report) {
      await h.api.engine.store.reports.put(report);
      await publishEvent(
        admin.js,
        Topics.scanCompleted,
        create(ScanCompletedSchema, {
          meta: newEventMeta('test'),
          image: { registry: report.image.registry, repository: report.image.repository, digest: report.image.digest },
          status: ScanStatus.SUCCEEDED,
          reportId: report.reportId,
        }),
      );
    },
    async verdict(digest) {
      const e = await kv.get(digestBucketKey(digest));
      if (!e || e.operation !== 'PUT') return undefined;
      return { verdict: fromBinary(VerdictSchema, e.value), revision: e.revision };
    },
    async waitVerdict(digest, pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await h.verdict(digest);
        if (v && pred(v.verdict, v.revision)) return v;
        if (Date.now() > deadline)
          throw new Error(
            `verdict for ${digest} not as expected after ${timeoutMs} ms: ${JSON.stringify(v?.verdict ?? null, (_k, x) => (typeof x === 'bigint' ? String(x) : x))}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async settled() {
      const jsm = await admin.jetstreamManager();
      const deadline = Date.now() + 30_000;
      for (;;) {
        const infos = await Promise.all(policyTopology.consumers.map((c) => jsm.consumers.info(c.stream, c.durable)));
        if (infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0)) return;
        if (Date.now() > deadline) throw new Error('policy consumers did not settle');
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await admin.close();
      await svc.stop();
      await nats.close();
      await dir.remove();
    },
  };
  return h;
}
