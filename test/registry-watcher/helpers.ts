// Shared pieces of the registry-watcher tests: the watcher started in-process through service-kit
// against a real nats-server, an ordered consumer collecting every ImageDiscovered from
// ASSAY_IMAGES, the tags bucket read back, metrics read from /metrics, small images.
import { fromBinary } from '@bufbuild/protobuf';
import type { ConsumerMessages, KV } from 'nats';
import { connectBus, type BusConnection } from '@assay/bus';
import { Buckets, type ImageDiscovered, ImageDiscoveredSchema, Streams, Topics } from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { registryWatcherService, tagKey, type RegistryWatcher } from '@assay/registry-watcher';
import { buildImage, type BuiltImage, type Platform } from '../support/oci-image.ts';
import { waitFor } from '../support/processes.ts';

export const TOKEN = 'watcher-test-token-0123456789';

export type Watcher = ServiceHandle<any, RegistryWatcher>;

export interface RegistryEntry {
  name: string;
  url: string;
  insecure?: boolean;
  credentials?: Record<string, string>;
  repositories?: string[];
  include?: string[];
  exclude?: string[];
  pollIntervalSeconds?: number;
  trustNotifications?: boolean;
  notificationHosts?: string[];
  concurrency?: number;
}

/** Starts registry-watcher in-process; resolves once it reports ready. */
export async function startWatcher(natsUrl: string, registries: RegistryEntry[], env: Record<string, string> = {}): Promise<Watcher> {
  const svc = createService(registryWatcherService, {
    env: {
      NATS_URL: natsUrl,
      HTTP_PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      METRICS_DEFAULT: 'false',
      NOTIFICATION_TOKEN: TOKEN,
      WATCHER_REGISTRIES: JSON.stringify(registries.map((r) => ({ insecure: true, ...r }))),
      WATCHER_RETRY_BASE: '200ms',
      ...env,
    },
  }) as Watcher;
  await svc.start();
  await svc.ready({ timeoutMs: 20_000 });
  return svc;
}

/**
 * Every ImageDiscovered stored in ASSAY_IMAGES on `subject` (default `assay.image.discovered`;
 * `assay.image.index` for index events), collected by an ordered consumer as it arrives.
 */
export class DiscoveredEvents {
  readonly events: ImageDiscovered[] = [];
  #messages: ConsumerMessages | undefined;

  static async start(bus: BusConnection, subject: string = Topics.imageDiscovered.subject): Promise<DiscoveredEvents> {
    const d = new DiscoveredEvents();
    const consumer = await bus.js.consumers.get(Streams.images.name, { filterSubjects: subject });
    d.#messages = await consumer.consume();
    void (async () => {
      for await (const m of d.#messages!) d.events.push(fromBinary(ImageDiscoveredSchema, m.data));
    })();
    return d;
  }

  for(repository: string): ImageDiscovered[] {
    return this.events.filter((e) => e.image?.repository === repository);
  }

  async waitCount(repository: string, n: number, timeoutMs = 20_000): Promise<ImageDiscovered[]> {
    return waitFor(`${n} ImageDiscovered for ${repository}`, () => (this.for(repository).length >= n ? this.for(repository) : undefined), {
      timeoutMs,
    });
  }

  stop(): void {
    this.#messages?.stop();
  }
}

export async function connectAdmin(natsUrl: string): Promise<{ bus: BusConnection; tags: () => Promise<KV> }> {
  const bus = await connectBus({ servers: natsUrl });
  return { bus, tags: () => bus.js.views.kv(Buckets.tags.name, { bindOnly: true }) };
}

/** The digest the tags bucket holds for `host/repository:tag`, or undefined. */
export async function tagDigest(kv: KV, host: string, repository: string, tag: string): Promise<string | undefined> {
  const e = await kv.get(tagKey({ registry: host, repository, tag }));
  return e && e.operation === 'PUT' ? new TextDecoder().decode(e.value) : undefined;
}

/** Sum of a counter's samples whose labels include `labels`. */
export async function metricValue(svc: Watcher, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await svc.metrics.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[2]);
  }
  return sum;
}

export function smallImage(marker: string, platform?: Platform): Promise<BuiltImage> {
  return buildImage({
    layers: [
      [
        { path: 'etc', type: 'dir' },
        { path: 'etc/marker', content: `${marker}\n` },
      ],
    ],
    config: { Labels: { marker } },
    ...(platform ? { platform } : {}),
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { waitFor };
