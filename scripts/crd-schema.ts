// Structural OpenAPI v3 schemas for CustomResourceDefinitions, from the domain's zod schemas: the
// same JSON schemas the REST API publishes (z.toJSONSchema, io 'input'), rewritten into what the
// Kubernetes API server accepts. A CRD's schema must be structural: every node typed (or marked
// x-kubernetes-preserve-unknown-fields), no $ref, no `properties` beside `additionalProperties`,
// and only the OpenAPI v3 keywords apiextensions.k8s.io/v1 knows (an unknown one is refused).
//
// What the rewrite changes, and why:
// - dates (zod's `timestamp`: a Date, or an ISO-8601 string turned into one) become
//   `type: string, format: date-time`, what a YAML manifest can hold;
// - a node whose input zod cannot describe (a preprocess that takes more than its output, such as
//   a platform written `linux/amd64` or `{os, architecture}`), and any union, becomes
//   `x-kubernetes-preserve-unknown-fields: true` with a description saying so: the API server
//   accepts any value there and the policy service validates it with the zod schema;
// - `additionalProperties: false` is dropped (a structural schema prunes unknown fields, and
//   kubectl's strict field validation reports them), `propertyNames` is dropped (no such keyword in
//   a CRD: map keys are checked by the policy service);
// - refinements (exactly one of key or keyless, N of M signers…) have no JSON schema: the policy
//   service's validation names them (the custom resource's `Invalid` condition).
import { z } from '@assay/config';

export type OpenApiSchema = { [key: string]: unknown };

/** Keywords of JSONSchemaProps (apiextensions.k8s.io/v1) this rewrite emits or keeps. */
const KEPT = new Set([
  'type',
  'format',
  'description',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
  'properties',
  'items',
  'additionalProperties',
  'default',
  'nullable',
]);
/** JSON Schema keywords dropped on purpose (see the header). */
const DROPPED = new Set(['$schema', 'propertyNames']);

export const LOOSE_DESCRIPTION = 'Any value here is accepted by the API server; the policy service validates it.';

export interface StructuralResult {
  schema: OpenApiSchema;
  /** Paths (`.spec.platforms[]`) of nodes left as x-kubernetes-preserve-unknown-fields. */
  loose: string[];
}

/** A zod preprocess (`z.preprocess(fn, out)`): a pipe from a transform into `out`. */
function preprocessOutput(s: z.core.$ZodType): z.core.$ZodType | undefined {
  const def = s._zod.def as { type: string; in?: z.core.$ZodType; out?: z.core.$ZodType };
  if (def.type !== 'pipe' || !def.in || !def.out) return undefined;
  return (def.in._zod.def as { type: string }).type === 'transform' ? def.out : undefined;
}

const replace = (target: Record<string, unknown>, value: Record<string, unknown>) => {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, value);
};

/** The zod schema's input JSON schema, dates and preprocessed inputs marked for the rewrite. */
export function inputJsonSchema(schema: z.core.$ZodType): OpenApiSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const js = jsonSchema as Record<string, unknown>;
      const type = (zodSchema._zod.def as { type: string }).type;
      if (type === 'date') return replace(js, { type: 'string', format: 'date-time' });
      const out = preprocessOutput(zodSchema);
      if (!out) return;
      // A timestamp: what goes in is an ISO-8601 string (YAML has no other date).
      if ((out._zod.def as { type: string }).type === 'date') return replace(js, { type: 'string', format: 'date-time' });
      // Anything else a preprocess accepts is not described by its output's schema.
      replace(js, { 'x-kubernetes-preserve-unknown-fields': true, description: LOOSE_DESCRIPTION });
    },
  }) as OpenApiSchema;
}

/**
 * Rewrites a JSON schema (draft 2020-12, as z.toJSONSchema writes it) into a structural OpenAPI
 * v3 schema; throws naming the path for anything it does not know how to carry over.
 */
