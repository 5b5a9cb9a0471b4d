// A running admission service for end-to-end tests: a real nats-server, the buckets seeded
// through an admin connection, test TLS material, and an HTTPS client trusting its CA.
import { toBinary } from '@bufbuild/protobuf';
import { connectBus, provisionTopology, type BusConnection } from '@assay/bus';
import { Buckets, digestBucketKey, tagBucketKey, VerdictSchema, type Verdict } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { admissionService, admissionTopology, type Admission, type AdmissionShape } from '@assay/admission';
import type { RuntimePolicyRef } from '@assay/review-engine';
import type { KV } from 'nats';
import type { Agent } from 'undici';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { canonical, httpsAgent } from './helpers.ts';
import { makeTlsFixtures, type TlsFixtures } from './tls-fixtures.ts';

export interface Buckets {
  verdicts: KV;
  tags: KV;
  policies: KV;
  exceptions: KV;
}

export interface Stack {
  nats: NatsServer;
  admin: BusConnection;
  kv: Buckets;
  tls: TlsFixtures;
  agent: Agent;
  putVerdict(digest: string, v: Verdict): Promise<void>;
  putTag(reference: string, digest: string): Promise<void>;
  putPolicy(p: RuntimePolicyRef): Promise<void>;
  /** Starts an admission service on this stack. */
  service(env?: Record<string, string>): Promise<ServiceHandle<AdmissionShape, Admission>>;
  close(): Promise<void>;
}

export async function bucketsOf(admin: BusConnection): Promise<Buckets> {
  await provisionTopology(await admin.jetstreamManager(), admissionTopology);
  const kv = (name: string) => admin.js.views.kv(name, { bindOnly: true });
  return {
    verdicts: await kv(Buckets.verdicts.name),
    tags: await kv(Buckets.tags.name),
    policies: await kv(Buckets.runtimePolicies.name),
    exceptions: await kv(Buckets.exceptions.name),
  };
}

export async function startStack(): Promise<Stack> {
  const nats = await startNatsServer();
  const admin = await connectBus({ servers: nats.url, name: 'test-admin' });
  const kv = await bucketsOf(admin);
  const tls = await makeTlsFixtures();
  const agent = httpsAgent(tls.ca);
  const services: ServiceHandle<AdmissionShape, Admission>[] = [];
  const enc = new TextEncoder();
  return {
    nats,
    admin,
    kv,
    tls,
    agent,
    putVerdict: async (digest, v) => void (await kv.verdicts.put(digestBucketKey(digest), toBinary(VerdictSchema, v))),
    putTag: async (reference, digest) => void (await kv.tags.put(tagBucketKey(canonical(reference)), enc.encode(digest))),
    putPolicy: async (p) => void (await kv.policies.put(p.id, enc.encode(JSON.stringify(p)))),
    async service(env = {}) {
      const svc = createService(admissionService, {
        env: {
          NATS_URL: nats.url,
          HTTP_PORT: '0',
          ADMISSION_PORT: '0',
          ADMISSION_TLS_CERT: tls.serverCert,
          ADMISSION_TLS_KEY: tls.serverKey,
          LOG_LEVEL: 'warn',
          METRICS_DEFAULT: 'false',
          ...env,
        },
      });
      services.push(svc);
      await svc.start();
      await svc.ready({ timeoutMs: 20_000 });
      return svc;
    },
    async close() {
      for (const s of services) await s.stop();
      await agent.close();
      await admin.close();
      await nats.close();
      await tls.remove();
    },
  };
}
