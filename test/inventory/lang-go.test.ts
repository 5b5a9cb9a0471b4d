// Go binaries: synthetic build info in both layouts, and a real Go binary when the machine has one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { goBinaryAnalyzer, readGoBuildInfo, stdlibVersion } from '../../packages/inventory/src/lang/gobinary.ts';
import { allPackages, ctx, file, keyed } from './lang/vectors.ts';

const START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const END = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const MODINFO = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.4.0\th1:abc=',
  'dep\tgithub.com/pkg/errors\tv0.9.1\th1:x=',
  'dep\tgolang.org/x/net\tv0.1.0\th1:y=',
  '=>\tgolang.org/x/net\tv0.17.0\th1:z=',
  'dep\texample.com/local\tv1.0.0',
  '=>\t../local\t',
  'build\t-compiler=gc',
  'build\tGOOS=linux',
  '',
].join('\n');

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) (out.push((n & 0x7f) | 0x80), (n = Math.floor(n / 128)));
  out.push(n);
  return Buffer.from(out);
}

/** An ELF-looking blob with the Go ≥ 1.18 inline build info at a 16-aligned offset. */
function inlineBinary(goVersion: string, modinfo: string): Buffer {
  const head = Buffer.alloc(4096);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]).copy(head);
  const hdr = Buffer.alloc(32);
  Buffer.from('\xff Go buildinf:', 'latin1').copy(hdr);
  hdr[14] = 8;
  hdr[15] = 2;
  const mi = Buffer.concat([START, Buffer.from(modinfo), END]);
  const v = Buffer.from(goVersion);
  // A decoy magic at an unaligned offset must be ignored.
  const decoy = Buffer.from('x\xff Go buildinf:', 'latin1');
  decoy.copy(head, 1000);
  return Buffer.concat([head, hdr, varint(v.length), v, varint(mi.length), mi, Buffer.alloc(512)]);
}

/** A minimal 64-bit little-endian ELF with one PT_LOAD and pre-1.18 pointer-style build info. */
function pointerElf(goVersion: string, modinfo: string): Buffer {
  const buf = Buffer.alloc(0x2000);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(buf);
  const base = 0x400000;
  buf.writeBigUInt64LE(0x40n, 0x20); // e_phoff
  buf.writeUInt16LE(56, 0x36); // e_phentsize
  buf.writeUInt16LE(1, 0x38); // e_phnum
  const ph = 0x40;
  buf.writeUInt32LE(1, ph); // PT_LOAD
  buf.writeBigUInt64LE(0n, ph + 8); // p_offset
  buf.writeBigUInt64LE(BigInt(base), ph + 16); // p_vaddr
  buf.writeBigUInt64LE(BigInt(buf.length), ph + 32); // p_filesz
  const bi = 0x200;
  Buffer.from('\xff Go buildinf:', 'latin1').copy(buf, bi);
  buf[bi + 14] = 8;
  buf[bi + 15] = 0;
  const vHdr = 0x300;
  const mHdr = 0x320;
  buf.writeBigUInt64LE(BigInt(base + vHdr), bi + 16);
  buf.writeBigUInt64LE(BigInt(base + mHdr), bi + 24);
  const vData = 0x400;
  const mData = 0x500;
  const mi = Buffer.concat([START, Buffer.from(modinfo), END]);
  Buffer.from(goVersion).copy(buf, vData);
  mi.copy(buf, mData);
  buf.writeBigUInt64LE(BigInt(base + vData), vHdr);
  buf.writeBigUInt64LE(BigInt(goVersion.length), vHdr + 8);
  buf.writeBigUInt64LE(BigInt(base + mData), mHdr);
  buf.writeBigUInt64LE(BigInt(mi.length), mHdr + 8);
  return buf;
}

const WANT = [
  'pkg:golang/example.com/app@v1.4.0',
  'pkg:golang/example.com/local@v1.0.0',
  'pkg:golang/github.com/pkg/errors@v0.9.1',
  'pkg:golang/golang.org/x/net@v0.17.0',
  'pkg:golang/stdlib@1.22.1',
];

test('Go binary: Go ≥ 1.18 inline build info (main module, deps, replacements, stdlib)', async () => {
  const bin = inlineBinary('go1.22.1', MODINFO);
  assert.ok(goBinaryAnalyzer.required('usr/local/bin/app', { size: bin.length, mode: 0o755 }));
  assert.ok(!goBinaryAnalyzer.required('usr/local/bin/app', { size: bin.length, mode: 0o644 }));
  const r = await goBinaryAnalyzer.analyze(file('usr/local/bin/app', bin, 0o755), ctx);
  const pk = allPackages(r);
  assert.deepEqual(
    keyed(pk, (p) => p.purl),
    WANT,
  );
  assert.equal(r?.packageSets?.[0]?.path, 'usr/local/bin/app');
  assert.deepEqual(pk.find((p) => p.name === 'example.com/app')?.dependsOn, [
    'example.com/local@v1.0.0',
    'github.com/pkg/errors@v0.9.1',
    'golang.org/x/net@v0.17.0',
  ]);
});

test('Go binary: pre-1.18 pointer build info through ELF program headers', async () => {
  const r = await goBinaryAnalyzer.analyze(file('bin/old', pointerElf('go1.22.1', MODINFO), 0o755), ctx);
  assert.deepEqual(
    keyed(allPackages(r), (p) => p.purl),
    WANT,
  );
});

test('Go binary: (devel) main module skipped, stdlib versions, not-Go and truncated inputs', async () => {
  const r = await goBinaryAnalyzer.analyze(
    file('bin/dev', inlineBinary('go1.21rc2 X:boringcrypto', 'path\tx\nmod\texample.com/x\t(devel)\t\n'), 0o755),
    ctx,
  );
  assert.deepEqual(
    keyed(allPackages(r), (p) => p.purl),
    ['pkg:golang/stdlib@1.21rc2'],
  );
  assert.equal(stdlibVersion('devel go1.23-abcdef'), undefined);
  assert.equal(await goBinaryAnalyzer.analyze(file('bin/sh', Buffer.alloc(4096, 1), 0o755), ctx), undefined);
  const trunc = inlineBinary('go1.22.1', MODINFO).subarray(0, 4096 + 34);
  const t = await goBinaryAnalyzer.analyze(file('bin/t', trunc, 0o755), ctx);
  assert.equal(allPackages(t).length, 0);
  assert.match(t?.warnings?.[0] ?? '', /truncated/);
});

// Debian's Go-built tools that `npm test` installs for the real-server tests.
const REAL = ['/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/umoci'].filter((p) => existsSync(p));
test('Go binary: a real Go binary (Debian docker-registry, installed by npm test)', async () => {
  assert.ok(REAL.length > 0, 'docker-registry, skopeo or umoci is installed');
  const p = REAL[0]!;
  const buf = readFileSync(p);
  const bi = readGoBuildInfo(buf);
  assert.match(bi.info?.goVersion ?? '', /^go1\./);
  const r = await goBinaryAnalyzer.analyze(file(p.slice(1), buf, statSync(p).mode & 0o777), ctx);
  const pk = allPackages(r);
  // Debian builds its Go tools without module info, so the toolchain is what they record.
  const stdlib = pk.find((x) => x.name === 'stdlib');
  assert.ok(stdlib, 'stdlib');
  assert.equal(`go${stdlib.version}`, bi.info?.goVersion?.split(/\s|X:/)[0]);
  assert.ok(pk.every((x) => x.purl.startsWith('pkg:golang/') && x.version));
});
