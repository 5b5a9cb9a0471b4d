// The webhook end to end over HTTPS, against a real nats-server: every vector answered (and
// audited), bad input refused with a 4xx and a message, tags resolved through the mirror or a
// bounded registry HEAD, a pending verdict waited for, scans requested, changes propagated.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { request } from 'undici';
import { AuditBatchSchema, Compliance, ScanRequestedSchema, Topics, type AuditEvent, type ScanRequested } from '@assay/proto';
import type { Subscription } from 'nats';
import { buildImage, pushImage } from '../support/oci-image.ts';
import { startRegistry, type Registry } from '../support/oci-registry.ts';
import { waitFor } from '../support/processes.ts';
import {
  digestFor,
  gatekeeperVectors,
  podReview,
  post,
  realVectors,
  roundTripVectors,
  runtimePolicy,
  VECTORS_DIR,
  verdict,
} from './helpers.ts';
import { startStack, type Stack } from './stack.ts';

const EVIDENCE = 'sensitive data: private key at /etc/ssl/private/ssl-cert-snakeoil.key';
const ENVOY = 'sha256:' + '1'.repeat(64);

function collect<T>(sub: Subscription, decode: (b: Uint8Array) => T | T[]): T[] {
  const out: T[] = [];
  void (async () => {
    for await (const m of sub) out.push(...([] as T[]).concat(decode(m.data)));
  })();
  return out;
}

const pod = podReview;

