// /export and /import: every policy, runtime policy and exception as multi-document YAML. An
// import validates every document before writing any; a write losing a race after that is a 409
// listing what was written (the route's own 409 schema).
import type { FastifyPluginAsync } from 'fastify';
import { exportDocuments, parseYamlDocuments, toYaml } from '../yaml-io.ts';
import { importDocuments } from '../yaml-import.ts';
import type { RouteContext } from './context.ts';
import { doc, errors } from './route-schemas.ts';

const importResult = {
  type: 'object',
  properties: { kind: { type: 'string' }, id: { type: 'string' }, result: { type: 'string' }, version: { type: 'integer' } },
} as const;
/** A write after validation lost a race: the documents written before it, and those not written. */
const importConflict = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    written: { type: 'array', items: importResult },
    notWritten: {
      type: 'array',
      items: { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' }, document: { type: 'string' } } },
    },
  },
} as const;
const exported = { type: 'string', description: 'Multi-document YAML' } as const;

export const importExportRoutes: FastifyPluginAsync<RouteContext> = async (app, { handle, userOf, clock }) => {
  app.get(
    '/export',
    {
      schema: doc({
        summary: 'Every policy, runtime policy and exception as multi-document YAML',
        tags: ['yaml'],
        produces: ['application/yaml'],
        response: { 200: exported, ...errors },
      }),
    },
    handle(async (api, _req, reply) => reply.type('application/yaml').send(toYaml(await exportDocuments(api.engine.store)))),
  );
  app.post(
    '/import',
    {
      schema: {
        summary: 'Create or update documents from multi-document YAML (unchanged ones are left alone)',
        tags: ['yaml'],
        consumes: ['application/yaml'],
        body: { type: 'string' },
        response: {
          200: { type: 'object', properties: { results: { type: 'array', items: importResult } } },
          ...errors,
          409: importConflict,
        },
      },
    },
    handle(async (api, req) => {
      const results = await importDocuments(parseYamlDocuments(String(req.body)), api.engine.store, api.changes, userOf(req), clock());
      return { results };
    }),
  );
};
