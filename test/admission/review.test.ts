// The pure review (what the CLI reuses): every vector gets a well-formed answer or a clear
// ReviewError; decisions from memory under enforce, warn and audit; the refusal names each
// failing image, its digest, the policy and the failed controls with their evidence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compliance } from '@assay/proto';
import { auditEventOf } from '@assay/admission';
import {
  evaluateRequest,
  imagesOf,
  parseAdmissionReview,
  pinDigestsPatch,
  reviewAdmission,
  ReviewError,
  wantsPinning,
} from '@assay/review-engine';
import { toEcs } from '@assay/audit';
import {
  canonical,
  digestFor,
  gatekeeperVectors,
  memorySnapshot,
  realVectors,
  roundTripVectors,
  runtimePolicy,
  vectorsMissing,
  verdict,
} from './helpers.ts';

const NOW = new Date('2026-11-26T12:00:00Z');
const ENVOY = 'sha256:' + '1'.repeat(64);

/** A snapshot knowing every image of the real vectors: compliant, except the `bad` ones. */
function vectorSnapshot() {
  const snap = memorySnapshot({ policies: [runtimePolicy('prod')] });
  for (const v of realVectors()) {
    const o = JSON.stringify((v.body as { request: { object: unknown } }).request.object ?? {});
    for (const m of o.matchAll(/"image":"([^"]+)"/g)) {
      const ref = m[1]!;
      const d = ref.includes('@') ? ref.split('@')[1]! : digestFor(ref);
      if (!ref.includes('@')) snap.state.tags.set(canonical(ref), d);
      snap.state.verdicts.set(
        d,
        ref.includes('bad')
          ? verdict(Compliance.NON_COMPLIANT, [
              {
                policy: 'baseline',
                control: 'sensitive_data',
                message: 'sensitive data: private key at /etc/ssl/private/ssl-cert-snakeoil.key',
              },
            ])
          : verdict(Compliance.COMPLIANT),
      );
    }
  }
  snap.state.verdicts.set(ENVOY, verdict(Compliance.COMPLIANT));
  return snap;
}

