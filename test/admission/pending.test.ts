// A discovered but not yet scanned image, end to end on a real nats-server with the policy and
// admission services: policy gives it a pending verdict as soon as it is discovered, so admission
// applies the runtime policy's "not yet scanned" rules (pending.action) — not the ones for an
// unregistered image (blockUnregistered).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { newEventMeta, publishEvent } from '@assay/bus';
import { policyService, type PolicyApi } from '@assay/policy';
import {
  Compliance,
  ImageDiscoveredSchema,
  ImageRefSchema,
  ScanCompletedSchema,
  ScanRequestedSchema,
  ScanStatus,
  Topics,
  type ScanRequested,
} from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import type { ScanReport } from '@assay/domain';
import { waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { digestFor, podReview, post, runtimePolicy } from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const TOKEN = 'test-token-0123456789';
const REGISTRY = 'registry.local';

const pod = podReview;

describe('admission: a discovered image not scanned yet is pending, not unregistered', () => {
  let stack: Stack;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let policy: ServiceHandle<any, PolicyApi>;
  let admission: Awaited<ReturnType<Stack['service']>>;
  let url: string;
  let scans: ScanRequested[];

  const discover = async (digest: string, repository: string) => {
    await publishEvent(
      stack.admin.js,
      Topics.imageDiscovered,
      create(ImageDiscoveredSchema, {
        meta: newEventMeta('test'),
        image: create(ImageRefSchema, {
          registry: REGISTRY,
          repository,
          tag: 'v1',
          digest,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
        }),
      }),
    );
    // Admission decides on its mirror of the verdicts bucket.
    await waitFor(`pending verdict of ${digest} mirrored`, () =>
      admission.api!.snapshot.verdict(digest)?.compliance === Compliance.PENDING ? true : undefined,
    );
  };
  const review = async (uid: string, namespace: string, image: string) =>
    (await post(stack.agent, `${url}/validate`, pod(uid, namespace, [image]))).json.response as {
      allowed: boolean;
      status?: { message?: string };
      warnings?: string[];
    };

  before(async () => {
    stack = await startStack();
    dir = await makeTempDir('admission-pending');
    policy = createService(policyService, {
      env: {
        NATS_URL: stack.nats.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        SQLITE_PATH: join(dir.path, 'assay.db'),
        POLICY_API_TOKEN: TOKEN,
        POLICY_API_USER: 'alice',
      },
    });
    await policy.start();
    await policy.ready({ timeoutMs: 20_000 });
    const rt = async (id: string, overrides: Record<string, unknown>) => {
      const res = await fetch(`${policy.address!}/api/v1/runtime-policies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, document: runtimePolicy(id, overrides).policy }),
      });
      assert.equal(res.status, 201, await res.text());
    };
    // Unregistered images allowed, pending ones denied.
    await rt('deny-pending', { scope: { namespaces: ['strict'] }, blockUnregistered: false, pending: { action: 'deny' } });
    // Unregistered images denied, pending ones admitted (and a scan requested).
    await rt('scan-on-admit', {
      scope: { namespaces: ['lenient'] },
      blockUnregistered: true,
      pending: { action: 'allow-and-request-scan' },
    });
    // Unregistered images denied, pending ones waited for.
    await rt('wait-pending', { scope: { namespaces: ['waiting'] }, blockUnregistered: true, pending: { action: 'wait', waitMs: 5000 } });
    scans = [];
    const sub = stack.admin.nc.subscribe(Topics.scanRequested.subject);
    void (async () => {
      for await (const m of sub) scans.push(fromBinary(ScanRequestedSchema, m.data));
    })();
    admission = await stack.service({ ADMISSION_DECISION_DEADLINE: '5000' });
    url = admission.api!.webhook!.address;
    await waitFor('runtime policies mirrored', () => (admission.api!.snapshot.runtimePolicies().length === 3 ? true : undefined));
  });
  after(async () => {
    await policy?.stop();
    await stack?.close();
    await dir?.remove();
  });

  it("pending.action 'deny': a discovered image is denied as not scanned yet (an unregistered one is allowed)", async () => {
    const d = digestFor('pending-deny');
    const image = `${REGISTRY}/team/fresh@${d}`;
    const before = await review('deny-0', 'strict', image);
    assert.equal(before.allowed, true, 'unregistered: blockUnregistered is false');

    await discover(d, 'team/fresh');
    const res = await review('deny-1', 'strict', image);
    assert.equal(res.allowed, false);
    assert.match(res.status?.message ?? '', /has not been scanned yet/);
    assert.doesNotMatch(res.status?.message ?? '', /not registered/);
  });

  it("pending.action 'allow-and-request-scan': a discovered image is allowed with a warning (an unregistered one is denied)", async () => {
    const d = digestFor('pending-allow');
    const image = `${REGISTRY}/team/lenient@${d}`;
    const before = await review('allow-0', 'lenient', image);
    assert.equal(before.allowed, false);
    assert.match(before.status?.message ?? '', /not registered/);

    await discover(d, 'team/lenient');
    const res = await review('allow-1', 'lenient', image);
    assert.equal(res.allowed, true, JSON.stringify(res));
    assert.match(res.warnings?.[0] ?? '', /not scanned yet; a scan was requested/);
    await waitFor('scan requested', () => (scans.some((s) => s.image?.digest === d) ? true : undefined));
    // The request leaves the pending verdict pending (policy writes pending only where there is no verdict).
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(admission.api!.snapshot.verdict(d)?.compliance, Compliance.PENDING);
  });

  it("pending.action 'wait': a discovered image is waited for, and admitted when its scan is judged", async () => {
    const d = digestFor('pending-wait');
    const image = `${REGISTRY}/team/slow@${d}`;
    await discover(d, 'team/slow');
    const t0 = Date.now();
    const answer = review('wait-1', 'waiting', image);
    setTimeout(() => {
      void (async () => {
        const report = {
          reportId: `r-${d.slice(7, 23)}`,
          image: { registry: REGISTRY, repository: 'team/slow', digest: d },
          analyzerVersions: { dpkg: 1 },
          scannedAt: new Date(),
          layers: [],
          packages: [],
          vulnerabilities: [],
          config: {},
        } as unknown as ScanReport;
        await policy.api!.engine.store.reports.put(report);
        await publishEvent(
          stack.admin.js,
          Topics.scanCompleted,
          create(ScanCompletedSchema, {
            meta: newEventMeta('test'),
            image: { registry: REGISTRY, repository: 'team/slow', digest: d },
            status: ScanStatus.SUCCEEDED,
            reportId: report.reportId,
          }),
        );
      })();
    }, 300);
    const res = await answer;
    assert.equal(res.allowed, true, JSON.stringify(res));
    assert.ok(Date.now() - t0 >= 250, `waited for the verdict (${Date.now() - t0} ms)`);
    assert.equal(admission.api!.snapshot.verdict(d)?.compliance, Compliance.COMPLIANT);
  });
});
