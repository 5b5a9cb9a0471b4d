// /evaluate: a dry run. A stored or uploaded report judged against draft policies (or the stored
// ones), with the exceptions in force; nothing is written.
import type { FastifyPluginAsync } from 'fastify';
import { validateImagePolicy, validateScanReport, ValidationError, type ScanReport } from '@assay/domain';
import { applicablePolicies, evaluateImage, type PolicyRef } from '@assay/policy-engine';
import { NotFoundError } from '@assay/store';
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
      const body = req.body as EvaluateBody;
      let report: ScanReport | undefined;
      if (body.report !== undefined) {
        // Validated as the store would (errors name the field), without a stored form's schemaVersion.
        const { schemaVersion: _v, ...r } = validateScanReport(body.report) as ScanReport & { schemaVersion?: unknown };
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
    }),
  );
};
