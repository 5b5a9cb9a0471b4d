// REST API (one fastify plugin: its own auth hook, error handler and YAML parser):
//   /api/v1/policies, /api/v1/runtime-policies    list, create, get, replace, delete, versions, diff
//   /api/v1/exceptions                            list, create, get, replace, delete, versions, diff
//   GET /api/v1/verdicts/:digest                  the current verdict of a digest (JSON form)
//   POST /api/v1/evaluate                         dry run: a stored or uploaded report, draft policies
//   GET /api/v1/export, POST /api/v1/import       YAML multi-document
//   GET /openapi.json                             OpenAPI 3.1 from the route schemas
// Every /api route needs `Authorization: Bearer <token>` (POLICY_API_TOKEN or a line of
// POLICY_API_TOKENS_FILE; 401 otherwise), and changes are recorded under its user. Documents
// are validated by the store, whose errors name the field (400); a stale version is 409.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { z } from '@assay/config';
import {
  CONTROLS,
  ImageAssurancePolicySchema,
  PolicyExceptionSchema,
  RuntimePolicySchema,
  validateImagePolicy,
  validateScanReport,
  ValidationError,
  type ImageAssurancePolicy,
  type RuntimePolicy,
  type ScanReport,
  type VersionedRecord,
} from '@assay/domain';
import { ConflictError, NotFoundError, type VersionedRepository } from '@assay/store';
import type { Logger } from '@assay/telemetry';
import { toJson } from '@bufbuild/protobuf';
import { ChangeType, VerdictSchema } from '@assay/proto';
import type { ChangeResult, PolicyChanges } from './changes.ts';
import { jsonDiff } from './diff.ts';
import type { PolicyEngine } from './engine.ts';
import type { IndexVerdicts } from './index-verdicts.ts';
import { applicablePolicies, evaluateImage, type PolicyRef } from './evaluate.ts';
import type { ApiTokens } from './api-tokens.ts';
import { OpenApiCollector } from './openapi.ts';
import { exportDocuments, parseYamlDocuments, toYaml } from './yaml-io.ts';
import { ImportConflictError, importDocuments } from './yaml-import.ts';

export interface PolicyApi {
  engine: PolicyEngine;
  changes: PolicyChanges;
  /** Aggregate verdicts of image indexes (absent in a library use without the bus). */
  indexes?: IndexVerdicts;
}

export interface PolicyRoutesOptions {
  api: () => PolicyApi | undefined;
  /** The callers' tokens, each with the name its changes are recorded as. */
  tokens: ApiTokens;
  logger: Logger;
  clock?: () => Date;
}

