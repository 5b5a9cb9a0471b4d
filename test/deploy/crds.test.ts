// Assay's CustomResourceDefinitions (deploy/k8s/base/crds.yaml and the Helm chart's crds/), which
// scripts/crd-gen.ts generates from the domain's zod schemas: the checked-in files are current,
// each schema is structural (what the API server requires of a CRD), the CRDs are valid
// apiextensions.k8s.io/v1 objects, and what the API server would accept or refuse under them
// agrees with what the policy service's own validation says.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import {
  ASSAY_GROUP,
  ASSAY_RESOURCES,
  ASSAY_VERSION,
  crdName,
  PolicyExceptionSchema,
  RuntimePolicySchema,
  validateImagePolicy,
} from '@assay/domain';
import { crdPaths, renderCrds, repoRoot } from '../../scripts/crd-gen.ts';
import { structuralProblems, structuralSchema, type OpenApiSchema } from '../../scripts/crd-schema.ts';
import { validateObjects } from './k8s-checks.ts';
import type { K8sObject } from './kustomize-render.ts';

interface Crd extends K8sObject {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; shortNames: string[] };
    versions: {
      name: string;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: { name: string; type: string; jsonPath: string }[];
      schema: { openAPIV3Schema: OpenApiSchema };
    }[];
  };
}

