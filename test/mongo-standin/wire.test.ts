// The stand-in's wire protocol below the driver: OP_MSG flags and sections the driver does not
// exercise by default (checksum, moreToCome, document sequences in an odd order) and the legacy
// OP_QUERY door that only the handshake may use.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { BSON, type Document } from 'bson';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/index.ts';
import { MessageFramer, OP_MSG, OP_QUERY, OP_REPLY, readHeader } from '../support/mongo-standin/wire.ts';

let standin: MongoStandin;

before(async () => {
  standin = await startMongoStandin();
});

after(async () => {
  await standin.close();
});

let requestId = 100;

function header(length: number, opCode: number, id: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(id, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(
  body: Document,
  opts: { flags?: number; sequences?: Array<[string, Document[]]>; checksum?: boolean } = {},
): { id: number; bytes: Buffer } {
  const parts: Buffer[] = [];
  for (const [identifier, docs] of opts.sequences ?? []) {
    const docBytes = docs.map((d) => Buffer.from(BSON.serialize(d)));
    const name = Buffer.from(`${identifier}\0`, 'utf8');
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docBytes.reduce((s, b) => s + b.length, 0));
    parts.push(Buffer.from([1]), size, name, ...docBytes);
  }
  // The body section after a document sequence: sections may come in any order.
  parts.push(Buffer.from([0]), Buffer.from(BSON.serialize(body)));
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE((opts.flags ?? 0) | (opts.checksum ? 1 : 0));
  const trailer = opts.checksum ? [Buffer.alloc(4, 0xab)] : [];
  const payload = Buffer.concat([flags, ...parts, ...trailer]);
  const id = ++requestId;
  return { id, bytes: Buffer.concat([header(16 + payload.length, OP_MSG, id), payload]) };
}

class RawClient {
  private readonly framer = new MessageFramer(48_000_000);
  private readonly queue: Buffer[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  readonly socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(...this.framer.push(chunk));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  async next(timeoutMs = 2000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.queue.shift();
  }

  /** Reads an OP_MSG reply: [responseTo, body]. */
  async reply(): Promise<[number, Document]> {
    const msg = await this.next();
    assert.ok(msg, 'expected a reply');
    const h = readHeader(msg);
    assert.equal(h.opCode, OP_MSG);
    assert.equal(msg[20], 0, 'a single body section');
    return [h.responseTo, BSON.deserialize(msg.subarray(21))];
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('wire protocol', () => {
  it('accepts OP_MSG with the checksum flag and a trailing CRC', async () => {
    const c = await RawClient.open(standin.port);
    const { id, bytes } = opMsg({ ping: 1, $db: 'admin' }, { checksum: true });
    c.socket.write(bytes);
    const [responseTo, reply] = await c.reply();
    assert.equal(responseTo, id);
    assert.equal(reply['ok'], 1);
    c.close();
  });

  it('stores documents sent as a kind-1 sequence before the body', async () => {
    const c = await RawClient.open(standin.port);
    const insert = opMsg(
      { insert: 'seq', $db: 'wire' },
      {
        sequences: [
          [
            'documents',
            [
              { _id: 1, a: 'x' },
              { _id: 2, a: 'y' },
            ],
          ],
        ],
      },
    );
    c.socket.write(insert.bytes);
    const [, inserted] = await c.reply();
    assert.equal(inserted['n'], 2);
    c.socket.write(opMsg({ find: 'seq', filter: { a: 'y' }, $db: 'wire' }).bytes);
    const [, found] = await c.reply();
    assert.deepEqual(found['cursor'].firstBatch, [{ _id: 2, a: 'y' }]);
    assert.equal(found['cursor'].ns, 'wire.seq');
    c.close();
  });

  it('sends no reply when moreToCome is set (unacknowledged write)', async () => {
    const c = await RawClient.open(standin.port);
    c.socket.write(opMsg({ insert: 'w0', documents: [{ _id: 1 }], writeConcern: { w: 0 }, $db: 'wire' }, { flags: 2 }).bytes);
    const ping = opMsg({ ping: 1, $db: 'admin' });
    c.socket.write(ping.bytes);
    const [responseTo] = await c.reply();
    assert.equal(responseTo, ping.id, 'the first reply answers the ping, not the insert');
    c.socket.write(opMsg({ count: 'w0', $db: 'wire' }).bytes);
    const [, counted] = await c.reply();
    assert.equal(counted['n'], 1, 'the unacknowledged insert did run');
    c.close();
  });

  it('drops a connection that sets an unknown required flag bit', async () => {
    const c = await RawClient.open(standin.port);
    c.socket.write(opMsg({ ping: 1, $db: 'admin' }, { flags: 1 << 4 }).bytes);
    const msg = await c.next();
    assert.equal(msg, undefined);
    assert.equal(c.closed, true);
  });

  it('answers hello over OP_QUERY, and refuses any other OP_QUERY command with code 352', async () => {
    const c = await RawClient.open(standin.port);
    const send = (cmd: Document): number => {
      const ns = Buffer.from('admin.$cmd\0', 'utf8');
      const fixed = Buffer.alloc(4);
      const skipReturn = Buffer.alloc(8);
      skipReturn.writeInt32LE(-1, 4);
      const q = Buffer.from(BSON.serialize(cmd));
      const id = ++requestId;
      const len = 16 + 4 + ns.length + 8 + q.length;
      c.socket.write(Buffer.concat([header(len, OP_QUERY, id), fixed, ns, skipReturn, q]));
      return id;
    };
    const readReply = async (): Promise<[number, Document]> => {
      const msg = await c.next();
      assert.ok(msg);
      const h = readHeader(msg);
      assert.equal(h.opCode, OP_REPLY);
      assert.equal(msg.readInt32LE(16 + 16), 1, 'numberReturned');
      return [h.responseTo, BSON.deserialize(msg.subarray(36))];
    };
    const helloId = send({ isMaster: 1, helloOk: true });
    const [to, hello] = await readReply();
    assert.equal(to, helloId);
    assert.equal(hello['ismaster'], true);
    assert.equal(hello['helloOk'], true);
    assert.equal(hello['maxWireVersion'], 21);
    assert.equal(hello['setName'], undefined, 'a standalone');
    send({ find: 'x' });
    const [, refused] = await readReply();
    assert.equal(refused['ok'], 0);
    assert.equal(refused['code'], 352);
    c.close();
  });

  it('refuses a command without $db and a command body above 16 MiB + 16 KiB', async () => {
    const c = await RawClient.open(standin.port);
    c.socket.write(opMsg({ ping: 1 }).bytes);
    const [, noDb] = await c.reply();
    assert.equal(noDb['ok'], 0);
    assert.equal(noDb['code'], 40571);
    c.socket.write(opMsg({ insert: 'big', documents: [{ s: 'x'.repeat(16 * 1024 * 1024 + 20 * 1024) }], $db: 'wire' }).bytes);
    const [, tooBig] = await c.reply();
    assert.equal(tooBig['ok'], 0);
    assert.equal(tooBig['code'], 10334);
    assert.equal(tooBig['codeName'], 'BSONObjectTooLarge');
    c.close();
  });
});
