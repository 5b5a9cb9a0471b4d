import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  ClamdClient,
  ClamdLimitError,
  ClamdProtocolError,
  ClamdUnavailableError,
  parseClamdVersion,
  parseScanReply,
} from '../../packages/clamav/src/index.ts';
import { EICAR_DETECTION, eicarBytes, startClamd, type Clamd } from '../support/clamd.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir } from '../support/tempdir.ts';

function clamdBinaryVersion(): string {
  const dirs = [
    process.env.ASSAY_CLAMD ? dirname(process.env.ASSAY_CLAMD) : '',
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
  ];
  const bin = dirs
    .filter(Boolean)
    .map((d) => join(d, 'clamd'))
    .find((f) => existsSync(f));
  assert.ok(bin, 'clamd binary');
  return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
}

describe('clamd client against a real clamd', () => {
  let clamd: Clamd;
  let sockDir: { path: string; remove(): Promise<void> };
  let client: ClamdClient;
  before(async () => {
    sockDir = await makeTempDir('clamd-sock');
    clamd = await startClamd({ extraConfig: `LocalSocket ${join(sockDir.path, 'clamd.sock')}` });
    client = new ClamdClient({ address: { host: clamd.host, port: clamd.port }, maxStreamBytes: 100 * 1024 * 1024 });
  });
  after(async () => {
    await clamd?.close();
    await sockDir?.remove();
  });

  test('ping and version (engine parsed; the custom database leaves the database parts out or numeric)', async () => {
    await client.ping();
    const v = await client.version();
    assert.match(v.engine, /^\d+\.\d+\.\d+/);
    // The same engine version the binary states (`clamd --version` → `ClamAV 1.4.6`).
    assert.equal(`ClamAV ${v.engine}`, clamdBinaryVersion().split('/')[0]);
    assert.ok(v.raw.startsWith(`ClamAV ${v.engine}`), v.raw);
    if (v.databaseVersion !== undefined) assert.ok(Number.isInteger(v.databaseVersion));
  });

  test('EICAR in a Buffer is found, with the signature name', async () => {
    const r = await client.scanStream(eicarBytes());
    assert.equal(r.infected, true);
    assert.equal(r.signature, EICAR_DETECTION);
    assert.equal(r.bytes, 68);
  });

  test('EICAR in a Readable split into odd chunks is found (chunks re-cut to the chunk size)', async () => {
    const small = new ClamdClient({ address: { host: clamd.host, port: clamd.port }, chunkBytes: 7 });
    const e = eicarBytes();
    const r = await small.scanStream(Readable.from([e.subarray(0, 10), e.subarray(10, 50), e.subarray(50)]));
    assert.equal(r.infected, true);
    assert.equal(r.signature, EICAR_DETECTION);
  });

  test('clean data passes', async () => {
    const r = await client.scanStream(Readable.from([randomBytes(300_000), randomBytes(300_000)]));
    assert.deepEqual(r, { infected: false, bytes: 600_000 });
  });

  test('over a unix socket too', async () => {
    const unix = new ClamdClient({ address: { socketPath: join(sockDir.path, 'clamd.sock') } });
    await unix.ping();
    assert.equal((await unix.scanStream(eicarBytes())).infected, true);
    assert.equal((await unix.scanStream(Buffer.from('hello'))).infected, false);
  });

  test('concurrent scans beyond maxConcurrent all complete', async () => {
    const c = new ClamdClient({ address: { host: clamd.host, port: clamd.port }, maxConcurrent: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => c.scanStream(i % 2 === 0 ? eicarBytes() : randomBytes(1000))));
    assert.deepEqual(
      results.map((r) => r.infected),
      [true, false, true, false, true, false, true, false],
    );
  });
});

describe('stream limit', () => {
  let clamd: Clamd;
  before(async () => {
    clamd = await startClamd({ streamMaxLength: '1M' });
  });
  after(async () => {
    await clamd?.close();
  });

  test('clamd refuses a stream over its StreamMaxLength: ClamdLimitError', async () => {
    // The client is told a larger limit than clamd has, so the refusal comes from clamd itself.
    const client = new ClamdClient({ address: { host: clamd.host, port: clamd.port }, maxStreamBytes: 8 * 1024 * 1024 });
    await assert.rejects(client.scanStream(randomBytes(3 * 1024 * 1024)), (err: unknown) => {
      assert.ok(err instanceof ClamdLimitError, String(err));
      // clamd's answer when it is read in time; the pipe closing under us otherwise.
      assert.match(err.message, /size limit exceeded|StreamMaxLength is below/);
      return true;
    });
    // clamd is still fine afterwards.
    await client.ping();
  });

  test('the client never sends more than maxStreamBytes: Buffer refused up front, Readable cut off', async () => {
    const client = new ClamdClient({ address: { host: clamd.host, port: clamd.port }, maxStreamBytes: 1024 * 1024 });
    await assert.rejects(client.scanStream(randomBytes(1024 * 1024 + 1)), ClamdLimitError);
    await assert.rejects(client.scanStream(Readable.from([randomBytes(700_000), randomBytes(700_000)])), (err: unknown) => {
      assert.ok(err instanceof ClamdLimitError);
      assert.equal(err.limitBytes, 1024 * 1024);
      assert.match(err.message, /exceeds the limit of 1048576/);
      return true;
    });
    // Exactly at the limit is accepted by clamd.
    assert.equal((await client.scanStream(randomBytes(1024 * 1024))).infected, false);
  });
});

