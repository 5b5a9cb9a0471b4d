// The policy forms' fields, with no server: a document shown as a form and submitted unchanged
// is the same document (every control, and the values a form cannot tell from "absent"); what a
// person types is read back or refused with an error on its field; the schema's errors land next
// to the field they are about.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  RuntimePolicySchema,
  validate,
  validateImagePolicy,
  ValidationError,
  type ImageAssurancePolicy,
  type RuntimePolicy,
} from '@assay/domain';
import {
  checkField,
  fieldErrorsFromIssues,
  KEPT_FIELD,
  POLICY_CONTROLS,
  POLICY_FIELDS,
  policyFromForm,
  policyToForm,
  RUNTIME_POLICY_FIELDS,
  runtimePolicyFromForm,
  runtimePolicyToForm,
  type FormValues,
} from '@assay/console';

const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Every control, every field set: validated as the store would, so the round trip starts from a stored form. */
const FULL: ImageAssurancePolicy = validateImagePolicy({
  name: 'Production baseline',
  description: 'What production images must satisfy.\nOwned by platform.\n',
  enabled: true,
  action: 'block',
  scope: {
    registries: ['registry.example.com', 'ghcr.io'],
    repositories: ['team-a/*'],
    labels: { 'org.opencontainers.image.vendor': 'acme*', team: 'a=b' },
  },
  controls: {
    vulnerabilities: {
      maxSeverity: 'medium',
      ignoreUnfixed: true,
      deny: ['CVE-2021-44228', 'GHSA-jfh8-c2jp-5v3q'],
      allow: ['CVE-2020-0001'],
      maxCvss: 8.5,
      allowList: [
        { id: 'CVE-2024-1', reason: 'not reachable: the parser is never called', expiresAt: '2026-06-01T00:00:00Z' },
        { id: 'CVE-2024-2', reason: 'vendor fix pending', expiresAt: '2026-07-01T12:30:00.000Z' },
        { id: 'CVE-2024-3', reason: 'forever' },
      ],
      gracePeriodDays: 14,
      vex: { signers: [{ name: 'vex key', key: PEM }], statuses: ['not_affected'] },
      vexDocuments: [{ file: 'vex/app.openvex.json' }, { url: 'https://vex.example.com/app.cdx.json' }],
    },
    sensitiveData: { block: true, ignoreRules: ['generic-api-key'], rules: ['private-key', 'aws-access-key'] },
    malware: { block: true },
    licences: { denied: ['GPL-3.0-only', 'AGPL-3.0-or-later'], allowed: ['MIT', 'Apache-2.0'] },
    baseImages: { allowed: ['docker.io/library/debian:*', 'gcr.io/distroless/*'] },
    packages: {
      denied: [
        { name: 'log4j-core', type: 'maven', versions: '>=2.0.0 <2.17.1' },
        { name: 'telnet' },
        { name: 'lodash', versions: '<4.17.21' },
      ],
      required: [{ name: 'ca-certificates', type: 'deb' }],
    },
    config: { forbidRootUser: true, requireHealthcheck: true, maxAgeDays: 90 },
    customChecks: [
      { id: 'sbom-present', required: true },
      { id: 'org.acme.lint', required: false },
    ],
    signatures: {
      signers: [
        { name: 'release key', key: PEM },
        { keyless: { identity: 'ci@example.com', issuer: 'https://token.actions.githubusercontent.com' } },
      ],
      required: 2,
      signedDigest: 'either',
      matchReference: false,
    },
    attestations: [
      {
        type: 'slsaprovenance',
        signers: [{ keyless: { identityRegexp: '^https://github.com/acme/', issuer: 'https://token.actions.githubusercontent.com' } }],
        builderIds: ['https://github.com/actions/runner'],
        sourceRepositories: ['https://github.com/acme/*'],
      },
    ],
    registries: { allowed: ['registry.example.com/*'] },
    kev: { block: true, ransomwareOnly: true },
    epss: { minScore: 0.1, minPercentile: 0.95 },
    osEndOfLife: { block: true, daysBefore: 30 },
  },
});

/** The values a form the server rendered would submit unchanged: the written values, as strings with browser line endings. */
function submitted(v: FormValues): FormValues {
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Array.isArray(x) ? x : x.replace(/\n/g, '\r\n')]));
}

function roundTrip(doc: ImageAssurancePolicy): ImageAssurancePolicy {
  const r = policyFromForm(submitted(policyToForm(doc)));
  assert.deepEqual([...r.errors], []);
  return r.document!;
}