describe('admission: the HTTPS webhook', () => {
  let stack: Stack;
  let url: string;
  let audits: AuditEvent[];
  let scans: ScanRequested[];
  let registry: Registry;
  let hanging: Server;
  let hangingHost: string;
  let pushedDigest: string;
  let svc: Awaited<ReturnType<Stack['service']>>;

  before(async () => {
    stack = await startStack();
    // Decisions are audited in batches: one message per batch, each event with its own id.
    audits = collect(stack.admin.nc.subscribe(Topics.auditAdmissionBatch.subject), (b) => fromBinary(AuditBatchSchema, b).events);
    scans = collect(stack.admin.nc.subscribe(Topics.scanRequested.subject), (b) => fromBinary(ScanRequestedSchema, b));
    // Every image of the vectors is known: compliant, except the `bad` ones.
    for (const v of realVectors()) {
      const o = JSON.stringify((v.body as { request: { object: unknown } }).request.object ?? {});
      for (const m of o.matchAll(/"image":"([^"]+)"/g)) {
        const ref = m[1]!;
        if (ref.includes('@')) continue;
        const d = digestFor(ref);
        await stack.putTag(ref, d);
        await stack.putVerdict(
          d,
          ref.includes('bad')
            ? verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'sensitive_data', message: EVIDENCE }])
            : verdict(Compliance.COMPLIANT),
        );
      }
    }
    await stack.putVerdict(ENVOY, verdict(Compliance.COMPLIANT));
    await stack.putPolicy(runtimePolicy('prod', { scope: { namespaces: ['demo', 'shop'] } }));
    await stack.putPolicy(runtimePolicy('waiting', { scope: { namespaces: ['waiting'] }, pending: { action: 'wait', waitMs: 5000 } }));
    await stack.putPolicy(runtimePolicy('scan-on-admit', { scope: { namespaces: ['lenient'] }, enforcement: 'warn' }));

    registry = await startRegistry();
    const image = await buildImage({ layers: [[{ path: 'etc/os-release', content: 'ID=admission\n' }]] });
    pushedDigest = await pushImage(registry.host, 'team/app', 'v1', image);
    await stack.putVerdict(
      pushedDigest,
      verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'malware', message: 'malware: EICAR at /tmp/eicar' }]),
    );
    // A registry that accepts the connection and never answers.
    hanging = createServer(() => {});
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    hangingHost = `127.0.0.1:${(hanging.address() as { port: number }).port}`;

    svc = await stack.service({ ADMISSION_TAG_LOOKUP_TIMEOUT: '300', ADMISSION_DECISION_DEADLINE: '1500' });
    url = svc.api!.webhook!.address;
  });
  after(async () => {
    hanging?.closeAllConnections();
    hanging?.close();
    await stack?.close();
    await registry?.close();
  });

  it('answers every real API server request, echoing the uid, and audits each decision but the dry runs', async (t) => {
    if (!VECTORS_DIR) return t.skip('vectors not found');
    for (const v of realVectors()) {
      const body = v.body as { request: { uid: string; dryRun?: boolean } };
      const res = await post(stack.agent, `${url}/validate`, v.body);
      assert.equal(res.status, 200, `${v.name}: ${JSON.stringify(res.json)}`);
      assert.equal(res.json.apiVersion, 'admission.k8s.io/v1');
      assert.equal(res.json.kind, 'AdmissionReview');
      assert.equal(res.json.response.uid, body.request.uid);
      // 015 changes a label only: images admitted before are not judged again.
      const bad = /"image":\s*"[^"]*bad/.test(v.raw) && !v.name.includes('delete') && !v.name.includes('015-');
      assert.equal(res.json.response.allowed, !bad, `${v.name}: ${JSON.stringify(res.json.response)}`);
      if (bad) {
        assert.equal(res.json.response.status.code, 403);
        assert.ok(res.json.response.status.message.includes(EVIDENCE), res.json.response.status.message);
        assert.match(
          res.json.response.status.message,
          /image "[^"]*bad[^"]*" \(sha256:[0-9a-f]{64}\) is non-compliant: baseline\/sensitive_data/,
        );
      }
    }
    const reqOf = (v: { body: unknown }) => (v.body as { request: { uid: string; dryRun?: boolean } }).request;
    const uids = realVectors()
      .filter((v) => !reqOf(v).dryRun)
      .map((v) => reqOf(v).uid);
    const dryUids = realVectors()
      .filter((v) => reqOf(v).dryRun)
      .map((v) => reqOf(v).uid);
    assert.ok(dryUids.length > 0, 'the vectors include a dry run');
    await waitFor('an audit event per decision', () =>
      uids.every((u) => audits.some((a) => a.event.case === 'admission' && a.event.value.uid === u)) ? true : undefined,
    );
    // Dry runs leave nothing behind (sideEffects: NoneOnDryRun).
    for (const u of dryUids)
      assert.ok(!audits.some((a) => a.event.case === 'admission' && a.event.value.uid === u), `dry run ${u} not audited`);
    // A Pod created with `kubectl apply`, its image non-compliant.
    const applied = realVectors().find((v) => v.name.includes('019-'))!;
    const a = audits.find((e) => e.event.case === 'admission' && e.event.value.uid === reqOf(applied).uid)!;
    assert.equal(a.event.case, 'admission');
    if (a.event.case === 'admission') {
      assert.equal(a.event.value.dryRun, false);
      assert.equal(a.event.value.allowed, false);
      assert.equal(a.event.value.runtimePolicy, 'prod');
      assert.equal(a.event.value.mode, 'enforce');
      assert.equal(a.event.value.images[0]!.path, 'spec.containers[0].image');
      assert.equal(a.event.value.images[0]!.image!.repository, 'library/postgres-bad');
      assert.match(a.event.value.images[0]!.image!.digest, /^sha256:/);
      assert.equal(a.event.value.images[0]!.reasons[0]!.message, EVIDENCE);
      assert.equal(a.event.value.user!.username, 'admin');
    }
  });

  it('refuses malformed reviews and bad input with a 4xx and a message, and keeps serving', async () => {
    const malformed = [...gatekeeperVectors(), ...roundTripVectors()];
    for (const v of malformed) {
      const res = await post(stack.agent, `${url}/validate`, v.body);
      assert.equal(res.status, 400, `${v.name}: ${JSON.stringify(res.json)}`);
      assert.ok(typeof res.json.message === 'string' && res.json.message.length > 10, v.name);
    }
    const cases: [string, unknown, string | undefined, number, RegExp][] = [
      ['not JSON', '{"kind": "AdmissionReview", ', undefined, 400, /JSON/i],
      ['a JSON array', '[1,2]', undefined, 400, /object/],
      ['plain text', 'hello', 'text/plain', 415, /content-type|media type/i],
      ['wrong kind', { kind: 'Pod', apiVersion: 'admission.k8s.io/v1' }, undefined, 400, /kind must be AdmissionReview/],
      ['wrong apiVersion', { kind: 'AdmissionReview', apiVersion: 'v1' }, undefined, 400, /apiVersion must be one of/],
      ['missing request', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }, undefined, 400, /request is missing/],
      [
        'unknown kind',
        {
          ...pod('x', 'demo', ['a:1']),
          request: { ...pod('x', 'demo', ['a:1']).request, kind: { group: '', version: 'v1', kind: 'ConfigMap' } },
        },
        undefined,
        400,
        /kind ConfigMap is not reviewed/,
      ],
      [
        'a bad container list',
        { ...pod('y', 'demo', []), request: { ...pod('y', 'demo', []).request, object: { spec: { containers: 'nope' } } } },
        undefined,
        400,
        /containers is not a list/,
      ],
      ['10 MB', JSON.stringify({ ...pod('z', 'demo', ['a:1']), pad: 'x'.repeat(10 * 1024 * 1024) }), undefined, 413, /larger than/],
    ];
    for (const [what, body, ct, status, message] of cases) {
      const res = await post(stack.agent, `${url}/validate`, body, ct);
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.json).slice(0, 300)}`);
      assert.match(res.json.message, message, what);
    }
    const health = await request(`${url}/healthz`, { dispatcher: stack.agent });
    assert.equal(health.statusCode, 200);
    await health.body.dump();
  });

  it('answers v1beta1 in v1beta1', async () => {
    const res = await post(stack.agent, `${url}/validate`, {
      ...pod('beta', 'demo', ['nginx:1.27']),
      apiVersion: 'admission.k8s.io/v1beta1',
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.apiVersion, 'admission.k8s.io/v1beta1');
    assert.equal(res.json.response.allowed, true);
  });

  it('resolves a tag the tags bucket lacks with a registry HEAD, and bounds the lookup', async () => {
    const res = await post(stack.agent, `${url}/validate`, pod('head', 'shop', [`${registry.host}/team/app:v1`]));
    assert.equal(res.json.response.allowed, false);
    assert.ok(
      res.json.response.status.message.includes(
        `image "${registry.host}/team/app:v1" (${pushedDigest}) is non-compliant: baseline/malware: malware: EICAR at /tmp/eicar`,
      ),
    );
    const t0 = Date.now();
    const slow = await post(stack.agent, `${url}/validate`, pod('slow', 'shop', [`${hangingHost}/team/app:v1`]));
    const took = Date.now() - t0;
    assert.ok(took < 1500, `answered in ${took} ms despite a registry that never answers`);
    assert.equal(slow.json.response.allowed, false);
    assert.ok(
      slow.json.response.status.message.includes(`image "${hangingHost}/team/app:v1" (digest unknown) is not registered`),
      slow.json.response.status.message,
    );
  });

  it('waits for a pending verdict (bounded) and decides on its arrival', async () => {
    const d = digestFor('pending-app');
    await stack.putTag('registry.local/team/pending:v1', d);
    await stack.putVerdict(d, verdict(Compliance.PENDING));
    await waitFor('pending verdict mirrored', () => (svc.api!.snapshot.verdict(d) ? true : undefined));
    const t0 = Date.now();
    const answer = post(stack.agent, `${url}/validate`, pod('wait-1', 'waiting', ['registry.local/team/pending:v1']));
    setTimeout(() => void stack.putVerdict(d, verdict(Compliance.COMPLIANT)), 300);
    const res = await answer;
    assert.equal(res.json.response.allowed, true);
    assert.ok(Date.now() - t0 >= 250 && Date.now() - t0 < 1500, `answered on arrival (${Date.now() - t0} ms)`);

    const d2 = digestFor('never-scanned');
    await stack.putTag('registry.local/team/never:v1', d2);
    await stack.putVerdict(d2, verdict(Compliance.PENDING));
    await waitFor('second pending verdict mirrored', () => (svc.api!.snapshot.verdict(d2) ? true : undefined));
    const t1 = Date.now();
    const late = await post(stack.agent, `${url}/validate`, pod('wait-2', 'waiting', ['registry.local/team/never:v1']));
    const waited = Date.now() - t1;
    assert.ok(waited >= 1400 && waited < 2500, `waited up to the decision deadline (${waited} ms)`);
    assert.equal(late.json.response.allowed, false);
    assert.match(late.json.response.status.message, /has not been scanned yet \(waited for the scan\)/);
  });

  it('admits an unscanned image under allow-and-request-scan, with a warning, and requests its scan once', async () => {
    const d = digestFor('to-scan');
    await stack.putTag('registry.local/team/fresh:v1', d);
    await stack.putVerdict(d, verdict(Compliance.PENDING));
    await waitFor('mirrored', () => (svc.api!.snapshot.verdict(d) ? true : undefined));
    for (const uid of ['scan-1', 'scan-2']) {
      const res = await post(stack.agent, `${url}/validate`, pod(uid, 'lenient', ['registry.local/team/fresh:v1']));
      assert.equal(res.json.response.allowed, true);
      assert.match(res.json.response.warnings[0], /not scanned yet; a scan was requested/);
    }
    await waitFor('scan requested', () => (scans.some((s) => s.image?.digest === d) ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(scans.filter((s) => s.image?.digest === d).length, 1);
    const s = scans.find((x) => x.image?.digest === d)!;
    assert.equal(s.image!.registry, 'registry.local');
    assert.equal(s.image!.repository, 'team/fresh');
    assert.equal(s.image!.tag, 'v1');
  });

  it('changes its decision when a verdict or a runtime policy changes', async () => {
    const d = digestFor('flip');
    await stack.putTag('registry.local/team/flip:v1', d);
    await stack.putVerdict(d, verdict(Compliance.COMPLIANT));
    const decide = async () =>
      (await post(stack.agent, `${url}/validate`, pod('flip', 'shop', ['registry.local/team/flip:v1']))).json.response;
    await waitFor('allowed', async () => ((await decide()).allowed === true ? true : undefined));
    await stack.putVerdict(
      d,
      verdict(Compliance.NON_COMPLIANT, [
        { policy: 'baseline', control: 'vulnerabilities', message: 'CVE-2024-0001 (critical) in openssl 3.0.1' },
      ]),
    );
    await waitFor('denied after the verdict changed', async () => ((await decide()).allowed === false ? true : undefined));
    await stack.putPolicy(runtimePolicy('prod', { scope: { namespaces: ['demo', 'shop'] }, enforcement: 'warn' }));
    const warned = await waitFor('warned after the policy changed', async () => {
      const r = await decide();
      return r.allowed && r.warnings?.length ? r : undefined;
    });
    assert.match(warned.warnings[0], /CVE-2024-0001/);
    await stack.putPolicy(runtimePolicy('prod', { scope: { namespaces: ['demo', 'shop'] } }));
  });

  it('/mutate pins a labelled pod to its digests', async () => {
    const body = pod('mut', 'demo', ['nginx:1.27', `docker.io/envoyproxy/envoy@${ENVOY}`]);
    (body.request.object.metadata as Record<string, unknown>).labels = { 'assay.dev/pin-digests': 'true' };
    const res = await post(stack.agent, `${url}/mutate`, body);
    assert.equal(res.status, 200);
    assert.equal(res.json.response.allowed, true);
    assert.equal(res.json.response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(res.json.response.patch, 'base64').toString());
    assert.deepEqual(patch, [
      { op: 'replace', path: '/spec/containers/0/image', value: `docker.io/library/nginx:1.27@${digestFor('nginx:1.27')}` },
    ]);
    const plain = await post(stack.agent, `${url}/mutate`, pod('mut2', 'demo', ['nginx:1.27']));
    assert.equal(plain.json.response.patch, undefined);
    // The pinning is audited, as a mutation naming what it pinned; nothing pinned, nothing audited.
    await waitFor('the mutation audited', () =>
      audits.some((a) => a.event.case === 'admission' && a.event.value.uid === 'mut') ? true : undefined,
    );
    const m = audits.find((a) => a.event.case === 'admission' && a.event.value.uid === 'mut')!;
    assert.ok(m.event.case === 'admission');
    assert.equal(m.event.value.webhook, 'mutate');
    assert.deepEqual(m.event.value.pinned, ['/spec/containers/0/image']);
    assert.equal(m.event.value.images[0]?.image?.digest, digestFor('nginx:1.27'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(audits.filter((a) => a.event.case === 'admission' && a.event.value.uid === 'mut2').length, 0);
    assert.ok(
      audits
        .filter((a) => a.event.case === 'admission' && a.event.value.uid !== 'mut')
        .every((a) => a.event.case === 'admission' && a.event.value.webhook === 'validate'),
    );
  });

  it('looks up no tag in a namespace no runtime policy can govern (allowed unjudged there)', async () => {
    const lookups = async () => {
      const text = await (await fetch(`${svc.address}/metrics`)).text();
      return [...text.matchAll(/^assay_admission_tag_lookups_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await lookups();
    const free = await post(stack.agent, `${url}/validate`, pod('ungoverned', 'elsewhere', [`${hangingHost}/team/other:v1`]));
    assert.equal(free.json.response.allowed, true);
    assert.equal(await lookups(), before, 'a lookup was made for a namespace no policy covers');
    // The same unknown tag where a policy governs is looked up (and times out against this registry).
    await post(stack.agent, `${url}/validate`, pod('governed', 'shop', [`${hangingHost}/team/other:v1`]));
    assert.equal(await lookups(), before + 1);
  });

  it('exposes decisions and the outbox as metrics', async () => {
    const text = await (await fetch(`${svc.address}/metrics`)).text();
    assert.match(
      text,
      /assay_admission_decisions_total\{operation="CREATE",allowed="false",mode="enforce",dry_run="true",service="admission"\} \d+/,
    );
    assert.match(text, /assay_admission_outbox_size\{service="admission"\} \d+/);
    assert.match(text, /assay_admission_tag_lookups_total\{result="hit",service="admission"\} 1/);
    assert.match(text, /assay_admission_mirror_synced\{bucket="runtime-policies",service="admission"\} 1/);
  });
});
