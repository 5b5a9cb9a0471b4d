// Self-tests of the ClamAV harness against the real clamd: EICAR found over INSTREAM (alone and
// inside a gzip layer), clean data passes, extra signatures load, and the stream limit holds.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clamdCommand, clamdInstream, type Clamd, EICAR_DETECTION, EICAR_MD5, eicarBytes, startClamd } from '../support/clamd.ts';
import { buildLayer } from '../support/oci-image.ts';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/08-eicar/eicar.vectors.json', import.meta.url));

describe('clamd', () => {
  let clamd: Clamd;
  const customBody = Buffer.from('assay custom signature body: forbidden-marker-7f3a');

  before(async () => {
    clamd = await startClamd({
      databases: { 'extra.ndb': `Assay.Test.Marker:0:*:${Buffer.from('forbidden-marker-7f3a').toString('hex')}\n` },
      streamMaxLength: '1M',
    });
  });
  after(async () => {
    await clamd?.close();
  });

  test('the EICAR builder gives the 68 standard bytes', async () => {
    const eicar = eicarBytes();
    assert.equal(eicar.length, 68);
    assert.equal(createHash('md5').update(eicar).digest('hex'), EICAR_MD5);
    const vectors = JSON.parse(await readFile(VECTORS, 'utf8').catch(() => 'null')) as { sha256_68: string } | null;
    if (vectors) assert.equal(createHash('sha256').update(eicar).digest('hex'), vectors.sha256_68);
  });

  test('answers PING and VERSION', async () => {
    assert.equal(await clamdCommand(clamd, 'PING'), 'PONG');
    assert.match(await clamdCommand(clamd, 'VERSION'), /^ClamAV \d+\.\d+/);
  });

  test('finds EICAR over INSTREAM, also in small chunks', async () => {
    assert.equal(await clamdInstream(clamd, eicarBytes()), `stream: ${EICAR_DETECTION} FOUND`);
    assert.equal(await clamdInstream(clamd, eicarBytes(), 7), `stream: ${EICAR_DETECTION} FOUND`);
  });

  test('answers OK for clean data', async () => {
    assert.equal(await clamdInstream(clamd, Buffer.from('just a text file\n'.repeat(1000))), 'stream: OK');
    const almost = Buffer.from(eicarBytes().toString('ascii').toLowerCase());
    assert.equal(await clamdInstream(clamd, almost), 'stream: OK');
  });

  test('finds EICAR inside a gzip image layer (archive scanning)', async () => {
    const layer = await buildLayer([
      { path: 'usr/share/doc/readme', content: 'nothing here\n' },
      { path: 'tmp/eicar.com', content: eicarBytes() },
    ]);
    assert.equal(await clamdInstream(clamd, layer.data!), `stream: ${EICAR_DETECTION} FOUND`);
  });

  test('loads extra databases given by the caller', async () => {
    assert.equal(
      await clamdInstream(clamd, Buffer.concat([Buffer.from('prefix '), customBody])),
      'stream: Assay.Test.Marker.UNOFFICIAL FOUND',
    );
  });

  test('refuses a stream over StreamMaxLength', async () => {
    const reply = await clamdInstream(clamd, Buffer.alloc(2 * 1024 * 1024, 0x61)).catch((err: Error) => err.message);
    // clamd answers and closes at once; a client still writing may see the close (EPIPE/reset)
    // before the answer, which the kernel then drops. Either way the stream was refused.
    assert.match(reply, /size limit exceeded|EPIPE|ECONNRESET/);
    assert.doesNotMatch(reply, /stream: OK/);
    assert.equal(await clamdCommand(clamd, 'PING'), 'PONG', 'and clamd goes on serving');
  });

  test('keeps its pid file and log in its own directory', async () => {
    const pid = Number((await readFile(join(clamd.dir, 'clamd.pid'), 'utf8')).trim());
    assert.equal(pid, clamd.process()?.child.pid);
    assert.match(await readFile(join(clamd.dir, 'clamd.log'), 'utf8'), /Loaded \d+ signatures/);
  });
});
