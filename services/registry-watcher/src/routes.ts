// HTTP routes on the service's server (one fastify plugin, its own error handler and parsers):
//   POST /registry/events[/:name]  Distribution notifications
//   POST /harbor/events[/:name]    Harbor webhooks (PUSH_ARTIFACT, DELETE_ARTIFACT)
//   GET  /status                   per-registry poll status, queue size
// Notifications need `Authorization: Bearer <NOTIFICATION_TOKEN>` (Harbor sends its configured
// auth header verbatim, so there the bare token is accepted too): 401 otherwise, before the
// body is read. Bodies are validated by JSON schema (400 and a warn log when malformed). The
// answer is 200 once the work is queued; 503 when the queue is full (registries retry).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@assay/telemetry';
import { DISTRIBUTION_EVENTS_MEDIA_TYPE, type DistributionEvent, type HarborPayload } from './notifications.ts';
import type { RegistryWatcher, NotificationOutcome } from './watcher.ts';

export interface WatcherRoutesOptions {
  /** The running watcher; undefined while the service starts (answers 503). */
  watcher: () => RegistryWatcher | undefined;
  token: string | undefined;
  logger: Logger;
  /** Counts a request by kind and answered status. */
  count?(kind: string, status: number): void;
}

const DIGEST = '^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$';

const distributionBody = {
  type: 'object',
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['action', 'target'],
        properties: {
          id: { type: 'string' },
          timestamp: { type: 'string' },
          action: { type: 'string', minLength: 1 },
          target: {
            type: 'object',
            required: ['repository'],
            properties: {
              mediaType: { type: 'string' },
              digest: { type: 'string', pattern: DIGEST },
              repository: { type: 'string', minLength: 1, maxLength: 255 },
              tag: { type: 'string', maxLength: 128 },
              url: { type: 'string' },
            },
          },
          request: { type: 'object', properties: { host: { type: 'string' }, addr: { type: 'string' } } },
          source: { type: 'object', properties: { addr: { type: 'string' } } },
        },
      },
    },
  },
} as const;

const harborBody = {
  type: 'object',
  required: ['type', 'event_data'],
  properties: {
    type: { type: 'string', minLength: 1 },
    occur_at: { type: 'number' },
    operator: { type: 'string' },
    event_data: {
      type: 'object',
      required: ['repository'],
      properties: {
        resources: {
          type: 'array',
          maxItems: 10_000,
          items: {
            type: 'object',
            properties: {
              digest: { type: 'string' },
              tag: { type: 'string', maxLength: 128 },
              resource_url: { type: 'string' },
            },
          },
        },
        repository: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            namespace: { type: 'string' },
            repo_full_name: { type: 'string' },
          },
        },
      },
    },
  },
} as const;

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' } },
} as const;

const acceptedResponse = {
  type: 'object',
  required: ['accepted', 'ignored'],
  properties: { accepted: { type: 'integer' }, ignored: { type: 'integer' } },
} as const;

const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