// ── schemas ───────────────────────────────────────────────────────────────────────────
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const versionParams = {
  type: 'object',
  required: ['id', 'v'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 }, v: { type: 'integer', minimum: 1 } },
} as const;
const diffQuery = {
  type: 'object',
  required: ['from', 'to'],
  properties: { from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 } },
} as const;
const pageQuery = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, after: { type: 'string' } },
} as const;
const ifMatchHeaders = { type: 'object', properties: { 'if-match': { type: 'string' } } } as const;
const error = { type: 'object', properties: { error: { type: 'string' }, issues: { type: 'array' }, actualVersion: { type: 'integer' } } } as const;
/** Route schemas carry OpenAPI keys (summary, tags…) fastify passes through. */
const doc = (s: Record<string, unknown>) => s as FastifySchema;
const errors = { 400: error, 401: error, 404: error, 409: error, 428: error, 503: error } as const;
/** Documents are validated by the store (errors name the field); the JSON schema only checks the shape. */
const anyObject = { type: 'object', additionalProperties: true } as const;
const record = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    document: { type: ['object', 'null'], additionalProperties: true },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    deleted: { type: 'boolean' },
  },
} as const;
const recordList = { type: 'object', properties: { items: { type: 'array', items: record }, next: { type: 'string' } } } as const;
const writeBody = {
  type: 'object',
  required: ['document'],
  properties: { id: { type: 'string' }, document: anyObject, expectedVersion: { type: 'integer', minimum: 0 } },
} as const;
// Exceptions, mirroring the domain's PolicyExceptionSchema (packages/domain/src/exceptions.ts). The
// store still validates every write (its errors name the field); these give the shape. Bodies leave
// unknown fields to the store to refuse by name (no additionalProperties: false, which fastify's
// validator would strip silently); responses keep any field they do not declare.
const exceptionScopeProperties = {
  policyId: { type: 'string', description: 'The image assurance policy it applies to; every policy when absent' },
  control: { type: 'string', enum: [...CONTROLS] },
  registry: { type: 'string', description: 'Registry glob' },
  repository: { type: 'string', description: 'Repository glob within registry' },
  digest: { type: 'string', description: 'One image only' },
  items: { type: 'array', items: { type: 'string' }, description: 'Vulnerability ids, package names or rule ids excepted; all when absent' },
  namespaces: { type: 'array', items: { type: 'string' }, description: 'Namespace globs where a break-glass exception lets the image in' },
} as const;
const exceptionInputProperties = {
  id: { type: 'string' },
  scope: { type: 'object', properties: exceptionScopeProperties, description: 'At least one field (the store refuses an empty scope)' },
  reason: { type: 'string' },
  createdBy: { type: 'string', description: 'The caller when absent (kept from the existing exception on a replace)' },
  createdAt: { type: 'string', description: 'ISO-8601; now when absent (kept from the existing exception on a replace)' },
  expiresAt: { type: 'string', description: 'ISO-8601' },
  breakGlass: { type: 'boolean', description: 'Admission admits matching images whatever their verdict (audited with this id)' },
} as const;
const exceptionCreateBody = { type: 'object', required: ['id', 'scope', 'reason', 'expiresAt'], properties: exceptionInputProperties } as const;
const exceptionReplaceBody = { type: 'object', required: ['scope', 'reason', 'expiresAt'], properties: exceptionInputProperties } as const;
const exceptionSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'scope', 'reason', 'createdBy', 'createdAt', 'expiresAt'],
  properties: {
    ...exceptionInputProperties,
    scope: { type: 'object', additionalProperties: true, properties: exceptionScopeProperties },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;
const exceptionList = { type: 'object', required: ['items'], properties: { items: { type: 'array', items: exceptionSchema }, next: { type: 'string' } } } as const;
const exceptionDeleted = { type: 'object', required: ['deleted', 'version'], properties: { deleted: { type: 'string' }, version: { type: 'integer' } } } as const;
const evaluateBody = {
  type: 'object',
  properties: {
    digest: { type: 'string' },
    report: anyObject,
    policy: anyObject,
    policies: { type: 'array', items: { type: 'object', required: ['id', 'document'], properties: { id: { type: 'string' }, document: anyObject } } },
    now: { type: 'string', format: 'date-time' },
  },
} as const;
const evaluation = {
  type: 'object',
  properties: {
    digest: { type: 'string' },
    compliant: { type: 'boolean' },
    policies: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'integer' } } } },
    reasons: { type: 'array', items: { type: 'object', additionalProperties: true } },
    exceptionsApplied: { type: 'array', items: { type: 'string' } },
  },
} as const;

const importResult = { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' }, result: { type: 'string' }, version: { type: 'integer' } } } as const;
/** A write after validation lost a race: the documents written before it, and those not written. */
const importConflict = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    written: { type: 'array', items: importResult },
    notWritten: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' }, document: { type: 'string' } } } },
  },
} as const;

/** JSON schemas of the documents, from the domain's zod schemas (the one source of truth). */
function documentSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of [
    ['ImageAssurancePolicy', ImageAssurancePolicySchema],
    ['RuntimePolicy', RuntimePolicySchema],
    ['PolicyException', PolicyExceptionSchema],
  ] as const) {
    const { $schema: _s, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    out[name] = json;
  }
  return out;
}

function recordOut<T>(r: VersionedRecord<T>) {
  return { ...r, createdAt: r.createdAt.toISOString() };
}

