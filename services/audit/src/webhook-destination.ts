// A generic webhook as a destination: `POST <url>` with `{"events": [...]}` (the ECS documents),
// optionally with a bearer token and extra headers. A batch is accepted on 2xx.
import type { Destination } from './destination.ts';
import { checkStatus, httpPoster } from './http-post.ts';
import type { SinkSpec } from './sink-specs.ts';

/** Generic webhook: `POST <url>` with `{"events": [...]}`. */
export function webhookDestination(spec: SinkSpec): Destination {
  const http = httpPoster({ ca: spec.ca, insecure: spec.insecure, timeoutMs: spec.timeoutMs ?? 30_000 });
  return {
    async send(items) {
      const body = `{"events":[${items.map((i) => i.line).join(',')}]}`;
      const r = await http.post(spec.url!, body, {
        'content-type': 'application/json',
        ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}),
        ...(spec.headers ?? {}),
      });
      checkStatus(spec, 'webhook', r);
    },
    async close() {
      http.close();
    },
  };
}