const checkedIn = (path: string): Crd[] =>
  parseAllDocuments(readFileSync(path, 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${relative(repoRoot, path)} parses`);
    return d.toJS() as Crd;
  });
const crds = checkedIn(crdPaths[0]);
const byKind = (kind: string) => crds.find((c) => c.spec.names.kind === kind)!;
const rootSchema = (kind: string) => byKind(kind).spec.versions[0]!.schema.openAPIV3Schema;
type Props = Record<string, OpenApiSchema>;
const propsOf = (s: OpenApiSchema) => (s['properties'] ?? {}) as Props;

test('the checked-in CRDs are what scripts/crd-gen.ts writes from the domain schemas', () => {
  const expected = renderCrds();
  for (const path of crdPaths) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      assert.fail(`${relative(repoRoot, path)} is missing: run node scripts/crd-gen.ts`);
    }
    assert.ok(
      current === expected,
      `${relative(repoRoot, path)} is stale (the domain schemas changed): run node scripts/crd-gen.ts (Node 24) and commit the result`,
    );
  }
});

test('one CRD per resource of resources.ts: names, group, version, scope, status subresource', () => {
  assert.deepEqual(
    crds.map((c) => c.metadata.name),
    ASSAY_RESOURCES.map(crdName),
  );
  for (const r of ASSAY_RESOURCES) {
    const c = byKind(r.kind);
    assert.equal(c.metadata.name, `${r.plural}.${ASSAY_GROUP}`);
    assert.equal(c.spec.group, ASSAY_GROUP);
    assert.equal(c.spec.scope, r.scope);
    assert.deepEqual(
      { plural: c.spec.names.plural, singular: c.spec.names.singular, shortNames: c.spec.names.shortNames },
      { plural: r.plural, singular: r.singular, shortNames: [...r.shortNames] },
    );
    assert.equal(c.spec.versions.length, 1);
    assert.equal(c.spec.versions[0]!.name, ASSAY_VERSION);
    assert.deepEqual(c.spec.versions[0]!.subresources, { status: {} });
  }
  assert.equal(byKind('PolicyException').spec.scope, 'Namespaced');
  assert.equal(byKind('ImageAssurancePolicy').spec.scope, 'Cluster');
});

test('every CRD schema is structural; only the platforms of a runtime policy are left to the policy service', () => {
  for (const c of crds) assert.deepEqual(structuralProblems(rootSchema(c.spec.names.kind)), [], c.metadata.name);
  // What is x-kubernetes-preserve-unknown-fields, by path: a platform is `linux/amd64` or an
  // object (a zod preprocess), a union no structural schema can type.
  assert.deepEqual(structuralSchema(RuntimePolicySchema, '.spec').loose, ['.spec.platforms[]']);
  const platforms = propsOf(propsOf(rootSchema('RuntimePolicy'))['spec']!)['platforms']!;
  assert.equal((platforms['items'] as OpenApiSchema)['x-kubernetes-preserve-unknown-fields'], true);
  assert.match(String((platforms['items'] as OpenApiSchema)['description']), /policy service validates/);
});

test('structuralProblems notices $ref, an untyped node, properties beside additionalProperties, nullable without a type', () => {
  const bad: OpenApiSchema = {
    type: 'object',
    properties: {
      a: { $ref: '#/$defs/x' },
      b: {},
      c: { type: 'object', properties: { d: { type: 'string' } }, additionalProperties: { type: 'string' } },
      e: { nullable: true, 'x-kubernetes-preserve-unknown-fields': true },
      f: { type: 'array' },
      g: { type: 'string', propertyNames: { maxLength: 3 } },
    },
    required: ['a', 'z'],
  };
  const p = structuralProblems(bad);
  for (const expected of [
    '.a: $ref',
    '.a: no type',
    '.b: no type',
    '.c: properties and additionalProperties at once',
    '.e: nullable without a type',
    '.f: an array without items',
    '.g: unknown keyword propertyNames',
    '.: required z is not a property',
  ])
    assert.ok(p.includes(expected), `${expected} in ${JSON.stringify(p)}`);
});

test('dates are date-time strings; a PolicyException spec has no id, createdBy or createdAt (they come from the object)', () => {
  const ex = propsOf(rootSchema('PolicyException'))['spec']!;
  assert.deepEqual(propsOf(ex)['expiresAt'], { type: 'string', format: 'date-time' });
  for (const f of ['id', 'createdBy', 'createdAt']) {
    assert.equal(propsOf(ex)[f], undefined, `no spec.${f}`);
    assert.ok(!(ex['required'] as string[]).includes(f), `${f} not required`);
  }
  assert.deepEqual([...(ex['required'] as string[])].sort(), ['expiresAt', 'reason', 'scope']);
  const status = propsOf(rootSchema('PolicyException'))['status']!;
  assert.deepEqual(Object.keys(propsOf(status)).sort(), ['conditions', 'images', 'observedGeneration', 'storedVersion']);
  const condition = (propsOf(status)['conditions']!['items'] as OpenApiSchema)['properties'] as Props;
  assert.deepEqual(Object.keys(condition).sort(), ['lastTransitionTime', 'message', 'observedGeneration', 'reason', 'status', 'type']);
});

test('printer columns, each pointing at a field the schema has', () => {
  const names = (kind: string) => byKind(kind).spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
  assert.deepEqual(names('ImageAssurancePolicy'), ['Action', 'Enabled', 'Accepted', 'Compliant', 'Non-compliant', 'Age']);
  assert.deepEqual(names('RuntimePolicy'), ['Enforcement', 'Enabled', 'Accepted', 'Age']);
  assert.deepEqual(names('PolicyException'), ['Expires', 'Break-glass', 'Accepted', 'Age']);
  for (const c of crds) {
    const root = rootSchema(c.spec.names.kind);
    for (const col of c.spec.versions[0]!.additionalPrinterColumns) {
      if (col.jsonPath.startsWith('.metadata.')) continue;
      // `.status.conditions[?(@.type=="Accepted")].status` → status, conditions, status.
      const steps = col.jsonPath
        .replace(/\[\?\(.*?\)\]/g, '[]')
        .split('.')
        .filter(Boolean);
      let node: OpenApiSchema | undefined = root;
      for (const step of steps) {
        const name = step.replace(/\[\]$/, '');
        node = propsOf(node!)[name];
        assert.ok(node, `${c.spec.names.kind} column ${col.name}: ${col.jsonPath} (no ${name})`);
        if (step.endsWith('[]')) node = node['items'] as OpenApiSchema;
      }
    }
  }
});

test('the CRDs are valid apiextensions.k8s.io/v1 objects (kubernetes-models)', () => {
  const res = validateObjects(crds);
  assert.deepEqual(res.problems, []);
  assert.equal(res.validated, 3);
  // The same check notices a broken CRD.
  const broken = structuredClone(crds[0]!);
  (propsOf(propsOf(broken.spec.versions[0]!.schema.openAPIV3Schema)['spec']!)['name'] as OpenApiSchema)['maxLength'] = 'long';
  assert.match(validateObjects([broken]).problems.join('\n'), /name\/maxLength/);
});

describe('what the API server accepts under the CRD schemas agrees with the domain schemas', () => {
  // Ajv as the API server's validator: the OpenAPI formats the CRDs use, and the x-kubernetes-*
  // extensions as annotations (pruning is the API server's; here unknown fields are not at issue).
  const ajv = new Ajv({ allErrors: true });
  ajv.addVocabulary(['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys']);
  ajv.addFormat(
    'date-time',
    (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)),
  );
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  const validator = (kind: string) => ajv.compile(rootSchema(kind));
  const object = (kind: string, spec: unknown) => ({ apiVersion: `${ASSAY_GROUP}/${ASSAY_VERSION}`, kind, metadata: { name: 'x' }, spec });
  const errorsOf = (kind: string, spec: unknown): string[] => {
    const v = validator(kind);
    return v(object(kind, spec)) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  };

  const policy = {
    name: 'Production',
    enabled: true,
    action: 'block',
    scope: { registries: ['registry.example.com'], labels: { 'org.opencontainers.image.vendor': 'acme*' } },
    controls: {
      vulnerabilities: {
        maxSeverity: 'high',
        allowList: [{ id: 'CVE-2024-0001', reason: 'not reachable', expiresAt: '2027-01-01T00:00:00Z' }],
      },
      malware: { block: true },
    },
  };

  test('a valid ImageAssurancePolicy passes both', () => {
    assert.deepEqual(errorsOf('ImageAssurancePolicy', policy), []);
    assert.doesNotThrow(() => validateImagePolicy(policy));
  });

  test('a bad enum and a missing required field are refused, naming the field', () => {
    const badEnum = errorsOf('ImageAssurancePolicy', { ...policy, action: 'deny' });
    assert.ok(
      badEnum.some((e) => e.startsWith('/spec/action ') && /allowed values/.test(e)),
      JSON.stringify(badEnum),
    );
    const { enabled: _e, ...noEnabled } = policy;
    const missing = errorsOf('ImageAssurancePolicy', noEnabled);
    assert.ok(
      missing.some((e) => e.startsWith('/spec ') && e.includes("'enabled'")),
      JSON.stringify(missing),
    );
    const deep = errorsOf('ImageAssurancePolicy', { ...policy, controls: { vulnerabilities: { maxSeverity: 'severe' } } });
    assert.ok(
      deep.some((e) => e.startsWith('/spec/controls/vulnerabilities/maxSeverity ')),
      JSON.stringify(deep),
    );
    const date = errorsOf('ImageAssurancePolicy', {
      ...policy,
      controls: { vulnerabilities: { maxSeverity: 'high', allowList: [{ id: 'CVE-1', reason: 'r', expiresAt: 'next year' }] } },
    });
    assert.ok(
      date.some((e) => e.startsWith('/spec/controls/vulnerabilities/allowList/0/expiresAt ')),
      JSON.stringify(date),
    );
    assert.throws(() => validateImagePolicy({ ...policy, action: 'deny' }), /action/);
    // No spec at all: refused.
    assert.ok(!validator('ImageAssurancePolicy')({ apiVersion: 'assay.dev/v1', kind: 'ImageAssurancePolicy', metadata: { name: 'x' } }));
  });

  test('a RuntimePolicy with platforms in both notations passes both; a bad identifier is refused', () => {
    const rtp = {
      name: 'all',
      enabled: true,
      enforcement: 'enforce',
      scope: { namespaces: ['*'] },
      imagePolicies: ['production'],
      blockUnregistered: false,
      platforms: ['linux/amd64', { os: 'linux', architecture: 'arm64' }],
    };
    assert.deepEqual(errorsOf('RuntimePolicy', rtp), []);
    assert.doesNotThrow(() => RuntimePolicySchema.parse(rtp));
    const bad = errorsOf('RuntimePolicy', { ...rtp, imagePolicies: ['-bad id'] });
    assert.ok(
      bad.some((e) => e.startsWith('/spec/imagePolicies/0 ') && /pattern/.test(e)),
      JSON.stringify(bad),
    );
    const empty = errorsOf('RuntimePolicy', { ...rtp, platforms: [] });
    assert.ok(
      empty.some((e) => e.startsWith('/spec/platforms ')),
      JSON.stringify(empty),
    );
  });

  test('a PolicyException spec plus the fields the controller fills is a valid exception; a bad control is refused', () => {
    const spec = {
      scope: { control: 'vulnerabilities', items: ['CVE-2024-0001'] },
      reason: 'fix in 2.1',
      expiresAt: '2027-01-01T00:00:00Z',
    };
    assert.deepEqual(errorsOf('PolicyException', spec), []);
    assert.doesNotThrow(() =>
      PolicyExceptionSchema.parse({ ...spec, id: 'team-a.cve', createdBy: 'alice', createdAt: '2026-12-01T00:00:00Z' }),
    );
    const bad = errorsOf('PolicyException', { ...spec, scope: { control: 'everything' } });
    assert.ok(
      bad.some((e) => e.startsWith('/spec/scope/control ')),
      JSON.stringify(bad),
    );
    const noReason = errorsOf('PolicyException', { scope: spec.scope, expiresAt: spec.expiresAt });
    assert.ok(
      noReason.some((e) => e.includes("'reason'")),
      JSON.stringify(noReason),
    );
  });

  test('status: conditions are metav1.Conditions, counts are integers', () => {
    const v = validator('ImageAssurancePolicy');
    const status = {
      observedGeneration: 2,
      storedVersion: 3,
      images: { compliant: 10, nonCompliant: 1 },
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Stored', message: 'stored as version 3', lastTransitionTime: '2026-12-06T15:00:00Z' },
      ],
    };
    assert.ok(v({ ...object('ImageAssurancePolicy', policy), status }), JSON.stringify(v.errors));
    assert.ok(!v({ ...object('ImageAssurancePolicy', policy), status: { ...status, images: { compliant: 1.5 } } }));
    assert.ok(!v({ ...object('ImageAssurancePolicy', policy), status: { ...status, conditions: [{ type: 'Accepted', status: 'Yes' }] } }));
  });
});
