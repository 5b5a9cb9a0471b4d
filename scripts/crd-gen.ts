// Generates the CustomResourceDefinitions of Assay's custom resources (ImageAssurancePolicy,
// RuntimePolicy, PolicyException under assay.dev/v1) from the domain's zod schemas, the ones the
// REST API validates with, so the cluster and the API cannot disagree on what a policy is.
//
//   node scripts/crd-gen.ts          writes deploy/k8s/base/crds.yaml and the Helm chart's crds/
//   node scripts/crd-gen.ts --check  exits 1 if either differs from what it would write
//
// test/deploy/crds.test.ts fails when they are stale. The spec schema is the document's input
// JSON schema made structural (scripts/crd-schema.ts); the status is what the policy service's
// controller writes: conditions Accepted / Invalid, the generation it judged, the counts of
// images compliant and not under it, and the version number it stored.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import {
  ASSAY_GROUP,
  ASSAY_VERSION,
  crdName,
  IMAGE_ASSURANCE_POLICY_RESOURCE,
  ImageAssurancePolicySchema,
  POLICY_EXCEPTION_RESOURCE,
  PolicyExceptionSchema,
  RUNTIME_POLICY_RESOURCE,
  RuntimePolicySchema,
  type AssayResource,
} from '@assay/domain';
import { inputJsonSchema, toStructural, type OpenApiSchema } from './crd-schema.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the CRDs are written: the kustomize base, and the Helm chart's crds/ (installed first, never templated). */
export const crdPaths = [
  resolve(repoRoot, 'deploy', 'k8s', 'base', 'crds.yaml'),
  resolve(repoRoot, 'deploy', 'helm', 'assay', 'crds', 'assay.dev_crds.yaml'),
] as const;

/** Fields of a stored exception the controller fills from the object's metadata, not its spec. */
export const EXCEPTION_METADATA_FIELDS = ['id', 'createdBy', 'createdAt'] as const;

const ACCEPTED = '.status.conditions[?(@.type=="Accepted")].status';
const column = (name: string, type: string, jsonPath: string, description?: string) => ({
  name,
  type,
  jsonPath,
  ...(description ? { description } : {}),
});
const AGE = column('Age', 'date', '.metadata.creationTimestamp');

interface KindSpec {
  resource: AssayResource;
  description: string;
  spec: () => OpenApiSchema;
  columns: ReturnType<typeof column>[];
}

/** The spec schema of a PolicyException: the exception without what the controller fills in. */
function exceptionSpec(): OpenApiSchema {
  const json = inputJsonSchema(PolicyExceptionSchema);
  const props = { ...(json['properties'] as Record<string, unknown>) };
  for (const f of EXCEPTION_METADATA_FIELDS) delete props[f];
  const required = (json['required'] as string[]).filter((r) => !(EXCEPTION_METADATA_FIELDS as readonly string[]).includes(r));
  return { ...json, properties: props, required };
}

const KINDS: readonly KindSpec[] = [
  {
    resource: IMAGE_ASSURANCE_POLICY_RESOURCE,
    description:
      'An image assurance policy: what an image must satisfy. The object name is the policy id; the policy service stores each change as a new version.',
    spec: () => inputJsonSchema(ImageAssurancePolicySchema),
    columns: [
      column('Action', 'string', '.spec.action'),
      column('Enabled', 'boolean', '.spec.enabled'),
      column('Accepted', 'string', ACCEPTED),
      column('Compliant', 'integer', '.status.images.compliant', 'Images judged compliant under this policy.'),
      column('Non-compliant', 'integer', '.status.images.nonCompliant', 'Images judged non-compliant under this policy.'),
      AGE,
    ],
  },
  {
    resource: RUNTIME_POLICY_RESOURCE,
    description:
      'A runtime policy: which namespaces admission checks, against which image assurance policies. The object name is the policy id.',
    spec: () => inputJsonSchema(RuntimePolicySchema),
    columns: [
      column('Enforcement', 'string', '.spec.enforcement'),
      column('Enabled', 'boolean', '.spec.enabled'),
      column('Accepted', 'string', ACCEPTED),
      AGE,
    ],
  },
  {
    resource: POLICY_EXCEPTION_RESOURCE,
    description:
      'A documented, expiring exception to image assurance policies. The id, author and creation time come from the object (namespace/name, its creator, creationTimestamp).',
    spec: exceptionSpec,
    columns: [
      // A string, not a date: kubectl shows a date column as an age, and an expiry is in the future.
      column('Expires', 'string', '.spec.expiresAt'),
      column('Break-glass', 'boolean', '.spec.breakGlass'),
      column('Accepted', 'string', ACCEPTED),
      AGE,
    ],
  },
];

/** metav1.Condition, as Kubernetes' own types declare it. */
const CONDITION: OpenApiSchema = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: {
      type: 'string',
      description: 'Accepted or Invalid.',
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
    message: { type: 'string', maxLength: 32768, description: 'For Invalid: the field and what is wrong with it.' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
  },
};

export const STATUS_SCHEMA: OpenApiSchema = {
  type: 'object',
  description: 'Written by the policy service.',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The metadata.generation last judged.' },
    conditions: {
      type: 'array',
      maxItems: 8,
      items: CONDITION,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    images: {
      type: 'object',
      description: 'Images judged under this object.',
      properties: {
        compliant: { type: 'integer', format: 'int64', minimum: 0 },
        nonCompliant: { type: 'integer', format: 'int64', minimum: 0 },
      },
    },
    storedVersion: { type: 'integer', format: 'int64', minimum: 1, description: 'The version number the policy service stored.' },
  },
};

/** One CRD, and the spec paths left to the policy service (x-kubernetes-preserve-unknown-fields). */
export function crdFor(k: KindSpec): { crd: Record<string, unknown>; loose: string[] } {
  const { schema: spec, loose } = toStructural(k.spec(), '.spec');
  const r = k.resource;
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(r), labels: { 'app.kubernetes.io/part-of': 'assay' } },
    spec: {
      group: ASSAY_GROUP,
      names: {
        kind: r.kind,
        listKind: `${r.kind}List`,
        plural: r.plural,
        singular: r.singular,
        shortNames: [...r.shortNames],
        categories: ['assay'],
      },
      scope: r.scope,
      versions: [
        {
          name: ASSAY_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: k.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: k.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: spec,
                status: STATUS_SCHEMA,
              },
            },
          },
        },
      ],
    },
  };
  return { crd, loose };
}

/** The three CRDs, in ASSAY_RESOURCES order. */
export function assayCrds(): { crd: Record<string, unknown>; loose: string[] }[] {
  return KINDS.map(crdFor);
}

/** The file both destinations hold. */
export function renderCrds(): string {
  const header = [
    '# CustomResourceDefinitions of assay.dev/v1, generated from the domain schemas by scripts/crd-gen.ts.',
    '# Do not edit: run `node scripts/crd-gen.ts` (Node 24) and commit the result.',
  ].join('\n');
  return `${header}\n${assayCrds()
    .map(({ crd }) => stringify(crd, { lineWidth: 0 }))
    .join('---\n')}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = renderCrds();
  const check = process.argv.includes('--check');
  let stale = false;
  for (const path of crdPaths) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    if (check) {
      stale = true;
      console.error(`${relative(repoRoot, path)} is stale: run node scripts/crd-gen.ts`);
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${relative(repoRoot, path)}`);
    }
  }
  if (stale) process.exitCode = 1;
}
