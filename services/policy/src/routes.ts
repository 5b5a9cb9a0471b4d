// REST API: one fastify plugin per resource, under /api/v1, inside this one, which holds what
// they share (the auth hook, the error handler, the YAML parser, the OpenAPI collector):
//   /api/v1/policies, /api/v1/runtime-policies    list, create, get, replace, delete, versions, diff
//   /api/v1/exceptions                            list, create, get, replace, delete, versions, diff
//   GET /api/v1/verdicts                          verdict summaries, newest first (filters, pages)
//   GET /api/v1/verdicts/:digest                  the current verdict of a digest (JSON form)
//   POST /api/v1/evaluate                         dry run: a stored or uploaded report, draft policies
//   GET /api/v1/export, POST /api/v1/import       YAML multi-document
//   GET /openapi.json                             OpenAPI 3.1 from the route schemas
// and the web console under /console (console/plugin.ts): the same tokens sign in to a session.
// Every /api route needs `Authorization: Bearer <token>` (POLICY_API_TOKEN or a line of
// POLICY_API_TOKENS_FILE; 401 otherwise), and changes are recorded under its user. Documents
// are validated by the store, whose errors name the field (400); a stale version is 409.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '@assay/domain';
import { ConflictError, NotFoundError } from '@assay/store';
import type { Logger } from '@assay/telemetry';
import type { ApiTokens } from './api-tokens.ts';
import { registerConsole } from './console/plugin.ts';
import { OpenApiCollector } from './openapi.ts';
import type { PolicyApi, RouteContext } from './routes/context.ts';
import { evaluateRoutes } from './routes/evaluate.ts';
import { exceptionsRoutes } from './routes/exceptions.ts';
import { importExportRoutes } from './routes/import-export.ts';
import { policiesRoutes } from './routes/policies.ts';
import { runtimePoliciesRoutes } from './routes/runtime-policies.ts';
import { schemaRoutes } from './routes/schemas.ts';
import { verdictsRoutes } from './routes/verdicts.ts';
import { ImportConflictError } from './yaml-import.ts';

export type { PolicyApi };

export interface PolicyRoutesOptions {
  api: () => PolicyApi | undefined;
  /** The callers' tokens, each with the name its changes are recorded as. */
  tokens: ApiTokens;
  logger: Logger;
  clock?: () => Date;
}

/** The API's resources, in the order the OpenAPI document lists them. */
const RESOURCES = [policiesRoutes, runtimePoliciesRoutes, exceptionsRoutes, verdictsRoutes, evaluateRoutes, importExportRoutes];
const API_PREFIX = '/api/v1';

export const policyRoutes: FastifyPluginAsync<PolicyRoutesOptions> = async (app, opts) => {
  const openapi = new OpenApiCollector();
  openapi.attach(app);

  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof ValidationError) return reply.code(400).send({ error: err.message, issues: err.issues });
    if (err instanceof ImportConflictError)
      return reply.code(409).send({ error: err.message, written: err.written, notWritten: err.notWritten });
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
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/')) return;
    const user = opts.tokens.userFor(req.headers.authorization);
    if (user === undefined) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token' });
    }
    callers.set(req, user);
  });

  const clock = opts.clock ?? (() => new Date());
  const ctx: RouteContext = {
    handle: (handler) => async (req, reply) => {
      const api = opts.api();
      if (!api) return reply.code(503).send({ error: 'the policy service is starting' });
      return handler(api, req, reply);
    },
    userOf: (req) => callers.get(req) ?? 'unknown',
    clock,
  };
  for (const resource of RESOURCES) await app.register(resource, { prefix: API_PREFIX, ...ctx });
  await app.register(schemaRoutes, { openapi });
};

/** Registers the API, and the web console behind the same tokens, on the service's server. */
export async function registerPolicyRoutes(app: FastifyInstance, opts: PolicyRoutesOptions): Promise<void> {
  await app.register(policyRoutes, opts);
  await registerConsole(app, { api: opts.api, tokens: opts.tokens, logger: opts.logger, clock: opts.clock ?? (() => new Date()) });
}
