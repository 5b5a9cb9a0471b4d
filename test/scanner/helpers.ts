// Shared pieces of the scanner tests: small analyzers with known behaviour (so these tests do not
// depend on the real ones), the scanner started in-process through service-kit against a real
// nats-server, a collector of ScanCompleted events, and publishing of scan jobs.
import { create, fromBinary } from '@bufbuild/protobuf';
import type { ConsumerMessages } from 'nats';
import { connectBus, newEventMeta, provisionTopology, publishEvent, type BusConnection } from '@assay/bus';
import { AnalyzerRegistry, purl, type Analyzer, type Package } from '@assay/inventory';
import {
  DiscoverySource,
  FullTopology,
  type ImageDiscovered,
  ImageDiscoveredSchema,
  ImageRefSchema,
  type ScanCompleted,
  ScanCompletedSchema,
  ScanRequestedSchema,
  Streams,
  Topics,
} from '@assay/proto';
import { createService, type ServiceHandle } from '@assay/service-kit';
import { scannerServiceWith, type Scanner } from '@assay/scanner';
import { waitFor } from '../support/processes.ts';

export { waitFor };

export type ScannerHandle = ServiceHandle<any, Scanner>;

const lines = (b: Buffer) =>
  b
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/**
 * Test analyzers:
 *  - `test-os` (file): etc/os-release → os {family: ID, name: VERSION_ID};
 *  - `test-pkgdb` (group): var/lib/testpkg/status ("name version" lines) → deb packages, and
 *    var/lib/testpkg/*.list → systemInstalledFiles;
 *  - `test-lock` (file): any `app.lock` ("name@version" lines) → npm packages;
 *  - `test-boom` (file): wants `boom`, always throws.
 */
export function testAnalyzers(): AnalyzerRegistry {
  const os: Analyzer = {
    kind: 'file',
    type: 'test-os',
    version: 1,
    required: (p) => p === 'etc/os-release',
    analyze(f) {
      const kv = Object.fromEntries(
        lines(f.content).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]),
      );
      return kv.ID ? { os: { family: kv.ID, name: kv.VERSION_ID ?? '' } } : undefined;
    },
  };
  const pkgdb: Analyzer = {
    kind: 'group',
    type: 'test-pkgdb',
    version: 1,
    required: (p) => p === 'var/lib/testpkg/status' || (p.startsWith('var/lib/testpkg/') && p.endsWith('.list')),
    analyzeGroup(fs) {
      const status = fs.get('var/lib/testpkg/status');
      const systemInstalledFiles: string[] = [];
      for (const p of fs.paths()) if (p.endsWith('.list')) systemInstalledFiles.push(...lines(fs.get(p)!.content));
      const packages: Package[] = status
        ? lines(status.content).map((l) => {
            const [name = '', version = ''] = l.split(' ');
            return { name, version, type: 'deb', purl: purl({ type: 'deb', namespace: 'debian', name, version }) };
          })
        : [];
      return { ...(status ? { packageSets: [{ analyzer: 'test-pkgdb', path: status.path, packages }] } : {}), systemInstalledFiles };
    },
  };
  const lock: Analyzer = {
    kind: 'file',
    type: 'test-lock',
    version: 1,
    required: (p) => p === 'app.lock' || p.endsWith('/app.lock'),
    analyze(f) {
      const packages: Package[] = lines(f.content).map((l) => {
        const at = l.lastIndexOf('@');
        const name = l.slice(0, at);
        const version = l.slice(at + 1);
        return { name, version, type: 'npm', purl: purl({ type: 'npm', name, version }) };
      });
      return { packageSets: [{ analyzer: 'test-lock', path: f.path, packages }] };
    },
  };
  const boom: Analyzer = {
    kind: 'file',
    type: 'test-boom',
    version: 1,
    required: (p) => p === 'boom',
    analyze() {
      throw new Error('kaboom');
    },
  };
  return new AnalyzerRegistry([os, pkgdb, lock, boom]);
}

/** Starts the scanner in-process; resolves once it reports ready. */
export async function startScanner(
  natsUrl: string,
  env: Record<string, string> = {},
  analyzers: () => AnalyzerRegistry = testAnalyzers,
): Promise<ScannerHandle> {
  const svc = createService(scannerServiceWith({ analyzers }), {
    env: {
      NATS_URL: natsUrl,
      HTTP_PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      METRICS_DEFAULT: 'false',
      SQLITE_PATH: ':memory:',
      SCAN_RETRY_BACKOFF: '200ms',
      ...env,
    },
  }) as ScannerHandle;
  await svc.start();
  await svc.ready({ timeoutMs: 20_000 });
  return svc;
}

