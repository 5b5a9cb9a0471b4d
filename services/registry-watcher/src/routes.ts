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
import type { RegistrySpec } from '@assay/registry-client';
import { DISTRIBUTION_EVENTS_MEDIA_TYPE, type DistributionEvent, type HarborPayload } from './notifications.ts';
import { acceptedResponse, distributionBody, errorResponse, harborBody, nameParams, statusResponse } from './route-schemas.ts';
import type { RegistryWatcher, NotificationOutcome } from './watcher.ts';

export interface WatcherRoutesOptions {
  /** The running watcher; undefined while the service starts (answers 503). */
  watcher: () => RegistryWatcher | undefined;
  token: string | undefined;
  logger: Logger;
  /** Counts a request by kind and answered status. */
  count?(kind: string, status: number): void;
}

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

/** A notification endpoint: `POST <path>` and `POST <path>/:name`, answered the same way for every kind. */
interface NotificationEndpoint {
  kind: Kind;
  path: string;
  description: string;
  body: object;
  /** Hands the validated body to the watcher. */
  notify(watcher: RegistryWatcher, body: unknown, named: RegistrySpec | undefined): NotificationOutcome;
}

const ENDPOINTS: readonly NotificationEndpoint[] = [
  {
    kind: 'distribution',
    path: '/registry/events',
    description: 'Distribution (docker-registry) notification endpoint',
    body: distributionBody,
    notify: (watcher, body, named) => watcher.notifyDistribution((body as { events: DistributionEvent[] }).events, named),
  },
  {
    kind: 'harbor',
    path: '/harbor/events',
    description: 'Harbor webhook endpoint (HTTP notify type)',
    body: harborBody,
    notify: (watcher, body, named) => watcher.notifyHarbor(body as HarborPayload, named),
  },
];

const notificationResponses = { 200: acceptedResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 503: errorResponse };

export const watcherRoutes: FastifyPluginAsync<WatcherRoutesOptions> = async (app: FastifyInstance, opts) => {
  const count = opts.count ?? (() => {});
  const kindOf = (req: FastifyRequest): Kind | undefined => ENDPOINTS.find((e) => req.url.startsWith(e.path))?.kind;

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
      opts.logger.warn(
        { url: req.url, remote: req.ip, hasHeader: req.headers.authorization !== undefined },
        'notification refused: bad or missing token',
      );
      return reply.code(401).header('WWW-Authenticate', 'Bearer realm="assay-registry-watcher"').send({ error: 'unauthorized' });
    }
  });

  const answer = (kind: Kind, reply: FastifyReply, outcome: NotificationOutcome) => {
    if (outcome.result === 'full' || outcome.result === 'stopped') {
      count(kind, 503);
      opts.logger.warn({ kind, result: outcome.result }, 'notification refused: work queue full or stopping; the registry will retry');
      return reply
        .code(503)
        .header('Retry-After', '5')
        .send({ error: outcome.result === 'full' ? 'queue full' : 'shutting down' });
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

  /** The one handler of every notification endpoint: resolve the watcher and registry, notify, answer. */
  const notificationHandler = (e: NotificationEndpoint) => async (req: FastifyRequest, reply: FastifyReply) => {
    const r = resolve(e.kind, req, reply);
    if (!r) return reply;
    return answer(e.kind, reply, e.notify(r.watcher, req.body, r.named));
  };
  for (const e of ENDPOINTS) {
    const options = { schema: { description: e.description, body: e.body, params: nameParams, response: notificationResponses } };
    const handler = notificationHandler(e);
    app.post(e.path, options, handler);
    app.post(`${e.path}/:name`, options, handler);
  }

  app.get(
    '/status',
    {
      schema: { description: 'Per-registry poll status and the notification queue', response: { 200: statusResponse, 503: errorResponse } },
    },
    async (_req, reply) => {
      const watcher = opts.watcher();
      if (!watcher) return reply.code(503).send({ error: 'starting' });
      return watcher.status();
    },
  );
};
