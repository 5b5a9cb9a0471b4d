// mirrorBucket against a real nats-server: complete before `synced` resolves, and equal to the
// bucket after concurrent puts, deletes and purges on overlapping keys.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { KV } from 'nats';
import { Buckets, Compliance, VerdictSchema } from '@assay/proto';
import { type BusConnection, connectBus, type MirrorChange, mirrorBucket, newEventMeta, provisionTopology } from '@assay/bus';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { eventually, memoryLogger } from './helpers.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const text = (b: Uint8Array) => dec.decode(b);

/** The bucket's content as the server reports it, key → value. */
async function serverContent(kv: KV): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  for (const k of keys) {
    const e = await kv.get(k);
    if (e && e.operation === 'PUT') out.set(k, e.string());
  }
  return out;
}

function sameContent(a: Map<string, string>, b: Iterable<[string, string]>): boolean {
  const bm = new Map(b);
  return a.size === bm.size && [...a].every(([k, v]) => bm.get(k) === v);
}

describe('mirrorBucket', () => {
  let server: NatsServer;
  let bus: BusConnection;
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: 'mirror-test' });
  });
  after(async () => {
    await bus?.close();
    await server?.close();
  });

  async function bucket(name: string, history = 1): Promise<KV> {
    await provisionTopology(await bus.jetstreamManager(), { streams: [], consumers: [], buckets: [{ name, history, description: name }] });
    return bus.js.views.kv(name, { bindOnly: true });
  }

  test('a mirror of existing data holds every key when `synced` resolves', async () => {
    await provisionTopology(await bus.jetstreamManager(), { streams: [], consumers: [], buckets: [Buckets.verdicts] });
    const kv = await bus.js.views.kv(Buckets.verdicts.name, { bindOnly: true });
    const expected = new Map<string, Compliance>();
    for (let i = 0; i < 300; i++) {
      const digest = `sha256.${i.toString(16).padStart(64, '0')}`;
      const compliance = i % 2 ? Compliance.COMPLIANT : Compliance.NON_COMPLIANT;
      await kv.put(digest, toBinary(VerdictSchema, create(VerdictSchema, { meta: newEventMeta('policy'), compliance })));
      expected.set(digest, compliance);
    }
    // History in the bucket: later revisions and removals must win.
    for (let i = 0; i < 300; i += 10) {
      const digest = `sha256.${i.toString(16).padStart(64, '0')}`;
      if (i % 20 === 0) {
        await kv.delete(digest);
        expected.delete(digest);
      } else {
        await kv.put(digest, toBinary(VerdictSchema, create(VerdictSchema, { compliance: Compliance.ERROR })));
        expected.set(digest, Compliance.ERROR);
      }
    }
    await kv.purge(`sha256.${(1).toString(16).padStart(64, '0')}`);
    expected.delete(`sha256.${(1).toString(16).padStart(64, '0')}`);

    const changes: MirrorChange<unknown>[] = [];
    const mirror = await mirrorBucket({
      js: bus.js,
      connection: bus,
      bucket: Buckets.verdicts.name,
      decode: (b) => fromBinary(VerdictSchema, b),
      onChange: (c) => void changes.push(c),
    });
    try {
      assert.equal(mirror.isSynced(), false);
      await mirror.synced;
      // Checked synchronously after the promise: nothing may arrive later.
      assert.equal(mirror.isSynced(), true);
      assert.equal(mirror.isLive(), true);
      assert.equal(mirror.size, expected.size);
      for (const [k, c] of expected) assert.equal(mirror.get(k)?.compliance, c, k);
      assert.equal(mirror.get(`sha256.${(1).toString(16).padStart(64, '0')}`), undefined);
      assert.equal(changes.length, expected.size, 'one put announced per key of the initial load');
      assert.ok(changes.every((c) => c.op === 'put'));
    } finally {
      await mirror.stop();
    }
  });

  test('an empty bucket is synced at once, and updates follow', async () => {
    const kv = await bucket('empty');
    const mirror = await mirrorBucket({ js: bus.js, connection: bus, bucket: 'empty', decode: text });
    try {
      await mirror.synced;
      assert.equal(mirror.size, 0);
      await kv.put('a', enc.encode('1'));
      await eventually('the put mirrored', () => mirror.get('a') === '1');
      await kv.delete('a');
      await eventually('the delete mirrored', () => !mirror.has('a'));
    } finally {
      await mirror.stop();
    }
  });

  test('equals the bucket after concurrent puts, deletes and purges on overlapping keys', async () => {
    const kv = await bucket('race', 5);
    const early = await mirrorBucket({ js: bus.js, connection: bus, bucket: 'race', decode: text });
    await early.synced;
    // Rebuild the content from the change events too: they must tell the whole story.
    const replayed = new Map<string, string>();
    early.on('change', (c) => {
      if (c.op === 'put') replayed.set(c.key, c.value);
      else replayed.delete(c.key);
    });
    let late: Awaited<ReturnType<typeof mirrorBucket<string>>> | undefined;
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const perWriter = 200;
    let ops = 0;
    const writer = async (w: number) => {
      // Each writer has its own connection, as separate services would.
      const conn = await connectBus({ servers: server.url, name: `writer-${w}` });
      try {
        const wkv = await conn.js.views.kv('race', { bindOnly: true });
        for (let i = 0; i < perWriter; i++) {
          const key = keys[Math.floor(random() * keys.length)]!;
          const r = random();
          if (r < 0.6) await wkv.put(key, enc.encode(`${w}-${i}`));
          else if (r < 0.85) await wkv.delete(key);
          else await wkv.purge(key);
          ops++;
        }
      } finally {
        await conn.close();
      }
    };
    try {
      const writers = [0, 1, 2, 3].map(writer);
      // A mirror that starts while the writers are busy.
      await eventually('writers under way', () => ops >= 100, 15_000, 5);
      late = await mirrorBucket({ js: bus.js, connection: bus, bucket: 'race', decode: text });
      const opsAtStart = ops;
      await Promise.all(writers);
      assert.ok(opsAtStart < 4 * perWriter, 'the late mirror started during the writes');
      await late.synced;
      const truth = await serverContent(kv);
      await eventually('the early mirror converged', () => sameContent(truth, early.entries()));
      await eventually('the late mirror converged', () => sameContent(truth, late!.entries()));
      assert.ok(sameContent(truth, replayed), 'change events replay to the same content');
      assert.ok(truth.size > 0 && truth.size < keys.length, `the race left a mix of keys (${truth.size})`);
      assert.deepEqual(new Map(early.entries()), truth);
      assert.deepEqual(new Map(late.entries()), truth);
    } finally {
      await early.stop();
      await late?.stop();
    }
  });

  test('a value that does not decode leaves its key absent and is logged', async () => {
    const kv = await bucket('badvalue');
    await kv.put('good', toBinary(VerdictSchema, create(VerdictSchema, { compliance: Compliance.COMPLIANT })));
    await kv.put('bad', new Uint8Array([0xff, 0xff, 0xff]));
    const logger = memoryLogger();
    const mirror = await mirrorBucket({ js: bus.js, bucket: 'badvalue', decode: (b) => fromBinary(VerdictSchema, b), logger });
    try {
      await mirror.synced;
      assert.equal(mirror.get('good')?.compliance, Compliance.COMPLIANT);
      assert.equal(mirror.has('bad'), false);
      assert.ok(logger.lines.some((l) => l.level === 'error' && (l.obj as { key?: string }).key === 'bad'));
    } finally {
      await mirror.stop();
    }
  });

  test('a missing bucket is refused clearly; a stopped mirror stops following', async () => {
    await assert.rejects(mirrorBucket({ js: bus.js, bucket: 'nosuchbucket', decode: text }), /cannot mirror KV bucket nosuchbucket/);
    const kv = await bucket('stopping');
    const mirror = await mirrorBucket({ js: bus.js, bucket: 'stopping', decode: text });
    await mirror.synced;
    await mirror.stop();
    await mirror.closed;
    await kv.put('after-stop', enc.encode('x'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(mirror.has('after-stop'), false);
  });
});
