// Routes of a versioned document (image assurance and runtime policies: list, create, get,
// replace, delete) and of any document's history (every version, one version, a diff between
// two), written once for every resource that keeps versions.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { VersionedRecord } from '@assay/domain';
import { ChangeType } from '@assay/proto';
import { NotFoundError, type VersionedRepository } from '@assay/store';
import type { ChangeResult } from '../changes.ts';
import { versionDiff } from '../version-diff.ts';
import { expectedVersionOf, recordOut, type PolicyApi, type RouteContext } from './context.ts';
import { diffQuery, errors, idParams, ifMatchHeaders, pageQuery, record, recordList, versionParams, writeBody } from './route-schemas.ts';

/** Every version, one version, and the differences between two, of a versioned document. */
export function historyRoutes<T>(
  app: FastifyInstance,
  { handle }: RouteContext,
  base: string,
  tags: string[],
  repo: (api: PolicyApi) => VersionedRepository<T>,
): void {
  const tag = tags[0]!;
  const history = { type: 'object', properties: { items: { type: 'array', items: record } } } as const;
  app.get(
    `${base}/:id/versions`,
    { schema: { summary: `Every version of a ${tag} document`, tags, params: idParams, response: { 200: history, ...errors } } },
    handle(async (api, req) => {
      const { id } = req.params as { id: string };
      const h = await repo(api).history(id);
      if (h.length === 0) throw new NotFoundError(`${id} does not exist`);
      return { items: h.map(recordOut) };
    }),
  );
  app.get(
    `${base}/:id/versions/:v`,
    { schema: { summary: `One version of a ${tag} document`, tags, params: versionParams, response: { 200: record, ...errors } } },
    handle(async (api, req) => {
      const { id, v } = req.params as { id: string; v: number };
      const r = await repo(api).get(id, v);
      if (!r) throw new NotFoundError(`${id} has no version ${v}`);
      return recordOut(r);
    }),
  );
  const changes = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;
  const diff = {
    type: 'object',
    properties: { id: { type: 'string' }, from: { type: 'integer' }, to: { type: 'integer' }, changes },
  } as const;
  app.get(
    `${base}/:id/diff`,
    {
      schema: {
        summary: `Differences between two versions of a ${tag} document`,
        tags,
        params: idParams,
        querystring: diffQuery,
        response: { 200: diff, ...errors },
      },
    },
    handle(async (api, req) => {
      const { id } = req.params as { id: string };
      const { from, to } = req.query as { from: number; to: number };
      const d = await versionDiff(repo(api), id, from, to);
      return { id, from, to, changes: d.changes };
    }),
  );
}

/** How a versioned resource reads and writes its documents. */
export interface VersionedStorage<T> {
  repo: (api: PolicyApi) => VersionedRepository<T>;
  put: (api: PolicyApi, id: string, doc: T, expected: number, user: string) => Promise<ChangeResult<VersionedRecord<T>>>;
  del: (api: PolicyApi, id: string, expected: number | undefined, user: string) => Promise<ChangeResult<VersionedRecord<T>>>;
}

/**
 * The plugin of a versioned resource at `base` (below the API prefix; its OpenAPI tag is `base`
 * without the slash) holding `documentName` documents (their schema's name in the OpenAPI
 * document): list, create, get, replace (If-Match or expectedVersion) and delete, then the
 * history routes.
 */
export function versionedPlugin<T>(base: string, documentName: string, storage: VersionedStorage<T>): FastifyPluginAsync<RouteContext> {
  return async (app, ctx) => versionedRoutes(app, ctx, base, documentName, storage);
}

function versionedRoutes<T>(
  app: FastifyInstance,
  ctx: RouteContext,
  base: string,
  documentName: string,
  storage: VersionedStorage<T>,
): void {
  const { repo, put, del } = storage;
  const { handle, userOf } = ctx;
  const tag = base.slice(1);
  const tags = [tag];
  app.get(
    base,
    { schema: { summary: `List ${tag}`, tags, querystring: pageQuery, response: { 200: recordList, ...errors } } },
    handle(async (api, req) => {
      const page = await repo(api).list(req.query as { limit?: number; after?: string });
      return { items: page.items.map(recordOut), ...(page.next ? { next: page.next } : {}) };
    }),
  );
  const createBody = { ...writeBody, required: ['id', 'document'] };
  app.post(
    base,
    {
      schema: {
        summary: `Create a ${tag} document`,
        tags,
        'x-document': documentName,
        body: createBody,
        response: { 201: record, ...errors },
      },
    },
    handle(async (api, req, reply) => {
      const body = req.body as { id: string; document: T };
      const r = await put(api, body.id, body.document, 0, userOf(req));
      return reply.code(201).header('etag', `"${r.record.version}"`).send(recordOut(r.record));
    }),
  );
  app.get(
    `${base}/:id`,
    { schema: { summary: `Current version of a ${tag} document`, tags, params: idParams, response: { 200: record, ...errors } } },
    handle(async (api, req, reply) => {
      const { id } = req.params as { id: string };
      const r = await repo(api).current(id);
      if (!r) throw new NotFoundError(`${id} does not exist`);
      return reply.header('etag', `"${r.version}"`).send(recordOut(r));
    }),
  );
  app.put(
    `${base}/:id`,
    {
      schema: {
        summary: `Replace a ${tag} document (If-Match or expectedVersion)`,
        tags,
        'x-document': documentName,
        params: idParams,
        headers: ifMatchHeaders,
        body: writeBody,
        response: { 200: record, 201: record, ...errors },
      },
    },
    handle(async (api, req, reply) => {
      const { id } = req.params as { id: string };
      const body = req.body as { document: T; expectedVersion?: number };
      const expected = expectedVersionOf(req, body);
      if (expected === undefined)
        return reply.code(428).send({ error: 'say which version you changed: If-Match or expectedVersion (0 to create)' });
      const r = await put(api, id, body.document, expected, userOf(req));
      return reply
        .code(r.change === ChangeType.CREATED ? 201 : 200)
        .header('etag', `"${r.record.version}"`)
        .send(recordOut(r.record));
    }),
  );
  app.delete(
    `${base}/:id`,
    {
      schema: {
        summary: `Delete a ${tag} document (a tombstone version)`,
        tags,
        params: idParams,
        headers: ifMatchHeaders,
        response: { 200: record, ...errors },
      },
    },
    handle(async (api, req) => {
      const { id } = req.params as { id: string };
      const r = await del(api, id, expectedVersionOf(req, undefined), userOf(req));
      return recordOut(r.record);
    }),
  );
  historyRoutes(app, ctx, base, tags, repo);
}
