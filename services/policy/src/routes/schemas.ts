// /openapi.json: the OpenAPI 3.1 document of this API, assembled from the routes' own JSON schemas
// (OpenApiCollector), with the document schemas taken from the domain's zod schemas (the one
// source of truth).
import type { FastifyPluginAsync } from 'fastify';
import { z } from '@assay/config';
import { ImageAssurancePolicySchema, PolicyExceptionSchema, RuntimePolicySchema } from '@assay/domain';
import type { OpenApiCollector } from '../openapi.ts';
import { doc } from './route-schemas.ts';

/** JSON schemas of the documents, by the names routes refer to with `x-document`. */
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

export const schemaRoutes: FastifyPluginAsync<{ openapi: OpenApiCollector }> = async (app, { openapi }) => {
  const response = { 200: { type: 'object', additionalProperties: true } };
  app.get('/openapi.json', { schema: doc({ summary: 'This document', tags: ['meta'], security: [], response }) }, async () =>
    openapi.document({ title: 'Assay policy API', version: '1' }, documentSchemas()),
  );
};
