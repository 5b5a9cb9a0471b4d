// The health server's routes as one fastify plugin: /healthz (the process is alive),
// /readyz (200 only when every readiness check passes, else 503 naming the failing ones) and
// /metrics (Prometheus text). Every route declares its response schema.
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '@assay/telemetry';
import type { Readiness } from './readiness.ts';

export interface HealthPluginOptions {
  service: string;
  instance: string;
  readiness: Readiness;
  metrics: Metrics;
}

const checkSchema = {
  type: 'object',
  required: ['name', 'ok'],
  properties: { name: { type: 'string' }, ok: { type: 'boolean' }, detail: { type: 'string' } },
} as const;

/** The `/readyz` answer (200 and 503), for services documenting it in their own OpenAPI. */
export const readySchema = {
  type: 'object',
  required: ['status', 'service', 'instance', 'checks', 'failing'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    service: { type: 'string' },
    instance: { type: 'string' },
    checks: { type: 'array', items: checkSchema },
    failing: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** The `/healthz` answer. */
export const healthSchema = {
  type: 'object',
  required: ['status', 'service', 'instance', 'uptimeSeconds'],
  properties: {
    status: { type: 'string', enum: ['ok'] },
    service: { type: 'string' },
    instance: { type: 'string' },
    uptimeSeconds: { type: 'number' },
  },
} as const;

export const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (app, opts) => {
  const started = Date.now();

  app.get(
    '/healthz',
    {
      schema: {
        description: 'Liveness: the process is up and its event loop answers.',
        response: { 200: healthSchema },
      },
    },
    async () => ({
      status: 'ok' as const,
      service: opts.service,
      instance: opts.instance,
      uptimeSeconds: Math.round((Date.now() - started) / 100) / 10,
    }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        description: 'Readiness: 200 when every check passes, 503 with the failing checks otherwise.',
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_req, reply) => {
      const report = await opts.readiness.evaluate();
      reply.code(report.ready ? 200 : 503);
      return {
        status: report.ready ? ('ready' as const) : ('not_ready' as const),
        service: opts.service,
        instance: opts.instance,
        checks: report.checks,
        failing: report.failing,
      };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        description: 'Prometheus metrics in the text exposition format.',
        response: { 200: { type: 'string' } },
      },
    },
    async (_req, reply) => {
      const text = await opts.metrics.text();
      reply.type(opts.metrics.contentType);
      return text;
    },
  );
};
