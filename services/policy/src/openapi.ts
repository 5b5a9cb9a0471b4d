// The OpenAPI 3.1 document, assembled from the JSON schemas of the routes as fastify registers
// them (no hand-kept copy to drift): an onRoute hook collects each route's method, URL and schema.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { healthSchema, readySchema } from '@assay/service-kit';

interface Collected {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

/** Routes the service kit registers outside this plugin (documented here by hand). */
const HEALTH_ROUTES: Collected[] = [
  {
    method: 'GET',
    url: '/healthz',
    schema: {
      summary: 'Liveness',
      security: [],
      response: {
        200: healthSchema,
      },
    },
  },
  {
    method: 'GET',
    url: '/readyz',
    schema: {
      summary: 'Readiness (bus, topology, store): 200 when every check passes, 503 naming the failing ones',
      security: [],
      response: {
        200: readySchema,
        503: readySchema,
      },
    },
  },
  {
    method: 'GET',
    url: '/metrics',
    schema: { summary: 'Prometheus metrics', security: [], produces: ['text/plain'], response: { 200: { type: 'string' } } },
  },
];

export class OpenApiCollector {
  readonly routes: Collected[] = [...HEALTH_ROUTES];

  /** Call on the plugin's instance before its routes are declared. */
  attach(app: FastifyInstance): void {
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const m of methods) {
        if (m === 'HEAD') continue;
        this.routes.push({ method: m, url: route.url, schema: (route.schema ?? {}) as Record<string, unknown> });
      }
    });
  }

  /**
   * `schemas`: named JSON schemas of the documents (from the domain's zod schemas); a route whose
   * schema has `x-document: <name>` gets its body's `document` (or the whole body) pointed at it.
   */
  document(info: { title: string; version: string }, schemas: Record<string, unknown> = {}): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const s = r.schema;
      const parameters: unknown[] = [];
      for (const [where, key] of [
        ['path', 'params'],
        ['query', 'querystring'],
        ['header', 'headers'],
      ] as const) {
        const obj = s[key] as JsonSchema | undefined;
        for (const [name, schema] of Object.entries(obj?.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (obj?.required ?? []).includes(name), schema });
        }
      }
      const responses: Record<string, unknown> = {};
      const produces = (s.produces as string[] | undefined) ?? ['application/json'];
      for (const [code, schema] of Object.entries((s.response ?? {}) as Record<string, unknown>)) {
        // `produces` is what a success is sent as; errors are JSON.
        const types = code.startsWith('2') ? produces : ['application/json'];
        responses[code] = { description: code, content: Object.fromEntries(types.map((t) => [t, { schema }])) };
      }
      if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
      let body = s.body as JsonSchema | undefined;
      const named = s['x-document'] as string | undefined;
      if (body && named && schemas[named]) {
        const ref = { $ref: `#/components/schemas/${named}` };
        body = body.properties?.document ? { ...body, properties: { ...body.properties, document: ref } } : ref;
      }
      const op: Record<string, unknown> = {
        ...(s.summary ? { summary: s.summary } : {}),
        ...(s.tags ? { tags: s.tags } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(body
          ? {
              requestBody: {
                required: true,
                content: Object.fromEntries(
                  ((s.consumes as string[] | undefined) ?? ['application/json']).map((c) => [c, { schema: body }]),
                ),
              },
            }
          : {}),
        ...(s.security ? { security: s.security } : {}),
        responses,
      };
      (paths[path] ??= {})[r.method.toLowerCase()] = op;
    }
    return {
      openapi: '3.1.0',
      info,
      components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      paths,
    };
  }
}
