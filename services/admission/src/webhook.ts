// The webhook server: fastify over HTTPS only, on its own port. POST /validate and /mutate take
// an AdmissionReview; /healthz and /readyz (and /metrics) serve the kubelet's probes on the same
// TLS port. A malformed review, a wrong media type, a body over the limit get a 4xx naming the
// problem. With a client CA configured, the two review routes want a client certificate that
// chains to it (the probes do not, kubelets have none).
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { healthPlugin, type Readiness } from '@assay/service-kit';
import type { Logger, Metrics } from '@assay/telemetry';
import { ADMISSION_REVIEW_RESPONSE_SCHEMA, ReviewError, responseApiVersion, type AdmissionReviewResponse } from '@assay/review-engine';
import { loadTls, watchTls, type TlsFiles, type TlsWatcher } from './tls.ts';

export interface ReviewHandler {
  validate(body: unknown): Promise<AdmissionReviewResponse>;
  mutate(body: unknown): Promise<AdmissionReviewResponse>;
}

export interface WebhookOptions {
  host: string;
  port: number;
  tls: TlsFiles;
  /** How often the TLS files are checked for a change, in ms. */
  tlsPollMs?: number;
  bodyLimit: number;
  /** The handler, once the service has one (503 before). */
  handler(): ReviewHandler | undefined;
  service: string;
  instance: string;
  readiness: Readiness;
  metrics: Metrics;
  logger: Logger;
}

export interface Webhook {
  readonly app: FastifyInstance;
  /** `https://host:port`. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'integer' } },
} as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  503: 'Service Unavailable',
};

/** The body of every answer that is not an AdmissionReview (`{error, message, statusCode}`). */
function errorBody(status: number, message: string): { error: string; message: string; statusCode: number } {
  return { error: STATUS_TEXT[status] ?? 'Error', message, statusCode: status };
}

export async function startWebhook(opts: WebhookOptions): Promise<Webhook> {
  const files = opts.tls;
  const material = loadTls(files);
  const requireClientCert = files.ca !== undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    https: {
      cert: material.cert,
      key: material.key,
      ...(material.ca ? { ca: material.ca, requestCert: true, rejectUnauthorized: false } : {}),
    },
    // The API server keeps connections open between calls.
    keepAliveTimeout: 65_000,
  });
  const duration = opts.metrics.histogram({
    name: 'assay_admission_request_duration_seconds',
    help: 'Time to answer an AdmissionReview',
    labelNames: ['route', 'status'],
  });
  const rejected = opts.metrics.counter({
    name: 'assay_admission_bad_requests_total',
    help: 'Requests answered 4xx (malformed reviews, wrong media type, too large, no client certificate)',
    labelNames: ['route', 'status'],
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) opts.logger.error({ err, url: req.url }, 'webhook request failed');
    else rejected.inc({ route: req.routeOptions.url ?? req.url, status: String(status) });
    const message =
      status === 500
        ? 'internal error'
        : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `body larger than ${opts.bodyLimit} bytes`
          : err.message;
    void reply.code(status).send(errorBody(status, message));
  });

  // AdmissionReviews are JSON: any other media type is a 415, not a string to make sense of.
  app.removeContentTypeParser('text/plain');
  await app.register(healthPlugin, { service: opts.service, instance: opts.instance, readiness: opts.readiness, metrics: opts.metrics });

  // Per request, only a clock read and one observation with label objects made once: prom-client's
  // startTimer allocates a closure and merges label objects on every request.
  const statusLabels = new Map<string, { route: string; status: string }>();
  const observe = (route: string, status: number, started: number) => {
    const key = `${route} ${status}`;
    let labels = statusLabels.get(key);
    if (!labels) statusLabels.set(key, (labels = { route, status: String(status) }));
    duration.observe(labels, (performance.now() - started) / 1000);
  };

  const review = (route: 'validate' | 'mutate') => async (req: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    try {
      if (requireClientCert) {
        const socket = req.raw.socket as TLSSocket;
        if (!socket.authorized) {
          void reply.code(401);
          observe(route, 401, started);
          rejected.inc({ route, status: '401' });
          return errorBody(401, `client certificate required: ${String(socket.authorizationError ?? 'none presented')}`);
        }
      }
      const handler = opts.handler();
      if (!handler) {
        void reply.code(503);
        observe(route, 503, started);
        return errorBody(503, 'admission is starting');
      }
      const res = await handler[route](req.body);
      observe(route, 200, started);
      return res;
    } catch (err) {
      if (err instanceof ReviewError) {
        observe(route, err.statusCode, started);
        rejected.inc({ route, status: String(err.statusCode) });
        void reply.code(err.statusCode);
        return errorBody(err.statusCode, `${err.message} (in an ${responseApiVersion(req.body)} AdmissionReview)`);
      }
      observe(route, 500, started);
      throw err;
    }
  };
  const schema = { body: { type: 'object' }, response: { 200: ADMISSION_REVIEW_RESPONSE_SCHEMA, '4xx': errorSchema, '5xx': errorSchema } };
  app.post('/validate', { schema }, review('validate'));
  app.post('/mutate', { schema }, review('mutate'));

  await app.listen({ host: opts.host, port: opts.port });
  const a = app.server.address();
  if (a === null || typeof a === 'string') throw new Error('webhook has no TCP address');
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  const address = `https://${host}:${a.port}`;

  const watcher: TlsWatcher = watchTls(
    files,
    (m) =>
      (app.server as unknown as { setSecureContext(o: object): void }).setSecureContext({
        cert: m.cert,
        key: m.key,
        ...(m.ca ? { ca: m.ca, requestCert: true, rejectUnauthorized: false } : {}),
      }),
    { logger: opts.logger, ...(opts.tlsPollMs !== undefined ? { intervalMs: opts.tlsPollMs } : {}) },
  );
  opts.logger.info({ webhook_url: address, port: a.port, client_certificates: requireClientCert }, 'webhook listening (HTTPS)');
  return {
    app,
    address,
    port: a.port,
    async close() {
      watcher.stop();
      await app.close();
    },
  };
}
