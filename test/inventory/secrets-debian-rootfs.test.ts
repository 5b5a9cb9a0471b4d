// The secret analyzer over a real Debian rootfs with ssl-cert installed (its postinst makes
// the snakeoil key pair): the private key in etc/ssl/private is reported, masked, and nothing
// else in a stock system is (no false positives from docs, certificate bundles or binaries).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import tarStream from 'tar-stream';
import type { SensitiveFinding } from '../../packages/inventory/src/analyzer.ts';
import { secretAnalyzer } from '../../packages/inventory/src/secrets/index.ts';
import { debianRootfsTar } from '../support/debian-rootfs.ts';

const have = (cmd: string) => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

test('Debian rootfs with ssl-cert: the snakeoil key is the only finding', { timeout: 600_000 }, async (t) => {
  if (!have('mmdebstrap')) return t.skip('mmdebstrap missing');
  const tar = await debianRootfsTar({ include: ['ca-certificates', 'ssl-cert'] });
  const analyzer = secretAnalyzer();
  const findings: SensitiveFinding[] = [];
  let keyBody: string | undefined;
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const path = header.name.replace(/^\.\//, '');
    const info = { size: header.size ?? 0, mode: header.mode ?? 0 };
    if (header.type !== 'file' || !analyzer.required(path, info)) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
    stream.on('end', async () => {
      const content = Buffer.concat(chunks);
      if (path === 'etc/ssl/private/ssl-cert-snakeoil.key') keyBody = content.toString('utf8').split('\n')[1];
      const r = await analyzer.analyze({ path, content, ...info }, { layerDigest: 'sha256:debian' });
      findings.push(...(r?.sensitiveFindings ?? []));
      next();
    });
  });
  await pipeline(createReadStream(tar), extract as unknown as Writable);
  assert.ok(keyBody && keyBody.length > 40, 'ssl-cert made no snakeoil key');
  assert.deepEqual(
    findings.map((f) => [f.rule, f.path, f.severity, f.line]),
    [['private-key', 'etc/ssl/private/ssl-cert-snakeoil.key', 'high', 2]],
  );
  assert.ok(!JSON.stringify(findings).includes(keyBody.slice(0, 16)));
  assert.match(findings[0]!.masked, /^\*{64}$/);
});
