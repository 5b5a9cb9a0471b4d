// /verdicts: read-only, the verdicts bucket as admission sees it (JSON form of the protobuf).
import type { FastifyPluginAsync } from 'fastify';
import { toJson } from '@bufbuild/protobuf';
import { VerdictSchema } from '@assay/proto';
import { NotFoundError } from '@assay/store';
import type { RouteContext } from './context.ts';
import { anyObject, errors } from './route-schemas.ts';

const digestParams = {
  type: 'object',
  required: ['digest'],
  properties: { digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } },
} as const;

export const verdictsRoutes: FastifyPluginAsync<RouteContext> = async (app, { handle }) => {
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