export async function connectAdmin(natsUrl: string): Promise<BusConnection> {
  const bus = await connectBus({ servers: natsUrl, name: 'scanner-test-admin' });
  await provisionTopology(await bus.jetstreamManager(), FullTopology);
  return bus;
}

/** Every ScanCompleted stored in ASSAY_SCANS, collected as it arrives. */
export class CompletedEvents {
  readonly events: ScanCompleted[] = [];
  #messages: ConsumerMessages | undefined;

  static async start(bus: BusConnection): Promise<CompletedEvents> {
    const c = new CompletedEvents();
    const consumer = await bus.js.consumers.get(Streams.scans.name, { filterSubjects: Topics.scanCompleted.subject });
    c.#messages = await consumer.consume();
    void (async () => {
      for await (const m of c.#messages!) c.events.push(fromBinary(ScanCompletedSchema, m.data));
    })();
    return c;
  }

  for(digest: string): ScanCompleted[] {
    return this.events.filter((e) => e.image?.digest === digest);
  }

  async wait(digest: string, n = 1, timeoutMs = 60_000): Promise<ScanCompleted[]> {
    return waitFor(`${n} ScanCompleted for ${digest}`, () => (this.for(digest).length >= n ? this.for(digest) : undefined), {
      timeoutMs,
      intervalMs: 50,
    });
  }

  stop(): void {
    this.#messages?.stop();
  }
}

/** Every index event (ImageDiscovered on `assay.image.index`) stored in ASSAY_IMAGES, collected as it arrives. */
export class IndexEvents {
  readonly events: ImageDiscovered[] = [];
  #messages: ConsumerMessages | undefined;

  static async start(bus: BusConnection): Promise<IndexEvents> {
    const c = new IndexEvents();
    const consumer = await bus.js.consumers.get(Streams.images.name, { filterSubjects: Topics.indexDiscovered.subject });
    c.#messages = await consumer.consume();
    void (async () => {
      for await (const m of c.#messages!) c.events.push(fromBinary(ImageDiscoveredSchema, m.data));
    })();
    return c;
  }

  for(indexDigest: string): ImageDiscovered[] {
    return this.events.filter((e) => e.image?.digest === indexDigest);
  }

  async wait(indexDigest: string, n = 1, timeoutMs = 60_000): Promise<ImageDiscovered[]> {
    return waitFor(`${n} index events for ${indexDigest}`, () => (this.for(indexDigest).length >= n ? this.for(indexDigest) : undefined), {
      timeoutMs,
      intervalMs: 50,
    });
  }

  stop(): void {
    this.#messages?.stop();
  }
}

export interface ImageAt {
  registry: string;
  repository: string;
  digest: string;
  tag?: string;
  mediaType?: string;
}

/** Publishes an ImageDiscovered for `img`; returns its event id. */
export async function publishDiscovered(bus: BusConnection, img: ImageAt): Promise<string> {
  const meta = newEventMeta('scanner-test');
  await publishEvent(
    bus.js,
    Topics.imageDiscovered,
    create(ImageDiscoveredSchema, {
      meta,
      image: create(ImageRefSchema, {
        registry: img.registry,
        repository: img.repository,
        digest: img.digest,
        tag: img.tag ?? '',
        mediaType: img.mediaType ?? '',
      }),
      source: DiscoverySource.MANUAL,
    }),
  );
  return meta.id;
}

/** Publishes a ScanRequested for `img`; returns its event id. */
export async function publishRequested(bus: BusConnection, img: ImageAt, force = false): Promise<string> {
  const meta = newEventMeta('scanner-test');
  await publishEvent(
    bus.js,
    Topics.scanRequested,
    create(ScanRequestedSchema, {
      meta,
      image: create(ImageRefSchema, { registry: img.registry, repository: img.repository, digest: img.digest, tag: img.tag ?? '' }),
      reason: 'test',
      force,
      requestedBy: 'test',
    }),
  );
  return meta.id;
}

/** Peak RSS while `fn` runs, sampled every 20 ms. */
export async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await fn();
    return { result, error: undefined, peakMb: peak / 1024 / 1024 };
  } catch (error) {
    return { result: undefined, error, peakMb: peak / 1024 / 1024 };
  } finally {
    clearInterval(t);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
}