const statusResponse = {
  type: 'object',
  required: ['instance', 'queue', 'registries'],
  properties: {
    instance: { type: 'string' },
    queue: { type: 'object', properties: { size: { type: 'integer' }, capacity: { type: 'integer' } } },
    registries: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          url: { type: 'string' },
          polling: { type: 'boolean' },
          pollIntervalSeconds: { type: 'integer' },
          trustNotifications: { type: 'boolean' },
          lastPollAt: { type: ['string', 'null'] },
          lastPollDurationMs: { type: ['integer', 'null'] },
          lastSuccessAt: { type: ['string', 'null'] },
          lastError: { type: ['string', 'null'] },
          lastErrorAt: { type: ['string', 'null'] },
          consecutiveFailures: { type: 'integer' },
          polls: { type: 'integer' },
          repositories: { type: 'integer' },
          tags: { type: 'integer' },
          notificationFailures: { type: 'integer' },
          lastNotificationError: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time check of the Authorization header. */
export function authorized(header: string | undefined, token: string | undefined, allowBare: boolean): boolean {
  if (token === undefined || header === undefined) return false;
  const want = sha256(token);
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  const given = m ? m[1]!.trim() : allowBare ? header.trim() : undefined;
  if (given === undefined) return false;
  return timingSafeEqual(sha256(given), want);
}

type Kind = 'distribution' | 'harbor';

export const watcherRoutes: FastifyPluginAsync<WatcherRoutesOptions> = async (app: FastifyInstance, opts) => {
  const count = opts.count ?? (() => {});
  const kindOf = (req: FastifyRequest): Kind | undefined =>
    req.url.startsWith('/registry/events') ? 'distribution' : req.url.startsWith('/harbor/events') ? 'harbor' : undefined;

  // Distribution's own media type is JSON.
  app.addContentTypeParser(DISTRIBUTION_EVENTS_MEDIA_TYPE, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const kind = kindOf(req);
    if (kind) count(kind, status);
    if (status >= 500) {
      opts.logger.error({ err, url: req.url }, 'request failed');
      return reply.code(500).send({ error: 'internal error' });
    }
    opts.logger.warn({ url: req.url, status, code: err.code, reason: err.message, remote: req.ip }, 'malformed notification refused');
    return reply.code(status).send({ error: status === 415 ? 'unsupported media type' : 'bad request', message: err.message });
  });

  // Authentication comes first: nothing of an unauthenticated request is parsed.
  app.addHook('onRequest', async (req, reply) => {
    const kind = kindOf(req);
    if (!kind || req.method !== 'POST') return;
    if (!authorized(req.headers.authorization, opts.token, kind === 'harbor')) {
      count(kind, 401);
      opts.logger.warn({ url: req.url, remote: req.ip, hasHeader: req.headers.authorization !== undefined }, 'notification refused: bad or missing token');
      return reply.code(401).header('WWW-Authenticate', 'Bearer realm="assay-registry-watcher"').send({ error: 'unauthorized' });
    }
  });

  const answer = (kind: Kind, reply: FastifyReply, outcome: NotificationOutcome) => {
    if (outcome.result === 'full' || outcome.result === 'stopped') {
      count(kind, 503);
      opts.logger.warn({ kind, result: outcome.result }, 'notification refused: work queue full or stopping; the registry will retry');
      return reply.code(503).header('Retry-After', '5').send({ error: outcome.result === 'full' ? 'queue full' : 'shutting down' });
    }
    count(kind, 200);
    return reply.code(200).send({ accepted: outcome.accepted, ignored: outcome.ignored });
  };

  /** The watcher and the named registry (404 when unknown, 403 when it does not trust notifications). */
  const resolve = (kind: Kind, req: FastifyRequest, reply: FastifyReply) => {
    const watcher = opts.watcher();
    if (!watcher) {
      count(kind, 503);
      void reply.code(503).header('Retry-After', '2').send({ error: 'starting' });
      return undefined;
    }
    const name = (req.params as { name?: string }).name;
    if (name === undefined) return { watcher, named: undefined };
    const named = watcher.registry(name);
    if (!named) {
      count(kind, 404);
      opts.logger.warn({ url: req.url }, 'notification for an unknown registry');
      void reply.code(404).send({ error: 'unknown registry', message: `no registry named ${name} is configured` });
      return undefined;
    }
    if (!named.trustNotifications) {
      count(kind, 403);
      opts.logger.warn({ registry: name }, 'notification for a registry without trustNotifications');
      void reply.code(403).send({ error: 'untrusted', message: `registry ${name} does not have trustNotifications` });
      return undefined;
    }
    return { watcher, named };
  };

  const distribution = {
    schema: {
      description: 'Distribution (docker-registry) notification endpoint',
      body: distributionBody,
      params: nameParams,
      response: { 200: acceptedResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 503: errorResponse },
    },
  };
  const onDistribution = async (req: FastifyRequest, reply: FastifyReply) => {
    const r = resolve('distribution', req, reply);
    if (!r) return reply;
    return answer('distribution', reply, r.watcher.notifyDistribution((req.body as { events: DistributionEvent[] }).events, r.named));
  };
  app.post('/registry/events', distribution, onDistribution);
  app.post('/registry/events/:name', distribution, onDistribution);

  const harbor = {
    schema: {
      description: 'Harbor webhook endpoint (HTTP notify type)',
      body: harborBody,
      params: nameParams,
      response: { 200: acceptedResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 503: errorResponse },
    },
  };
  const onHarbor = async (req: FastifyRequest, reply: FastifyReply) => {
    const r = resolve('harbor', req, reply);
    if (!r) return reply;
    return answer('harbor', reply, r.watcher.notifyHarbor(req.body as HarborPayload, r.named));
  };
  app.post('/harbor/events', harbor, onHarbor);
  app.post('/harbor/events/:name', harbor, onHarbor);

  app.get(
    '/status',
    { schema: { description: 'Per-registry poll status and the notification queue', response: { 200: statusResponse, 503: errorResponse } } },
    async (_req, reply) => {
      const watcher = opts.watcher();
      if (!watcher) return reply.code(503).send({ error: 'starting' });
      return watcher.status();
    },
  );
};
