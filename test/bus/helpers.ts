// Shared pieces of the bus kit tests: a small per-test topology (its own stream, subject and
// durable, so tests sharing one server never see each other's messages), event factories, and
// polling with deadlines instead of fixed sleeps.
import { create } from '@bufbuild/protobuf';
import { type ImageDiscovered, ImageDiscoveredSchema, Streams, type StreamSpec, type Topic } from '@assay/proto';
import { type BusLogger, type DurableConsumerSpec, newEventMeta, type ProvisionTopology } from '@assay/bus';

export interface TestTopology extends ProvisionTopology {
  readonly stream: StreamSpec;
  readonly consumer: DurableConsumerSpec;
  readonly topic: Topic<typeof ImageDiscoveredSchema>;
}

/** A stream `T_<name>` on `t.<name>.>`, one durable on it, and the real dead-letter stream. */
export function testTopology(name: string, consumer: Partial<DurableConsumerSpec> = {}): TestTopology {
  const stream: StreamSpec = {
    name: `T_${name.toUpperCase()}`,
    subjects: [`t.${name}.>`],
    maxAgeSeconds: 3600,
    description: `test stream ${name}`,
  };
  const durable: DurableConsumerSpec = {
    stream: stream.name,
    durable: `${name}-worker`,
    filterSubject: `t.${name}.>`,
    description: `test consumer ${name}`,
    ackWaitMs: 1000,
    ...consumer,
  };
  return {
    stream,
    consumer: durable,
    topic: { subject: `t.${name}.discovered`, schema: ImageDiscoveredSchema },
    streams: [stream, Streams.deadLetter],
    consumers: [durable],
    buckets: [],
  };
}

let counter = 0;

/** A distinct ImageDiscovered event (digest derived from `n`). */
export function discovered(n = ++counter, producer = 'test'): ImageDiscovered {
  return create(ImageDiscoveredSchema, {
    meta: newEventMeta(producer),
    image: {
      registry: '127.0.0.1:5000',
      repository: 'library/test',
      tag: `t${n}`,
      digest: `sha256:${n.toString(16).padStart(64, '0')}`,
    },
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; fails naming `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** A logger that keeps every line, to assert on what the kit logged. */
export function memoryLogger(): BusLogger & { lines: Array<{ level: string; obj: object; msg?: string }> } {
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
