// /evaluate: a dry run (dry-run.ts). A stored or uploaded report judged against draft policies (or
// the stored ones), with the exceptions in force; nothing is written.
import type { FastifyPluginAsync } from 'fastify';
import { dryRun } from '../dry-run.ts';
import type { RouteContext } from './context.ts';
import { anyObject, errors } from './route-schemas.ts';

const draftPolicy = { type: 'object', required: ['id', 'document'], properties: { id: { type: 'string' }, document: anyObject } } as const;
const evaluateBody = {
  type: 'object',
  properties: {
    digest: { type: 'string' },
    report: anyObject,
    policy: anyObject,
    policies: { type: 'array', items: draftPolicy },
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

interface EvaluateBody {
  digest?: string;
  report?: unknown;
  policy?: unknown;
  policies?: Array<{ id: string; document: unknown }>;
  now?: string;
}

export const evaluateRoutes: FastifyPluginAsync<RouteContext> = async (app, { handle, clock }) => {
  app.post(
    '/evaluate',
    {
      schema: {
        summary: 'Dry run: evaluate a stored or uploaded report against draft policies',
        tags: ['evaluate'],
        body: evaluateBody,
        response: { 200: evaluation, ...errors },
      },
    },
    handle(async (api, req) => {
      const { now, ...body } = req.body as EvaluateBody;
      return dryRun(api, { ...body, now: now ? new Date(now) : clock() });
    }),
  );
};
