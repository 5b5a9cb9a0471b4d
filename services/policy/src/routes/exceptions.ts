// /exceptions: the ones in force replaced in place (expiry queries), every version kept. If-Match
// is optional on a write: an exception is often written by automation, and without it the write
// applies to the latest version.
import type { FastifyPluginAsync } from 'fastify';
import { CONTROLS } from '@assay/domain';
import { ChangeType } from '@assay/proto';
import { NotFoundError } from '@assay/store';
import { createException, revokeException } from '../exception-writes.ts';
import { expectedVersionOf, type RouteContext } from './context.ts';
import { errors, idParams, ifMatchHeaders, pageQuery } from './route-schemas.ts';
import { historyRoutes } from './versioned.ts';

// Exceptions, mirroring the domain's PolicyExceptionSchema. The store still validates every write
// (its errors name the field); these give the shape. Bodies leave unknown fields to the store to
// refuse by name (no additionalProperties: false, which fastify's validator would strip
// silently); responses keep any field they do not declare.
const exceptionScopeProperties = {
  policyId: { type: 'string', description: 'The image assurance policy it applies to; every policy when absent' },
  control: { type: 'string', enum: [...CONTROLS] },
  registry: { type: 'string', description: 'Registry glob' },
  repository: { type: 'string', description: 'Repository glob within registry' },
  digest: { type: 'string', description: 'One image only' },
  items: {
    type: 'array',
    items: { type: 'string' },
    description: 'Vulnerability ids, package names or rule ids excepted; all when absent',
  },
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
const exceptionCreateBody = {
  type: 'object',
  required: ['id', 'scope', 'reason', 'expiresAt'],
  properties: exceptionInputProperties,
} as const;
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
const exceptionList = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: exceptionSchema }, next: { type: 'string' } },
} as const;
const exceptionDeleted = {
  type: 'object',
  required: ['deleted', 'version'],
  properties: { deleted: { type: 'string' }, version: { type: 'integer' } },
} as const;

export const exceptionsRoutes: FastifyPluginAsync<RouteContext> = async (app, ctx) => {
  const { handle, userOf, clock } = ctx;
  const tags = ['exceptions'];
  app.get(
    '/exceptions',
    {
      schema: {
        summary: 'List exceptions (expired ones included)',
        tags,
        querystring: pageQuery,
        response: { 200: exceptionList, ...errors },
      },
    },
    handle(async (api, req) => api.engine.store.exceptions.list(req.query as { limit?: number; after?: string })),
  );
  app.post(
    '/exceptions',
    {
      schema: {
        summary: 'Create an exception',
        tags,
        'x-document': 'PolicyException',
        body: exceptionCreateBody,
        response: { 201: exceptionSchema, ...errors },
      },
    },
    handle(async (api, req, reply) => {
      const r = await createException(api, req.body as Record<string, unknown>, userOf(req), clock());
      return reply.code(201).header('etag', `"${r.version}"`).send(r.record);
    }),
  );
  app.get(
    '/exceptions/:id',
    { schema: { summary: 'One exception', tags, params: idParams, response: { 200: exceptionSchema, ...errors } } },
    handle(async (api, req, reply) => {
      const { id } = req.params as { id: string };
      const e = await api.engine.store.exceptions.get(id);
      if (!e) throw new NotFoundError(`exception ${id} does not exist`);
      const version = await api.changes.exceptionVersion(id);
      return version > 0 ? reply.header('etag', `"${version}"`).send(e) : e;
    }),
  );
  app.put(
    '/exceptions/:id',
    {
      schema: {
        summary: 'Create or replace an exception (If-Match optional)',
        tags,
        'x-document': 'PolicyException',
        params: idParams,
        headers: ifMatchHeaders,
        body: exceptionReplaceBody,
        response: { 200: exceptionSchema, 201: exceptionSchema, ...errors },
      },
    },
    handle(async (api, req, reply) => {
      const { id } = req.params as { id: string };
      const body = { ...(req.body as Record<string, unknown>), id };
      const r = await api.changes.putException(body, userOf(req), clock(), expectedVersionOf(req, undefined));
      return reply
        .code(r.change === ChangeType.CREATED ? 201 : 200)
        .header('etag', `"${r.version}"`)
        .send(r.record);
    }),
  );
  app.delete(
    '/exceptions/:id',
    {
      schema: {
        summary: 'Delete an exception (If-Match optional)',
        tags,
        params: idParams,
        headers: ifMatchHeaders,
        response: { 200: exceptionDeleted, ...errors },
      },
    },
    handle(async (api, req) => {
      const { id } = req.params as { id: string };
      const r = await revokeException(api, id, userOf(req), expectedVersionOf(req, undefined));
      return { deleted: r.record.id, version: r.version };
    }),
  );
  historyRoutes(app, ctx, '/exceptions', tags, (api) => api.engine.store.exceptionVersions);
};