export function toStructural(json: OpenApiSchema, root = ''): StructuralResult {
  const defs = (json['$defs'] ?? {}) as Record<string, OpenApiSchema>;
  const loose: string[] = [];

  const resolve = (node: OpenApiSchema, at: string, seen: readonly string[]): OpenApiSchema => {
    const ref = node['$ref'];
    if (typeof ref !== 'string') return node;
    const m = /^#\/\$defs\/(.+)$/.exec(ref);
    if (!m || !defs[m[1]!]) throw new Error(`${at}: unresolvable $ref ${ref}`);
    // A CRD schema cannot refer to itself: a recursive zod schema has no structural form.
    if (seen.includes(ref)) throw new Error(`${at}: recursive $ref ${ref} (a CRD schema cannot be recursive)`);
    const { $ref: _r, ...rest } = node;
    return { ...resolve(defs[m[1]!]!, at, [...seen, ref]), ...rest };
  };

  const markLoose = (at: string, why = LOOSE_DESCRIPTION): OpenApiSchema => {
    loose.push(at);
    return { 'x-kubernetes-preserve-unknown-fields': true, description: why };
  };

  const walk = (raw: OpenApiSchema, at: string, seen: readonly string[]): OpenApiSchema => {
    const node = resolve(raw, at, seen);
    if (node['x-kubernetes-preserve-unknown-fields'] === true && node['type'] === undefined) return markLoose(at);
    if (node['anyOf'] !== undefined || node['oneOf'] !== undefined) {
      // A union of types is not structural (no `type` may sit inside anyOf/oneOf).
      return markLoose(at, `${LOOSE_DESCRIPTION} (one of several shapes)`);
    }
    if (node['const'] !== undefined) return walk({ ...withoutKey(node, 'const'), enum: [node['const']] }, at, seen);
    const out: OpenApiSchema = {};
    for (const [k, v] of Object.entries(node)) {
      if (DROPPED.has(k) || k === '$defs') continue;
      if (k.startsWith('x-kubernetes-')) {
        out[k] = v;
        continue;
      }
      if (!KEPT.has(k)) throw new Error(`${at || '.'}: the JSON schema keyword ${k} has no structural form`);
      if (k === 'properties') {
        const props: Record<string, OpenApiSchema> = {};
        for (const [name, p] of Object.entries(v as Record<string, OpenApiSchema>)) props[name] = walk(p, `${at}.${name}`, seen);
        out[k] = props;
      } else if (k === 'items') {
        if (Array.isArray(v)) throw new Error(`${at}: tuple items have no structural form`);
        out[k] = walk(v as OpenApiSchema, `${at}[]`, seen);
      } else if (k === 'additionalProperties') {
        if (v === false) continue; // pruning does it
        if (v === true) out['x-kubernetes-preserve-unknown-fields'] = true;
        else out[k] = walk(v as OpenApiSchema, `${at}.*`, seen);
      } else {
        out[k] = v;
      }
    }
    if (out['properties'] !== undefined && out['additionalProperties'] !== undefined) {
      throw new Error(`${at}: properties and additionalProperties at once are not structural`);
    }
    if (out['type'] === undefined) {
      // `{}`: zod could not describe the input (an unrepresentable type).
      if (Object.keys(out).length === 0) return markLoose(at);
      throw new Error(`${at || '.'}: no type`);
    }
    if (Array.isArray(out['type'])) throw new Error(`${at}: a list of types is not structural`);
    return out;
  };

  return { schema: walk(json, root, []), loose };
}

function withoutKey(o: OpenApiSchema, key: string): OpenApiSchema {
  const { [key]: _drop, ...rest } = o;
  return rest;
}

/** A zod schema as a structural OpenAPI v3 schema (see toStructural). */
export function structuralSchema(schema: z.core.$ZodType, root = ''): StructuralResult {
  return toStructural(inputJsonSchema(schema), root);
}

/**
 * The problems that make a CRD schema non-structural or unknown to the API server, by path; empty
 * when it is fine. An independent walk over the finished schema (the tests run it on what is
 * checked in), not a re-run of the rewrite.
 */
export function structuralProblems(schema: OpenApiSchema, at = ''): string[] {
  const p: string[] = [];
  const where = at || '.';
  for (const k of Object.keys(schema)) {
    if (!KEPT.has(k) && !k.startsWith('x-kubernetes-') && !['anyOf', 'oneOf', 'allOf', 'not'].includes(k))
      p.push(`${where}: unknown keyword ${k}`);
  }
  for (const k of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not']) if (schema[k] !== undefined) p.push(`${where}: ${k}`);
  const typed =
    typeof schema['type'] === 'string' ||
    schema['x-kubernetes-preserve-unknown-fields'] === true ||
    schema['x-kubernetes-int-or-string'] === true;
  if (!typed) p.push(`${where}: no type`);
  if (schema['properties'] !== undefined && schema['additionalProperties'] !== undefined)
    p.push(`${where}: properties and additionalProperties at once`);
  if (typeof schema['additionalProperties'] === 'boolean') p.push(`${where}: additionalProperties must be a schema`);
  // nullable means "null is accepted as well as the type": meaningless without a type.
  if (schema['nullable'] === true && typeof schema['type'] !== 'string') p.push(`${where}: nullable without a type`);
  if (schema['nullable'] !== undefined && typeof schema['nullable'] !== 'boolean') p.push(`${where}: nullable is not a boolean`);
  const props = schema['properties'] as Record<string, OpenApiSchema> | undefined;
  if (props !== undefined) {
    if (schema['type'] !== 'object') p.push(`${where}: properties on a ${String(schema['type'])}`);
    for (const [name, s] of Object.entries(props)) p.push(...structuralProblems(s, `${at}.${name}`));
  }
  const required = schema['required'];
  if (Array.isArray(required)) for (const r of required) if (!props?.[r]) p.push(`${where}: required ${r} is not a property`);
  if (schema['items'] !== undefined) {
    if (schema['type'] !== 'array') p.push(`${where}: items on a ${String(schema['type'])}`);
    p.push(...structuralProblems(schema['items'] as OpenApiSchema, `${at}[]`));
  } else if (schema['type'] === 'array') p.push(`${where}: an array without items`);
  if (schema['additionalProperties'] !== undefined && typeof schema['additionalProperties'] === 'object')
    p.push(...structuralProblems(schema['additionalProperties'] as OpenApiSchema, `${at}.*`));
  return p;
}