describe('admission: the review, from memory', () => {
  it('answers every real API server request with a well-formed review response', (t) => {
    if (vectorsMissing(t)) return;
    const snap = vectorSnapshot();
    for (const v of realVectors()) {
      const body = v.body as { apiVersion: string; request: { uid: string } };
      const { response, outcome } = reviewAdmission(v.body, snap, { now: NOW });
      assert.equal(response.apiVersion, body.apiVersion, v.name);
      assert.equal(response.kind, 'AdmissionReview');
      assert.equal(response.response.uid, body.request.uid, `${v.name}: uid echoed`);
      const bad = /bad/.test(JSON.stringify(outcome.images.map((i) => i.field.reference)));
      assert.equal(response.response.allowed, !bad, `${v.name}: allowed unless it runs a bad image`);
      if (!response.response.allowed) {
        assert.equal(response.response.status?.code, 403);
        assert.match(response.response.status!.message, /sensitive data: private key at \/etc\/ssl\/private\/ssl-cert-snakeoil\.key/);
      }
    }
  });

  it('names the image, its digest, the policy and the evidence, one line per failing image', (t) => {
    if (vectorsMissing(t)) return;
    const v = realVectors().find((x) => x.name.includes('014-'))!;
    const { response } = reviewAdmission(v.body, vectorSnapshot(), { now: NOW });
    const lines = response.response.status!.message.split('\n');
    assert.equal(lines.length, 1);
    // The reference as the user wrote it, then the digest judged.
    assert.match(
      lines[0]!,
      /^spec\.ephemeralContainers\[1\]\.image: image "bad-debug:1" \(sha256:[0-9a-f]{64}\) is non-compliant: baseline\/sensitive_data: sensitive data: private key at \/etc\/ssl\/private\/ssl-cert-snakeoil\.key \(runtime policy prod\)$/,
    );
  });

  it('marks dry runs and decides them like real ones', (t) => {
    if (vectorsMissing(t)) return;
    const v = realVectors().find((x) => x.name.includes('010-'))!;
    const { response, outcome } = reviewAdmission(v.body, vectorSnapshot(), { now: NOW });
    assert.equal(outcome.request.dryRun, true);
    assert.equal(response.response.allowed, false);
  });

  it('on UPDATE reviews only the images that changed', (t) => {
    if (vectorsMissing(t)) return;
    const of = (n: string) => imagesOf(parseAdmissionReview(realVectors().find((x) => x.name.includes(n))!.body)).map((f) => f.reference);
    assert.deepEqual(of('012-'), ['ghcr.io/example/shop:2.0.2']);
    assert.deepEqual(of('015-'), []);
    assert.deepEqual(of('014-'), ['bad-debug:1']);
  });

  it('answers DELETE without reading the object', (t) => {
    if (vectorsMissing(t)) return;
    for (const v of realVectors().filter((x) => x.name.includes('delete'))) {
      const { response } = reviewAdmission(v.body, memorySnapshot({ policies: [runtimePolicy('prod')] }));
      assert.equal(response.response.allowed, true);
    }
  });

  it('refuses the round-trip fixtures (placeholder operation and kind) with a clear error', (t) => {
    if (vectorsMissing(t)) return;
    for (const v of roundTripVectors()) {
      assert.throws(
        () => reviewAdmission(v.body, memorySnapshot()),
        (e: unknown) => e instanceof ReviewError && /request\.operation must be one of/.test(e.message),
        v.name,
      );
      // With a real operation, the unknown kind is what is refused.
      const fixed = structuredClone(v.body) as { request: { operation: string } };
      fixed.request.operation = 'CREATE';
      assert.throws(() => parseAdmissionReview(fixed), /kind groupValue\/kindValue is not reviewed by this webhook/);
    }
  });

  it('refuses gatekeeper malformed reviews with a message each', (t) => {
    if (vectorsMissing(t)) return;
    const vs = gatekeeperVectors();
    assert.ok(vs.length >= 9);
    for (const v of vs) {
      assert.throws(
        () => parseAdmissionReview(v.body),
        (e: unknown) => e instanceof ReviewError && e.statusCode === 400 && e.message.length > 10,
        v.name,
      );
    }
    const missing = vs.find((v) => v.name.includes('missing-ar'))!;
    assert.throws(() => parseAdmissionReview(missing.body), /request is missing/);
  });

  it('refuses bad envelopes', () => {
    const ok = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'u', operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Pod' }, object: { spec: {} } },
    };
    assert.doesNotThrow(() => parseAdmissionReview(ok));
    assert.throws(() => parseAdmissionReview([]), /JSON object/);
    assert.throws(() => parseAdmissionReview({ ...ok, kind: 'Pod' }), /kind must be AdmissionReview/);
    assert.throws(() => parseAdmissionReview({ ...ok, apiVersion: 'admission.k8s.io/v2' }), /apiVersion must be one of/);
    assert.throws(() => parseAdmissionReview({ ...ok, request: { ...ok.request, uid: '' } }), /uid is missing/);
    assert.throws(() => parseAdmissionReview({ ...ok, request: { ...ok.request, object: null } }), /request\.object is missing/);
    assert.throws(
      () => parseAdmissionReview({ ...ok, request: { ...ok.request, kind: { group: '', kind: 'Secret' } } }),
      /kind Secret is not reviewed/,
    );
  });

  describe('modes', () => {
    const body = (image: string, namespace = 'shop') => ({
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      request: {
        uid: 'uid-1',
        operation: 'CREATE',
        namespace,
        kind: { group: '', version: 'v1', kind: 'Pod' },
        object: { metadata: { labels: { 'assay.dev/pin-digests': 'true' } }, spec: { containers: [{ name: 'app', image }] } },
      },
    });
    const bad = digestFor('bad');
    const snap = (overrides: Record<string, unknown>) =>
      memorySnapshot({
        policies: [runtimePolicy('rp', overrides)],
        tags: new Map([[canonical('registry.local/team/app:v1'), bad]]),
        verdicts: new Map([
          [
            bad,
            verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'malware', message: 'malware: EICAR at /tmp/eicar.com' }]),
          ],
        ]),
      });

    it('enforce refuses, in the apiVersion asked (v1beta1)', () => {
      const { response } = reviewAdmission(body('registry.local/team/app:v1'), snap({}));
      assert.equal(response.apiVersion, 'admission.k8s.io/v1beta1');
      assert.equal(response.response.allowed, false);
      assert.equal(
        response.response.status!.message,
        `spec.containers[0].image: image "registry.local/team/app:v1" (${bad}) is non-compliant: baseline/malware: malware: EICAR at /tmp/eicar.com (runtime policy rp)`,
      );
    });

    it('warn allows with warnings', () => {
      const { response } = reviewAdmission(body('registry.local/team/app:v1'), snap({ enforcement: 'warn' }));
      assert.equal(response.response.allowed, true);
      assert.equal(response.response.status, undefined);
      // A warning names the runtime policy, as the denial it stands for does.
      assert.deepEqual(response.response.warnings, [
        `spec.containers[0].image: image "registry.local/team/app:v1" (${bad}) is non-compliant: baseline/malware: malware: EICAR at /tmp/eicar.com (runtime policy rp)`,
      ]);
    });

    it('audit allows silently but records what it would refuse', () => {
      const { response, outcome } = reviewAdmission(body('registry.local/team/app:v1'), snap({ enforcement: 'audit' }));
      assert.equal(response.response.allowed, true);
      assert.equal(response.response.warnings, undefined);
      assert.equal(outcome.mode, 'audit');
      assert.match(outcome.message, /audit only: .* is non-compliant/);
    });

    it('an unknown tag is unregistered, named with its tag', () => {
      const { response } = reviewAdmission(body('registry.local/team/other:v9'), snap({}));
      assert.equal(response.response.allowed, false);
      // As written with its tag, never a made-up digest.
      assert.equal(
        response.response.status!.message,
        'spec.containers[0].image: image "registry.local/team/other:v9" (digest unknown) is not registered (never scanned) (runtime policy rp)',
      );
    });

    it('an invalid reference is refused under enforce', () => {
      const { response } = reviewAdmission(body('UPPER/Case:x'), snap({}));
      assert.equal(response.response.allowed, false);
      assert.match(response.response.status!.message, /image reference "UPPER\/Case:x" is invalid/);
    });

    it('a break-glass exception lets the image in, named in the answer', () => {
      const s = snap({});
      s.state.exceptions.push({
        id: 'incident-42',
        scope: { registry: 'registry.local' },
        reason: 'outage',
        createdBy: 'oncall',
        createdAt: new Date(Date.now() - 60_000),
        expiresAt: new Date(Date.now() + 3_600_000),
        breakGlass: true,
      } as never);
      const { response, outcome } = reviewAdmission(body('registry.local/team/app:v1'), s);
      assert.equal(response.response.allowed, true);
      assert.equal(outcome.exceptionId, 'incident-42');
      assert.equal(response.response.auditAnnotations?.['assay.dev/exception'], 'incident-42');
    });

    it('two images let in by two break-glass exceptions: each image names its own, and the audit names both', () => {
      const other = digestFor('other-bad');
      const s = snap({});
      s.state.tags.set(canonical('registry.other/team/api:v2'), other);
      s.state.verdicts.set(
        other,
        verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'malware', message: 'malware: EICAR' }]),
      );
      const glass = (id: string, registry: string) =>
        ({
          id,
          scope: { registry },
          reason: 'outage',
          createdBy: 'oncall',
          createdAt: new Date(Date.now() - 60_000),
          expiresAt: new Date(Date.now() + 3_600_000),
          breakGlass: true,
        }) as never;
      s.state.exceptions.push(glass('incident-1', 'registry.local'), glass('incident-2', 'registry.other'));
      const review = body('registry.local/team/app:v1');
      review.request.object.spec.containers.push({ name: 'api', image: 'registry.other/team/api:v2' });
      const { response, outcome } = reviewAdmission(review, s);
      assert.equal(response.response.allowed, true);
      assert.deepEqual(
        outcome.images.map((i) => i.admittedBy),
        [
          { kind: 'break-glass', exceptionId: 'incident-1' },
          { kind: 'break-glass', exceptionId: 'incident-2' },
        ],
      );
      assert.deepEqual(outcome.exceptionIds, ['incident-1', 'incident-2']);
      assert.equal(response.response.auditAnnotations?.['assay.dev/exception'], 'incident-1,incident-2');
      const audit = auditEventOf(outcome, 'test');
      assert.equal(audit.event.case, 'admission');
      if (audit.event.case !== 'admission') return;
      assert.equal(audit.event.value.exceptionId, 'incident-1,incident-2');
      assert.deepEqual(audit.event.value.exceptionIds, ['incident-1', 'incident-2']);
      assert.deepEqual(
        audit.event.value.images.map((i) => i.exceptionId),
        ['incident-1', 'incident-2'],
      );
      const doc = toEcs(audit, { subject: 'assay.audit.admission', stream: 'ASSAY_AUDIT', streamSequence: 1, storedAt: new Date() }) as {
        assay: { admission: { exception_id: string[]; break_glass: boolean; images: Array<{ exception_id?: string }> } };
      };
      assert.deepEqual(doc.assay.admission.exception_id, ['incident-1', 'incident-2']);
      assert.equal(doc.assay.admission.break_glass, true);
      assert.deepEqual(
        doc.assay.admission.images.map((i) => i.exception_id),
        ['incident-1', 'incident-2'],
      );
      assert.match(
        audit.event.value.message,
        /^spec\.containers\[0\]\.image: allowed by break-glass exception incident-1 .*\nspec\.containers\[1\]\.image: allowed by break-glass exception incident-2 /,
      );
    });

    it('a namespace or image exemption is named per image and in the audit, not a plain "allowed"', () => {
      const ns = reviewAdmission(body('registry.local/team/app:v1', 'kube-system'), snap({ exemptions: { namespaces: ['kube-*'] } }));
      assert.equal(ns.response.response.allowed, true);
      assert.deepEqual(ns.outcome.images[0]!.admittedBy, {
        kind: 'exemption',
        runtimePolicy: 'rp',
        exemption: { kind: 'namespace', pattern: 'kube-*' },
      });
      assert.deepEqual(ns.outcome.exemptions, ['namespace exemption "kube-*" of runtime policy rp']);
      assert.equal(ns.outcome.exceptionId, '');
      assert.equal(ns.response.response.auditAnnotations?.['assay.dev/exemption'], 'namespace exemption "kube-*" of runtime policy rp');
      const audit = auditEventOf(ns.outcome, 'test');
      assert.ok(audit.event.case === 'admission');
      assert.equal(
        audit.event.value.message,
        'spec.containers[0].image: namespace kube-system is exempt (namespace exemption "kube-*" of runtime policy rp)',
      );
      assert.deepEqual(audit.event.value.exemptions, ['namespace exemption "kube-*" of runtime policy rp']);
      assert.deepEqual([audit.event.value.images[0]!.exemption, audit.event.value.images[0]!.exemptionPattern], ['namespace', 'kube-*']);
      const nsDoc = toEcs(audit, { subject: 'assay.audit.admission', stream: 'ASSAY_AUDIT', streamSequence: 2, storedAt: new Date() }) as {
        assay: {
          admission: { exemptions: string[]; break_glass: boolean; images: Array<{ exemption?: string; exemption_pattern?: string }> };
        };
      };
      assert.deepEqual(nsDoc.assay.admission.exemptions, ['namespace exemption "kube-*" of runtime policy rp']);
      assert.equal(nsDoc.assay.admission.break_glass, false);
      assert.deepEqual(
        [nsDoc.assay.admission.images[0]!.exemption, nsDoc.assay.admission.images[0]!.exemption_pattern],
        ['namespace', 'kube-*'],
      );

      const img = reviewAdmission(
        body('registry.local/team/app:v1'),
        snap({ exemptions: { namespaces: ['kube-*'], images: ['registry.local/team/*'] } }),
      );
      assert.equal(img.response.response.allowed, true);
      assert.deepEqual(img.outcome.images[0]!.admittedBy, {
        kind: 'exemption',
        runtimePolicy: 'rp',
        exemption: { kind: 'image', pattern: 'registry.local/team/*' },
      });
      assert.equal(
        img.outcome.message,
        `spec.containers[0].image: image "registry.local/team/app:v1" (${bad}) is exempt (image exemption "registry.local/team/*" of runtime policy rp)`,
      );

      // Neither exemption applies: judged as usual, nothing recorded as letting it in.
      const none = reviewAdmission(
        body('registry.local/team/app:v1'),
        snap({ exemptions: { namespaces: ['kube-*'], images: ['elsewhere/*'] } }),
      );
      assert.equal(none.response.response.allowed, false);
      assert.equal(none.outcome.images[0]!.admittedBy, undefined);
      assert.deepEqual(none.outcome.exemptions, []);
    });

    it('namespaces a policy does not cover are allowed (no policy: mode none)', () => {
      const { response, outcome } = reviewAdmission(
        body('registry.local/team/app:v1', 'kube-system'),
        snap({ scope: { namespaces: ['shop'] } }),
      );
      assert.equal(response.response.allowed, true);
      assert.equal(outcome.mode, 'none');
    });

    it("runtime policies scoped on labels match the workload's labels (object and pod template)", () => {
      const s = memorySnapshot({
        policies: [
          runtimePolicy('a-catch-all', { enforcement: 'audit' }),
          runtimePolicy('payments', { scope: { namespaces: ['*'], labels: { team: 'payments' } } }),
        ],
        tags: new Map([[canonical('registry.local/team/app:v1'), bad]]),
        verdicts: new Map([
          [
            bad,
            verdict(Compliance.NON_COMPLIANT, [{ policy: 'baseline', control: 'malware', message: 'malware: EICAR at /tmp/eicar.com' }]),
          ],
        ]),
      });
      const pod = (labels: Record<string, unknown> | undefined) => ({
        ...body('registry.local/team/app:v1'),
        request: {
          ...body('x').request,
          object: { metadata: labels ? { labels } : {}, spec: { containers: [{ name: 'app', image: 'registry.local/team/app:v1' }] } },
        },
      });
      const deployment = (own: Record<string, string>, template: Record<string, string>) => ({
        ...body('x'),
        request: {
          ...body('x').request,
          kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          object: {
            metadata: { labels: own },
            spec: {
              template: { metadata: { labels: template }, spec: { containers: [{ name: 'app', image: 'registry.local/team/app:v1' }] } },
            },
          },
        },
      });
      // A bare Pod labelled team=payments: the label-scoped policy is more specific and enforces.
      let r = reviewAdmission(pod({ team: 'payments' }), s);
      assert.equal(r.outcome.runtimePolicy, 'payments');
      assert.equal(r.response.response.allowed, false);
      // Another team, no labels, or a non-string label value: the catch-all (audit) governs.
      for (const labels of [{ team: 'search' }, undefined, { team: 7 }]) {
        r = reviewAdmission(pod(labels), s);
        assert.equal(r.outcome.runtimePolicy, 'a-catch-all', JSON.stringify(labels));
        assert.equal(r.response.response.allowed, true);
      }
      // A Deployment: its pod template's label counts, and wins over the object's own.
      r = reviewAdmission(deployment({ app: 'shop' }, { team: 'payments' }), s);
      assert.equal(r.outcome.runtimePolicy, 'payments');
      assert.equal(r.response.response.allowed, false);
      r = reviewAdmission(deployment({ team: 'payments' }, { team: 'search' }), s);
      assert.equal(r.outcome.runtimePolicy, 'a-catch-all');
      r = reviewAdmission(deployment({ team: 'payments' }, {}), s);
      assert.equal(r.outcome.runtimePolicy, 'payments', "the object's own labels count too");
    });

    it('pins tags to digests for /mutate, pod level only', () => {
      const s = snap({ enforcement: 'audit' });
      const req = parseAdmissionReview(body('registry.local/team/app:v1'));
      assert.equal(wantsPinning(req, false), true);
      const outcome = evaluateRequest(req, s);
      assert.deepEqual(pinDigestsPatch(outcome), [
        { op: 'replace', path: '/spec/containers/0/image', value: `registry.local/team/app:v1@${bad}` },
      ]);
      const unlabelled = parseAdmissionReview({
        ...body('x:1'),
        request: { ...body('x:1').request, object: { spec: { containers: [{ image: 'x:1' }] } } },
      });
      assert.equal(wantsPinning(unlabelled, false), false);
      assert.equal(wantsPinning(unlabelled, true), true);
    });
  });
});