describe('image assurance policy fields', () => {
  it('shows every control of a full policy and reads back the identical document', () => {
    const form = policyToForm(FULL);
    for (const c of POLICY_CONTROLS) assert.equal(form[checkField(c)], 'on', `${c} switched on`);
    assert.equal(form['controls.vulnerabilities.deny'], 'CVE-2021-44228\nGHSA-jfh8-c2jp-5v3q');
    assert.equal(form['controls.packages.denied'], 'log4j-core type=maven >=2.0.0 <2.17.1\ntelnet\nlodash <4.17.21');
    assert.equal(form['controls.customChecks'], 'sbom-present\norg.acme.lint optional');
    assert.equal(form['scope.labels'], 'org.opencontainers.image.vendor=acme*\nteam=a=b');
    assert.match(String(form['controls.signatures']), /required: 2/);
    assert.deepEqual(roundTrip(FULL), FULL);
    // Read back through the schema too: what the store would write is the same.
    assert.deepEqual(validateImagePolicy(roundTrip(FULL)), FULL);
  });

  it('keeps each control alone, and each control off', () => {
    for (const c of POLICY_CONTROLS) {
      const only = { ...FULL, controls: { [c]: FULL.controls[c] } } as ImageAssurancePolicy;
      assert.deepEqual(roundTrip(only), only, `${c} alone`);
      const { [c]: _gone, ...rest } = FULL.controls;
      const without = { ...FULL, controls: rest } as ImageAssurancePolicy;
      const back = roundTrip(without);
      assert.deepEqual(back, without, `${c} off`);
      assert.equal(c in back.controls, false);
    }
  });

  it('keeps what a form cannot tell from absent: empty lists and objects, false and empty text', () => {
    const sparse: ImageAssurancePolicy = {
      name: 'sparse',
      description: '',
      enabled: false,
      action: 'audit',
      scope: { registries: [], labels: {} },
      controls: {
        vulnerabilities: { maxSeverity: 'critical', ignoreUnfixed: false, deny: [], allowList: [] },
        sensitiveData: { block: false, rules: [] },
        malware: { block: false },
        licences: {},
        packages: { denied: [] },
        config: { forbidRootUser: false },
        customChecks: [],
      },
    };
    assert.deepEqual(roundTrip(sparse), sparse);
    assert.ok((policyToForm(sparse)[KEPT_FIELD] as string[]).includes('scope.registries'));
    const bare: ImageAssurancePolicy = { name: 'bare', enabled: true, action: 'block', controls: {} };
    assert.deepEqual(roundTrip(bare), bare);
    assert.equal(policyToForm(bare)[KEPT_FIELD], undefined, 'nothing to keep');
  });

  it('reads what a person changes: a switch off, a list emptied, a new line', () => {
    const form = policyToForm(FULL);
    delete form['controls.sensitiveData.block'];
    form['controls.licences.allowed'] = '';
    form['controls.vulnerabilities.deny'] += '\n  CVE-2025-1  \n\n';
    delete form[checkField('malware')];
    const doc = policyFromForm(form).document!;
    assert.equal(doc.controls.sensitiveData?.block, false);
    assert.deepEqual(doc.controls.licences, { denied: ['GPL-3.0-only', 'AGPL-3.0-or-later'] }, 'an emptied list is gone');
    assert.deepEqual(doc.controls.vulnerabilities?.deny, ['CVE-2021-44228', 'GHSA-jfh8-c2jp-5v3q', 'CVE-2025-1']);
    assert.equal(doc.controls.malware, undefined);
  });

  it('refuses what it cannot read, on the field it is in', () => {
    const form = policyToForm(FULL);
    form['controls.vulnerabilities.maxCvss'] = 'high';
    form['controls.signatures'] = 'signers: [';
    form['controls.packages.denied'] = 'ok\nbad type=';
    form['scope.labels'] = 'team';
    form['controls.customChecks'] = 'a b c';
    const r = policyFromForm(form);
    assert.equal(r.document, undefined);
    assert.match(r.errors.get('controls.vulnerabilities.maxCvss')!, /expected a number, got "high"/);
    assert.match(r.errors.get('controls.signatures')!, /^not valid YAML/);
    assert.match(r.errors.get('controls.packages.denied')!, /^line 2: type= needs a package type/);
    assert.match(r.errors.get('scope.labels')!, /^line 1: write key=value/);
    assert.match(r.errors.get('controls.customChecks')!, /^line 1: /);
    const emptied = policyToForm(FULL);
    emptied['controls.attestations'] = '  ';
    assert.match(policyFromForm(emptied).errors.get('controls.attestations')!, /write this control in YAML, or switch it off/);
  });

  it('puts the schema’s errors next to their fields', () => {
    const form = policyToForm(FULL);
    form['controls.vulnerabilities.maxCvss'] = '11';
    form['controls.packages.denied'] = `ok\n${'x'.repeat(301)}`;
    form['controls.signatures'] = 'signers: [{ key: nope }]';
    form.name = '';
    const doc = policyFromForm(form).document!;
    const err = (() => {
      try {
        validateImagePolicy(doc);
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    const errors = fieldErrorsFromIssues(err.issues, 'policy', POLICY_FIELDS);
    assert.match(errors.get('controls.vulnerabilities.maxCvss')!, /10/);
    assert.match(errors.get('controls.packages.denied')!, /^line 2 \(name\): longer than 300/);
    assert.match(errors.get('controls.signatures')!, /^signers\[0\]\.key: /);
    assert.match(errors.get('name')!, /must not be empty/);
    const other = fieldErrorsFromIssues([{ path: 'policy.controls.whatever', message: 'unknown' }], 'policy', POLICY_FIELDS);
    assert.equal(other.get('controls.whatever'), 'unknown', 'an issue under no field keeps its path');
  });
});

const RUNTIME: RuntimePolicy = validate(
  RuntimePolicySchema,
  {
    name: 'Production admission',
    description: 'Admission in prod namespaces.',
    enabled: true,
    enforcement: 'warn',
    scope: { namespaces: ['prod-*', 'payments'], clusters: ['eu-1'], labels: { tier: 'web', empty: '' }, namespaceLabels: { env: 'prod' } },
    imagePolicies: ['baseline', 'strict', 'gone-policy'],
    blockUnregistered: true,
    blockPending: true,
    blockNonCompliant: false,
    platforms: ['linux/amd64', 'linux/arm64/v8'],
    allowedRegistries: ['registry.example.com/*'],
    pending: { action: 'wait', waitMs: 5000 },
    grace: { days: 7 },
    exemptions: { namespaces: ['kube-system'], images: ['registry.k8s.io/*'] },
  },
  'runtimePolicy',
);

function runtimeRoundTrip(doc: RuntimePolicy): RuntimePolicy {
  const r = runtimePolicyFromForm(submitted(runtimePolicyToForm(doc)));
  assert.deepEqual([...r.errors], []);
  return r.document!;
}

describe('runtime policy fields', () => {
  it('reads back the identical document, every setting set', () => {
    assert.deepEqual(runtimeRoundTrip(RUNTIME), RUNTIME);
    assert.equal(runtimePolicyToForm(RUNTIME).platforms, 'linux/amd64\nlinux/arm64/v8');
  });

  it('keeps defaults as written: blockNonCompliant absent, true or false; empty exemptions', () => {
    const minimal: RuntimePolicy = {
      name: 'm',
      enabled: true,
      enforcement: 'enforce',
      scope: { namespaces: ['*'] },
      imagePolicies: [],
      blockUnregistered: false,
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    };
    assert.deepEqual(runtimeRoundTrip(minimal), minimal);
    assert.equal(runtimePolicyToForm(minimal).blockNonCompliant, 'on', 'shown as its default: on');
    for (const extra of [
      { blockNonCompliant: true },
      { blockNonCompliant: false },
      { blockPending: false },
      { exemptions: {} },
      { pending: { action: 'deny' } },
    ]) {
      const doc = { ...minimal, ...extra } as RuntimePolicy;
      assert.deepEqual(runtimeRoundTrip(doc), doc, JSON.stringify(extra));
    }
  });

  it('reads a switch turned off and the image policies in the order checked', () => {
    const form = runtimePolicyToForm({ ...RUNTIME, blockNonCompliant: undefined } as unknown as RuntimePolicy);
    delete form.blockNonCompliant;
    form.imagePolicies = ['strict', 'baseline'];
    const doc = runtimePolicyFromForm(form).document!;
    assert.equal(doc.blockNonCompliant, false);
    assert.deepEqual(doc.imagePolicies, ['strict', 'baseline']);
  });

  it('refuses unreadable platforms and a wait without an action', () => {
    const form = runtimePolicyToForm(RUNTIME);
    form.platforms = 'linux/amd64\nwindows';
    form['pending.action'] = '';
    const r = runtimePolicyFromForm(form);
    assert.match(r.errors.get('platforms')!, /^line 2: write os\/architecture/);
    assert.match(r.errors.get('pending.action')!, /choose an action/);
    const schema = validate.bind(null, RuntimePolicySchema);
    const bad = runtimePolicyFromForm({ ...runtimePolicyToForm(RUNTIME), 'scope.namespaces': '', 'grace.days': '0' }).document!;
    try {
      schema(bad, 'runtimePolicy');
      assert.fail('expected a ValidationError');
    } catch (e) {
      const errors = fieldErrorsFromIssues((e as ValidationError).issues, 'runtimePolicy', RUNTIME_POLICY_FIELDS);
      assert.ok(errors.has('scope.namespaces'), [...errors.keys()].join());
      assert.ok(errors.has('grace.days'), [...errors.keys()].join());
    }
  });
});