describe('clamd unavailable', () => {
  test('stopped clamd: ping and scans throw ClamdUnavailableError', async () => {
    const clamd = await startClamd();
    const client = new ClamdClient({ address: { host: clamd.host, port: clamd.port } });
    await client.ping();
    await clamd.close();
    await assert.rejects(client.ping(), ClamdUnavailableError);
    await assert.rejects(client.scanStream(eicarBytes()), (err: unknown) => {
      assert.ok(err instanceof ClamdUnavailableError);
      assert.match(err.message, new RegExp(`${clamd.host}:${clamd.port}`));
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });

  test('missing unix socket: ClamdUnavailableError', async () => {
    const dir = await makeTempDir('clamd-nosock');
    try {
      await assert.rejects(new ClamdClient({ address: { socketPath: join(dir.path, 'none.sock') } }).ping(), ClamdUnavailableError);
    } finally {
      await dir.remove();
    }
  });

  test('a daemon that accepts and never answers: ClamdUnavailableError after timeoutMs', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.resume();
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const client = new ClamdClient({ address: { host: '127.0.0.1', port }, timeoutMs: 300 });
      const started = Date.now();
      await assert.rejects(client.scanStream(eicarBytes()), (err: unknown) => {
        assert.ok(err instanceof ClamdUnavailableError);
        assert.match(err.message, /no answer within 300 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('connection closed mid-stream (a fake clamd, to make the race deterministic)', () => {
  async function fakeClamd(answerPing: boolean) {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      let seen = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        seen = Buffer.concat([seen, c]);
        if (seen.toString('latin1').startsWith('zPING\0')) {
          if (answerPing) s.end('PONG\0');
          else s.destroy();
        } else if (seen.length > 200_000) {
          s.resetAndDestroy(); // like clamd closing on unread data: no answer reaches the client
        }
      });
      s.on('error', () => {});
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return {
      port,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  test('closed while clamd still answers PING: ClamdLimitError (its StreamMaxLength is lower)', async () => {
    const fake = await fakeClamd(true);
    try {
      const client = new ClamdClient({ address: { host: '127.0.0.1', port: fake.port }, maxConcurrent: 1 });
      await assert.rejects(client.scanStream(Readable.from(Array.from({ length: 200 }, () => randomBytes(64 * 1024)))), (err: unknown) => {
        assert.ok(err instanceof ClamdLimitError, String(err));
        assert.match(err.message, /StreamMaxLength is below this client's maxStreamBytes/);
        return true;
      });
    } finally {
      await fake.close();
    }
  });

  test('closed and clamd gone: ClamdUnavailableError', async () => {
    const fake = await fakeClamd(false);
    try {
      const client = new ClamdClient({ address: { host: '127.0.0.1', port: fake.port } });
      await assert.rejects(
        client.scanStream(Readable.from(Array.from({ length: 200 }, () => randomBytes(64 * 1024)))),
        ClamdUnavailableError,
      );
    } finally {
      await fake.close();
    }
  });
});

describe('reply parsing', () => {
  test('version replies', () => {
    assert.deepEqual(parseClamdVersion('ClamAV 1.4.6/27431/Wed Nov 26 09:24:01 2026'), {
      engine: '1.4.6',
      databaseVersion: 27431,
      databaseDate: 'Wed Nov 26 09:24:01 2026',
      raw: 'ClamAV 1.4.6/27431/Wed Nov 26 09:24:01 2026',
    });
    assert.deepEqual(parseClamdVersion('ClamAV 1.4.6'), { engine: '1.4.6', raw: 'ClamAV 1.4.6' });
    assert.equal(parseClamdVersion('PONG'), undefined);
  });

  test('scan replies', () => {
    assert.deepEqual(parseScanReply('stream: OK', 5), { infected: false, bytes: 5 });
    assert.deepEqual(parseScanReply('stream: Win.Test.EICAR_HDB-1 FOUND', 68), {
      infected: true,
      signature: 'Win.Test.EICAR_HDB-1',
      bytes: 68,
    });
    assert.throws(() => parseScanReply('INSTREAM size limit exceeded. ERROR', 0), ClamdLimitError);
    assert.throws(() => parseScanReply("stream: Can't allocate memory ERROR", 0), ClamdProtocolError);
    assert.throws(() => parseScanReply('what', 0), ClamdProtocolError);
  });
});
