// /verdicts: read-only, the verdicts bucket as admission sees it: one digest's verdict (JSON form
// of the protobuf), or a page of summaries (newest evaluation first, filtered) for people browsing.
import type { FastifyPluginAsync } from 'fastify';
import { toJson } from '@bufbuild/protobuf';
import { VerdictSchema } from '@assay/proto';
import { NotFoundError } from '@assay/store';
import type { RouteContext } from './context.ts';
import { anyObject, errors } from './route-schemas.ts';
import { COMPLIANCE_NAMES, DEFAULT_LIMIT, MAX_LIMIT } from '../verdict-list.ts';

const digestParams = {
  type: 'object',
  required: ['digest'],
  properties: { digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
    continue: { type: 'string', maxLength: 1000, description: 'The token the previous page returned' },
    compliance: { type: 'string', enum: [...COMPLIANCE_NAMES] },
    repository: { type: 'string', minLength: 1, maxLength: 500, description: 'A glob over registry/repository' },
    q: {
      type: 'string',
      minLength: 1,
      maxLength: 500,
      description: 'A substring of the reference, or of one of its vulnerability ids (case-insensitive)',
    },
  },
} as const;

const summary = {
  type: 'object',
  properties: {
    digest: { type: 'string' },
    image: {
      type: 'object',
      properties: {
        registry: { type: 'string' },
        repository: { type: 'string' },
        tag: { type: 'string' },
        digest: { type: 'string' },
        mediaType: { type: 'string' },
      },
    },
    reference: { type: 'string' },
    compliance: { type: 'string', enum: [...COMPLIANCE_NAMES, 'unspecified'] },
    evaluatedAt: { type: 'string', format: 'date-time' },
    scannedAt: { type: 'string', format: 'date-time' },
    complianceSince: { type: 'string', format: 'date-time' },
    policies: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'integer' } } } },
    reasonCount: { type: 'integer' },
    reasons: {
      type: 'array',
      description: 'The first reasons, messages cut to 200 characters',
      items: {
        type: 'object',
        properties: {
          policy: { type: 'string' },
          control: { type: 'string' },
          message: { type: 'string' },
          auditOnly: { type: 'boolean' },
        },
      },
    },
    platforms: { type: 'integer' },
  },
} as const;

const summaryPage = { type: 'object', properties: { items: { type: 'array', items: summary }, continue: { type: 'string' } } } as const;

interface ListQuery {
  limit?: number;
  continue?: string;
  compliance?: (typeof COMPLIANCE_NAMES)[number];
  repository?: string;
  q?: string;
}

export const verdictsRoutes: FastifyPluginAsync<RouteContext> = async (app, { handle }) => {
  app.get(
    '/verdicts',
    {
      schema: {
        summary: 'Verdict summaries, newest evaluation first: filter by compliance, repository glob or reference text; paginated',
        tags: ['verdicts'],
        querystring: listQuery,
        response: { 200: summaryPage, ...errors },
      },
    },
    handle(async (api, req, reply) => {
      const q = req.query as ListQuery;
      if (!api.verdicts) return reply.code(503).send({ error: 'the verdict list is not available in this deployment' });
      return api.verdicts.list(
        {
          ...(q.compliance ? { compliance: q.compliance } : {}),
          ...(q.repository ? { repository: q.repository } : {}),
          ...(q.q ? { q: q.q } : {}),
        },
        q.limit,
        q.continue,
      );
    }),
  );
  app.get(
    '/verdicts/:digest',
    {
      schema: {
        summary: 'The current verdict of an image digest (an index digest: the aggregate, with its platforms)',
        tags: ['verdicts'],
        params: digestParams,
        response: { 200: anyObject, ...errors },
      },
    },
    handle(async (api, req) => {
      const { digest } = req.params as { digest: string };
      const v = await api.engine.verdict(digest);
      if (!v) throw new NotFoundError(`no verdict for ${digest}`);
      return toJson(VerdictSchema, v);
    }),
  );
};
