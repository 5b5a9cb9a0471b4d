// Splunk HTTP Event Collector as a destination: `POST /services/collector/event` with one JSON
// object per event (its time, host, source, sourcetype, index, and the ECS document as `event`).
// A batch is accepted on 2xx.
import { hostname } from 'node:os';
import type { Destination } from './destination.ts';
import type { EcsDocument } from './ecs.ts';
import { checkStatus, httpPoster } from './http-post.ts';
import type { SinkSpec } from './sink-specs.ts';

function epochSeconds(doc: EcsDocument): number {
  const t = Date.parse(String(doc['@timestamp'] ?? ''));
  return Number.isNaN(t) ? Date.now() / 1000 : t / 1000;
}

/** Splunk HTTP Event Collector: `POST /services/collector/event`, one JSON object per event. */
export function splunkDestination(spec: SinkSpec): Destination {
  const http = httpPoster({ ca: spec.ca, insecure: spec.insecure, timeoutMs: spec.timeoutMs ?? 30_000 });
  const url = `${spec.url!.replace(/\/+$/, '')}/services/collector/event`;
  const host = hostname();
  return {
    async send(items) {
      const body = items
        .map((it) =>
          JSON.stringify({
            time: epochSeconds(it.doc),
            host,
            source: spec.source ?? 'assay',
            sourcetype: spec.sourcetype ?? 'assay:audit',
            ...(spec.index ? { index: spec.index } : {}),
            event: it.doc,
          }),
        )
        .join('\n');
      const r = await http.post(url, body, { authorization: `Splunk ${spec.token}`, 'content-type': 'application/json' });
      checkStatus(spec, 'Splunk HEC', r);
    },
    async close() {
      http.close();
    },
  };
}