/** The expected version from `If-Match` (an ETag `"3"` or a bare `3`) or the body. */
function expectedVersionOf(req: FastifyRequest, body: { expectedVersion?: number } | undefined): number | undefined {
  const h = req.headers['if-match'];
  if (typeof h === 'string' && h.trim() !== '') {
    const n = Number(h.trim().replace(/^W\//, '').replace(/"/g, ''));
    if (!Number.isInteger(n) || n < 0) throw new ValidationError([{ path: 'If-Match', message: 'expected a version number' }]);
    return n;
  }
  return body?.expectedVersion;
}

export const policyRoutes: FastifyPluginAsync<PolicyRoutesOptions> = async (app, opts) => {
  const clock = opts.clock ?? (() => new Date());
  const openapi = new OpenApiCollector();
  openapi.attach(app);

  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof ValidationError) return reply.code(400).send({ error: err.message, issues: err.issues });
    if (err instanceof ImportConflictError) return reply.code(409).send({ error: err.message, written: err.written, notWritten: err.notWritten });
    if (err instanceof ConflictError) {
      return reply.code(409).send({ error: err.message, ...(err.actualVersion !== undefined ? { actualVersion: err.actualVersion } : {}) });
    }
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
    if (err.validation) return reply.code(400).send({ error: err.message });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    opts.logger.error({ err }, 'policy API request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  // Who made each authorised request: recorded on the versions and audit events it writes.
  const callers = new WeakMap<FastifyRequest, string>();
  const userOf = (req: FastifyRequest): string => callers.get(req) ?? 'unknown';
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/')) return;
    const user = opts.tokens.userFor(req.headers.authorization);
    if (user === undefined) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token' });
    }
    callers.set(req, user);
  });

  function running(reply: FastifyReply): PolicyApi | undefined {
    const api = opts.api();
    if (!api) void reply.code(503).send({ error: 'the policy service is starting' });
    return api;
  }

  /** Every version, one version, and the differences between two, of a versioned document. */
  function historyRoutes<T>(base: string, tags: string[], repo: (api: PolicyApi) => VersionedRepository<T>) {
    const tag = tags[0]!;
    app.get(`${base}/:id/versions`, { schema: { summary: `Every version of a ${tag} document`, tags, params: idParams, response: { 200: { type: 'object', properties: { items: { type: 'array', items: record } } }, ...errors } } }, async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      const { id } = req.params as { id: string };
      const h = await repo(api).history(id);
      if (h.length === 0) throw new NotFoundError(`${id} does not exist`);
      return { items: h.map(recordOut) };
    });
    app.get(`${base}/:id/versions/:v`, { schema: { summary: `One version of a ${tag} document`, tags, params: versionParams, response: { 200: record, ...errors } } }, async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      const { id, v } = req.params as { id: string; v: number };
      const r = await repo(api).get(id, v);
      if (!r) throw new NotFoundError(`${id} has no version ${v}`);
      return recordOut(r);
    });
    app.get(
      `${base}/:id/diff`,
      {
        schema: {
          summary: `Differences between two versions of a ${tag} document`,
          tags,
          params: idParams,
          querystring: diffQuery,
          response: { 200: { type: 'object', properties: { id: { type: 'string' }, from: { type: 'integer' }, to: { type: 'integer' }, changes: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errors },
        },
      },
      async (req, reply) => {
        const api = running(reply);
        if (!api) return reply;
        const { id } = req.params as { id: string };
        const { from, to } = req.query as { from: number; to: number };
        const [a, b] = await Promise.all([repo(api).get(id, from), repo(api).get(id, to)]);
        if (!a) throw new NotFoundError(`${id} has no version ${from}`);
        if (!b) throw new NotFoundError(`${id} has no version ${to}`);
        return { id, from, to, changes: jsonDiff(a.document, b.document) };
      },
    );
  }

  function versionedRoutes<T>(
    base: string,
    tag: string,
    documentName: string,
    repo: (api: PolicyApi) => VersionedRepository<T>,
    put: (api: PolicyApi, id: string, doc: T, expected: number, user: string) => Promise<ChangeResult<VersionedRecord<T>>>,
    del: (api: PolicyApi, id: string, expected: number | undefined, user: string) => Promise<ChangeResult<VersionedRecord<T>>>,
  ) {
    const tags = [tag];
    app.get(base, { schema: { summary: `List ${tag}`, tags, querystring: pageQuery, response: { 200: recordList, ...errors } } }, async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      const page = await repo(api).list(req.query as { limit?: number; after?: string });
      return { items: page.items.map(recordOut), ...(page.next ? { next: page.next } : {}) };
    });
    app.post(base, { schema: { summary: `Create a ${tag} document`, tags, 'x-document': documentName, body: { ...writeBody, required: ['id', 'document'] }, response: { 201: record, ...errors } } }, async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      const body = req.body as { id: string; document: T };
      const r = await put(api, body.id, body.document, 0, userOf(req));
      return reply.code(201).header('etag', `"${r.record.version}"`).send(recordOut(r.record));
    });
    app.get(`${base}/:id`, { schema: { summary: `Current version of a ${tag} document`, tags, params: idParams, response: { 200: record, ...errors } } }, async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      const { id } = req.params as { id: string };
      const r = await repo(api).current(id);
      if (!r) throw new NotFoundError(`${id} does not exist`);
      return reply.header('etag', `"${r.version}"`).send(recordOut(r));
    });
    app.put(
      `${base}/:id`,
      { schema: { summary: `Replace a ${tag} document (If-Match or expectedVersion)`, tags, 'x-document': documentName, params: idParams, headers: ifMatchHeaders, body: writeBody, response: { 200: record, 201: record, ...errors } } },
      async (req, reply) => {
        const api = running(reply);
        if (!api) return reply;
        const { id } = req.params as { id: string };
        const body = req.body as { document: T; expectedVersion?: number };
        const expected = expectedVersionOf(req, body);
        if (expected === undefined) return reply.code(428).send({ error: 'say which version you changed: If-Match or expectedVersion (0 to create)' });
        const r = await put(api, id, body.document, expected, userOf(req));
        return reply.code(r.change === ChangeType.CREATED ? 201 : 200).header('etag', `"${r.record.version}"`).send(recordOut(r.record));
      },
    );
    app.delete(`${base}/:id`, { schema: { summary: `Delete a ${tag} document (a tombstone version)`, tags, params: idParams, headers: ifMatchHeaders, response: { 200: record, ...errors } } }, async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      const { id } = req.params as { id: string };
      const r = await del(api, id, expectedVersionOf(req, undefined), userOf(req));
      return recordOut(r.record);
    });
    historyRoutes(base, tags, repo);
  }

  versionedRoutes<ImageAssurancePolicy>(
    '/api/v1/policies',
    'policies',
    'ImageAssurancePolicy',
    (api) => api.engine.store.policies,
    (api, id, doc, v, user) => api.changes.putPolicy(id, doc, v, user),
    (api, id, v, user) => api.changes.deletePolicy(id, v, user),
  );
  versionedRoutes<RuntimePolicy>(
    '/api/v1/runtime-policies',
    'runtime-policies',
    'RuntimePolicy',
    (api) => api.engine.store.runtimePolicies,
    (api, id, doc, v, user) => api.changes.putRuntimePolicy(id, doc, v, user),
    (api, id, v, user) => api.changes.deleteRuntimePolicy(id, v, user),
  );

  // ── exceptions: the ones in force replaced in place (expiry queries), every version kept ──
  const etags = ['exceptions'];
  app.get('/api/v1/exceptions', { schema: { summary: 'List exceptions (expired ones included)', tags: etags, querystring: pageQuery, response: { 200: exceptionList, ...errors } } }, async (req, reply) => {
    const api = running(reply);
    if (!api) return reply;
    return api.engine.store.exceptions.list(req.query as { limit?: number; after?: string });
  });
  app.post('/api/v1/exceptions', { schema: { summary: 'Create an exception', tags: etags, 'x-document': 'PolicyException', body: exceptionCreateBody, response: { 201: exceptionSchema, ...errors } } }, async (req, reply) => {
    const api = running(reply);
    if (!api) return reply;
    const body = req.body as Record<string, unknown>;
    if (body.id !== undefined && (await api.engine.store.exceptions.get(String(body.id)))) {
      throw new ConflictError(`exception ${String(body.id)} exists`);
    }
    const r = await api.changes.putException(body, userOf(req), clock());
    return reply.code(201).header('etag', `"${r.version}"`).send(r.record);
  });
  app.get('/api/v1/exceptions/:id', { schema: { summary: 'One exception', tags: etags, params: idParams, response: { 200: exceptionSchema, ...errors } } }, async (req, reply) => {
    const api = running(reply);
    if (!api) return reply;
    const { id } = req.params as { id: string };
    const e = await api.engine.store.exceptions.get(id);
    if (!e) throw new NotFoundError(`exception ${id} does not exist`);
    const version = await api.changes.exceptionVersion(id);
    return version > 0 ? reply.header('etag', `"${version}"`).send(e) : e;
  });
  app.put('/api/v1/exceptions/:id', { schema: { summary: 'Create or replace an exception (If-Match optional)', tags: etags, 'x-document': 'PolicyException', params: idParams, headers: ifMatchHeaders, body: exceptionReplaceBody, response: { 200: exceptionSchema, 201: exceptionSchema, ...errors } } }, async (req, reply) => {
    const api = running(reply);
    if (!api) return reply;
    const { id } = req.params as { id: string };
    // If-Match is optional here (an exception is often written by automation): without it the write applies to the latest version.
    const r = await api.changes.putException({ ...(req.body as Record<string, unknown>), id }, userOf(req), clock(), expectedVersionOf(req, undefined));
    return reply.code(r.change === ChangeType.CREATED ? 201 : 200).header('etag', `"${r.version}"`).send(r.record);
  });
  app.delete('/api/v1/exceptions/:id', { schema: { summary: 'Delete an exception (If-Match optional)', tags: etags, params: idParams, headers: ifMatchHeaders, response: { 200: exceptionDeleted, ...errors } } }, async (req, reply) => {
    const api = running(reply);
    if (!api) return reply;
    const { id } = req.params as { id: string };
    const r = await api.changes.deleteException(id, userOf(req), expectedVersionOf(req, undefined));
    return { deleted: r.record.id, version: r.version };
  });
  historyRoutes('/api/v1/exceptions', etags, (api) => api.engine.store.exceptionVersions);

  // ── verdicts (read-only: the verdicts bucket, as admission sees it) ──
  const digestParams = { type: 'object', required: ['digest'], properties: { digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } } } as const;
  app.get(
    '/api/v1/verdicts/:digest',
    { schema: { summary: 'The current verdict of an image digest (an index digest: the aggregate, with its platforms)', tags: ['verdicts'], params: digestParams, response: { 200: anyObject, ...errors } } },
    async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      const { digest } = req.params as { digest: string };
      const v = await api.engine.verdict(digest);
      if (!v) throw new NotFoundError(`no verdict for ${digest}`);
      return toJson(VerdictSchema, v);
    },
  );

  // ── dry run ──
  app.post('/api/v1/evaluate', { schema: { summary: 'Dry run: evaluate a stored or uploaded report against draft policies', tags: ['evaluate'], body: evaluateBody, response: { 200: evaluation, ...errors } } }, async (req, reply) => {
    const api = running(reply);
    if (!api) return reply;
    const body = req.body as { digest?: string; report?: unknown; policy?: unknown; policies?: Array<{ id: string; document: unknown }>; now?: string };
    let report: ScanReport | undefined;
    if (body.report !== undefined) {
      // Validated as the store would validate it, and without a schemaVersion (a stored form's field).
      const { schemaVersion: _v, ...r } = validateScanReport(body.report);
      report = r as ScanReport;
    } else if (body.digest !== undefined) {
      report = await api.engine.store.reports.get(body.digest);
      if (!report) throw new NotFoundError(`no report for ${body.digest}`);
    } else {
      throw new ValidationError([{ path: 'body', message: 'give a digest (stored report) or a report' }]);
    }
    const drafts: PolicyRef[] = [];
    if (body.policy !== undefined) drafts.push({ id: 'draft', version: 0, policy: validateImagePolicy(body.policy, 'policy') });
    (body.policies ?? []).forEach((p, i) =>
      drafts.push({ id: p.id, version: 0, policy: validateImagePolicy(p.document, `policies[${i}].document`) }),
    );
    const snap = await api.engine.snapshot();
    // `policy`: that draft alone. `policies`: drafts replacing stored policies of the same id.
    // Neither: the stored policies as they are.
    const draftIds = new Set(drafts.map((d) => d.id));
    const policies = body.policy !== undefined ? drafts : [...snap.policies.filter((p) => !draftIds.has(p.id)), ...drafts];
    const applicable = applicablePolicies(report, policies);
    const now = body.now ? new Date(body.now) : clock();
    const e = evaluateImage(report, applicable, snap.exceptions, now);
    return {
      digest: report.image.digest,
      compliant: e.compliant,
      policies: applicable.map((p) => ({ id: p.id, version: p.version })),
      reasons: e.reasons,
      exceptionsApplied: e.exceptionsApplied,
    };
  });

  // ── YAML ──
  app.get('/api/v1/export', { schema: doc({ summary: 'Every policy, runtime policy and exception as multi-document YAML', tags: ['yaml'], produces: ['application/yaml'], response: { 200: { type: 'string', description: 'Multi-document YAML' }, ...errors } }) }, async (_req, reply) => {
    const api = running(reply);
    if (!api) return reply;
    return reply.type('application/yaml').send(toYaml(await exportDocuments(api.engine.store)));
  });
  app.post(
    '/api/v1/import',
    {
      schema: {
        summary: 'Create or update documents from multi-document YAML (unchanged ones are left alone)',
        tags: ['yaml'],
        consumes: ['application/yaml'],
        body: { type: 'string' },
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: importResult } } }, ...errors, 409: importConflict },
      },
    },
    async (req, reply) => {
      const api = running(reply);
      if (!api) return reply;
      // Every document validated before any is written; a write losing a race after that is a 409 listing what was written.
      const results = await importDocuments(parseYamlDocuments(String(req.body)), api.engine.store, api.changes, userOf(req), clock());
      return { results };
    },
  );

  app.get('/openapi.json', { schema: doc({ summary: 'This document', tags: ['meta'], security: [], response: { 200: { type: 'object', additionalProperties: true } } }) }, async () =>
    openapi.document({ title: 'Assay policy API', version: '1' }, documentSchemas()),
  );
};

/** Registers the API on the service's server. */
export async function registerPolicyRoutes(app: FastifyInstance, opts: PolicyRoutesOptions): Promise<void> {
  await app.register(policyRoutes, opts);
}

