// The layer pipeline and the analyzer walk over built layers, without a registry: compression
// by magic (gzip, zstd, none), whiteouts and opaque directories giving the final view, deleted
// files listed, the system-installed rule, hostile layers (path traversal, absolute paths,
// symlink loops and escapes, a gzip bomb with bounded memory, a million entries, not-a-tar,
// truncated gzip, a wrong diff_id), image config facts, and the CycloneDX export.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, test } from 'node:test';
import {
  analyzeLayer,
  DEFAULT_LIMITS,
  finalView,
  LayerFormatError,
  LayerLimitError,
  parseImageConfig,
  streamLayer,
  toCycloneDx,
  cleanPath,
  type LayerAnalysis,
} from '@assay/scan-engine';
import type { ScanReport } from '@assay/domain';
import { AnalyzerRegistry } from '@assay/inventory';
import { buildLayer, hostileLayers, sha256Digest, type LayerEntry, type LayerSpec } from '../support/oci-image.ts';
import { peakRss, testAnalyzers } from './helpers.ts';

const MiB = 1024 * 1024;

async function walk(spec: LayerSpec, limits = DEFAULT_LIMITS): Promise<LayerAnalysis> {
  const l = await buildLayer(spec);
  return analyzeLayer(Readable.from([l.data!]), testAnalyzers(), { layerDigest: l.digest, expectedDiffId: l.diffId, limits });
}

const base: LayerEntry[] = [
  { path: 'etc/', type: 'dir' },
  { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
  { path: 'var/lib/testpkg/status', content: 'libc6 2.36-9\nbash 5.2.15-2\npython3-six 1.16.0-4\n' },
  { path: 'var/lib/testpkg/python3-six.list', content: '/usr/lib/python3/dist-packages/six/app.lock\n' },
  { path: 'usr/lib/python3/dist-packages/six/app.lock', content: 'six@1.16.0\n' },
  { path: 'srv/app/app.lock', content: 'left-pad@1.3.0\nlodash@4.17.21\n' },
  { path: 'opt/tool/app.lock', content: 'chalk@5.3.0\n' },
  { path: 'opt/tool/README', content: 'hi\n' },
];

describe('scanner: layer pipeline', () => {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    test(`walks a ${compression} layer in one pass and hands analyzers their files`, async () => {
      const a = await walk({ entries: base, compression });
      assert.equal(a.compression, compression);
      assert.deepEqual(a.os, { family: 'debian', name: '12' });
      const sets = Object.fromEntries(a.packageSets.map((s) => [s.path, s.packages.map((p) => `${p.name}@${p.version}`)]));
      assert.deepEqual(sets, {
        'var/lib/testpkg/status': ['libc6@2.36-9', 'bash@5.2.15-2', 'python3-six@1.16.0-4'],
        'usr/lib/python3/dist-packages/six/app.lock': ['six@1.16.0'],
        'srv/app/app.lock': ['left-pad@1.3.0', 'lodash@4.17.21'],
        'opt/tool/app.lock': ['chalk@5.3.0'],
      });
      for (const s of a.packageSets) for (const p of s.packages) assert.equal(p.layerDigest, a.layerDigest);
      assert.deepEqual(a.systemInstalledFiles, ['usr/lib/python3/dist-packages/six/app.lock']);
      assert.equal(a.entries, base.length);
    });
  }

  test('whiteouts and opaque directories give the final view; deleted files stay listed', async () => {
    const l0 = await walk(base);
    const l1 = await walk([
      // the lock under srv/app is deleted, opt/tool made opaque (its lock gone), the status replaced
      { path: 'srv/app/.wh.app.lock', content: '' },
      { path: 'opt/tool/.wh..wh..opq', content: '' },
      { path: 'opt/tool/other.txt', content: 'x\n' },
      { path: 'var/lib/testpkg/status', content: 'libc6 2.36-10\npython3-six 1.16.0-4\n' },
      { path: 'etc/.wh.secret.pem', content: '' },
    ]);
    const l2 = await walk([
      { path: 'home/app/app.lock', content: 'express@4.19.2\n' },
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12.5"\n' },
    ]);
    const v = finalView([l0, l1, l2]);
    assert.deepEqual(v.os, { family: 'debian', name: '12.5' });
    const got = v.packages.map((p) => `${p.type}:${p.name}@${p.version}`).sort();
    assert.deepEqual(got, ['deb:libc6@2.36-10', 'deb:python3-six@1.16.0-4', 'npm:express@4.19.2'].sort());
    // six came from a file dpkg installed: dropped (Trivy's rule), not double-counted
    assert.ok(v.removedSets.some((r) => r.path === 'usr/lib/python3/dist-packages/six/app.lock' && /OS package manager/.test(r.why)));
    assert.ok(v.removedSets.some((r) => r.path === 'srv/app/app.lock' && /deleted/.test(r.why)));
    assert.ok(v.removedSets.some((r) => r.path === 'opt/tool/app.lock' && /opaque/.test(r.why)));
    assert.ok(v.removedSets.some((r) => r.path === 'var/lib/testpkg/status' && r.layerDigest === l0.layerDigest && /replaced/.test(r.why)));
    const deleted = v.deleted.map((d) => `${d.how}:${d.path}`).sort();
    assert.deepEqual(deleted, ['opaque:opt/tool', 'whiteout:etc/secret.pem', 'whiteout:srv/app/app.lock']);
    assert.ok(v.deleted.every((d) => d.layerDigest === l1.layerDigest));
    // packages keep the layer they were found in
    assert.equal(v.packages.find((p) => p.name === 'express')!.layerDigest, l2.layerDigest);
    assert.equal(v.packages.find((p) => p.name === 'libc6')!.layerDigest, l1.layerDigest);
  });

  test('an analyzer that throws costs a warning, not the layer', async () => {
    const a = await walk([{ path: 'boom', content: 'x' }, ...base]);
    assert.ok(
      a.warnings.some((w) => w.includes('test-boom') && w.includes('kaboom')),
      a.warnings.join('\n'),
    );
    assert.ok(a.packageSets.length > 0);
  });

  test('files larger than the limit are skipped with a warning', async () => {
    const a = await walk([{ path: 'srv/big/app.lock', content: Buffer.alloc(4096, 0x61) }, ...base], {
      ...DEFAULT_LIMITS,
      maxFileSize: 2048,
    });
    assert.ok(
      a.warnings.some((w) => w.includes('skipped srv/big/app.lock')),
      a.warnings.join('\n'),
    );
    assert.ok(!a.packageSets.some((s) => s.path === 'srv/big/app.lock'));
  });

  test('hardlinks within the layer are resolved for analyzers; links out of it are not', async () => {
    const a = await walk([...base, { path: 'srv/copy/app.lock', type: 'hardlink', linkname: 'srv/app/app.lock' }]);
    assert.deepEqual(
      a.packageSets.find((s) => s.path === 'srv/copy/app.lock')?.packages.map((p) => p.name),
      ['left-pad', 'lodash'],
    );
  });

  test('group analyzers finding the OS run first, whatever the tar order', async () => {
    const seen: (string | undefined)[] = [];
    const reg = new AnalyzerRegistry([
      {
        kind: 'group',
        type: 'pkgs-probe',
        version: 1,
        required: (p) => p === 'var/lib/x/status',
        analyzeGroup: (_fs, ctx) => void seen.push(ctx.os?.family),
      },
      {
        kind: 'group',
        type: 'os-release',
        version: 1,
        required: (p) => p === 'etc/os-release',
        analyzeGroup: () => ({ os: { family: 'alpine', name: '3.20' } }),
      },
    ]);
    const l = await buildLayer([
      { path: 'var/lib/x/status', content: 'x' },
      { path: 'etc/os-release', content: 'ID=alpine' },
    ]);
    const a = await analyzeLayer(Readable.from([l.data!]), reg, { layerDigest: l.digest, limits: DEFAULT_LIMITS });
    assert.deepEqual(seen, ['alpine']);
    assert.equal(a.os?.family, 'alpine');
  });

  test('cleanPath normalises names and refuses escapes', () => {
    assert.deepEqual(cleanPath('./usr/bin/x'), { ok: true, path: 'usr/bin/x' });
    assert.deepEqual(cleanPath('/etc/shadow'), { ok: true, path: 'etc/shadow' });
    assert.deepEqual(cleanPath('a/./b/../c'), { ok: true, path: 'a/c' });
    assert.equal(cleanPath('../x').ok, false);
    assert.equal(cleanPath('a/../../x').ok, false);
  });
});

describe('scanner: hostile layers', () => {
  test('path traversal entries are skipped with a warning, nothing else happens', async () => {
    const a = await walk([...hostileLayers.pathTraversal(), { path: 'srv/app/app.lock', content: 'ok@1.0.0\n' }]);
    assert.equal(a.warnings.filter((w) => w.includes('climbs out of the layer root')).length, 2, a.warnings.join('\n'));
    assert.deepEqual(
      a.packageSets.map((s) => s.path),
      ['srv/app/app.lock'],
    );
  });

  test('absolute paths stay inside the layer root', async () => {
    const a = await walk([...hostileLayers.absolutePaths(), { path: '/app.lock', content: 'abs@1.0.0\n' }]);
    assert.deepEqual(
      a.packageSets.map((s) => s.path),
      ['app.lock'],
    );
  });

  test('symlink loops and escapes terminate and are never followed', async () => {
    const t0 = Date.now();
    const a = await walk([...hostileLayers.symlinkLoop(), ...hostileLayers.symlinkEscape(), { path: 'loop/a/app.lock', content: 'x@1\n' }]);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(a.symlinks, 4);
    // a file "written through" the escape symlink is just a path in the layer
    assert.ok(a.packageSets.some((s) => s.path === 'loop/a/app.lock'));
  });

  test('a gzip bomb aborts with a clear limit error, and memory stays bounded', async () => {
    const bomb = await buildLayer(hostileLayers.gzipBomb(1024 * MiB));
    assert.ok(bomb.size < 4 * MiB, `bomb is ${bomb.size} bytes`);
    const limited = await peakRss(() =>
      analyzeLayer(Readable.from([bomb.data!]), testAnalyzers(), {
        layerDigest: bomb.digest,
        limits: { ...DEFAULT_LIMITS, maxInflatedBytes: 256 * MiB },
      }),
    );
    assert.ok(limited.error instanceof LayerLimitError, String(limited.error));
    assert.match((limited.error as Error).message, new RegExp(`^LayerLimitError: layer ${bomb.digest} inflates past 256 MiB$`));
    // The same bomb under the default 8 GiB limit inflates all the way: streamed, never held.
    const full = await peakRss(() =>
      streamLayer(Readable.from([bomb.data!]), { layerDigest: bomb.digest, limits: DEFAULT_LIMITS }, () => {}),
    );
    assert.equal(full.error, undefined);
    assert.equal(full.result!.inflatedBytes, 1024 * MiB + 512 + 1024);
    assert.ok(full.peakMb < 512, `peak RSS ${full.peakMb.toFixed(0)} MB`);
    // Several files that add up past the limit are stopped by the running count, not the headers.
    const many = Buffer.concat(Array.from({ length: 8 }, () => (hostileLayers.gzipBomb(64 * MiB, 'z') as { raw: Buffer }).raw));
    const multi = await peakRss(() =>
      streamLayer(
        Readable.from([many]),
        { layerDigest: sha256Digest(many), limits: { ...DEFAULT_LIMITS, maxInflatedBytes: 200 * MiB } },
        () => {},
      ),
    );
    assert.ok(multi.error instanceof LayerLimitError && /inflates past 200 MiB/.test(multi.error.message), String(multi.error));
    assert.ok(multi.peakMb < 512);
  });

  test('a PAX header larger than the limit aborts before the tar reader buffers it; ordinary ones pass, whatever the chunking', async () => {
    const tarOf = async (entries: Array<{ header: Record<string, unknown>; body: string }>) => {
      const p = tar.pack();
      const out: Buffer[] = [];
      const done = (async () => {
        for await (const c of p) out.push(c as Buffer);
      })();
      for (const e of entries) await new Promise<void>((res, rej) => p.entry(e.header as never, e.body, (err) => (err ? rej(err) : res())));
      p.finalize();
      await done;
      return Buffer.concat(out);
    };
    const huge = await tarOf([
      { header: { name: 'etc/huge', pax: { comment: 'x'.repeat(8 * MiB) } }, body: 'hello' },
      { header: { name: 'srv/app/app.lock' }, body: 'a@1.0.0\n' },
    ]);
    const refused = await streamLayer(Readable.from([huge]), { layerDigest: sha256Digest(huge), limits: DEFAULT_LIMITS }, () => {}).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.ok(refused instanceof LayerLimitError, String(refused));
    assert.equal(refused.limit, 'maxHeaderBytes');
    assert.match(refused.message, /has a PAX header of \d+ bytes, over 1 MiB$/);

    const longPath = `srv/${'d'.repeat(120)}/${'e'.repeat(120)}/app.lock`;
    const fine = await tarOf([
      { header: { name: longPath }, body: 'b@2.0.0\n' },
      { header: { name: 'etc/small', pax: { comment: 'y'.repeat(10_000) } }, body: 'ok' },
      { header: { name: 'etc/after' }, body: 'z'.repeat(700) },
    ]);
    for (const size of [fine.length, 511, 100, 7]) {
      const chunks = [];
      for (let i = 0; i < fine.length; i += size) chunks.push(fine.subarray(i, i + size));
      const seen: string[] = [];
      await streamLayer(Readable.from(chunks), { layerDigest: sha256Digest(fine), limits: DEFAULT_LIMITS }, (h) => void seen.push(h.path));
      assert.deepEqual(seen, [longPath, 'etc/small', 'etc/after'], `chunks of ${size}`);
    }
  });

  test('a million-entry tar hits the entry limit in bounded time', async () => {
    const n = 1_000_001;
    const header = (i: number) => {
      const h = Buffer.alloc(512);
      h.write(`f/${i}`, 0, 100, 'ascii');
      h.write('0000644\0', 100);
      h.write('0000000\0', 108);
      h.write('0000000\0', 116);
      h.write('00000000000\0', 124);
      h.write('00000000000\0', 136);
      h.write('        ', 148);
      h.write('0', 156);
      h.write('ustar\x0000', 257);
      let sum = 0;
      for (const b of h) sum += b;
      h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      return h;
    };
    function* gen() {
      const batch = 1024;
      for (let i = 0; i < n; i += batch) {
        const parts: Buffer[] = [];
        for (let j = i; j < Math.min(n, i + batch); j++) parts.push(header(j));
        yield Buffer.concat(parts);
      }
      yield Buffer.alloc(1024);
    }
    const t0 = Date.now();
    const r = await peakRss(() =>
      streamLayer(
        Readable.from(gen()),
        { layerDigest: 'sha256:' + 'a'.repeat(64), limits: { ...DEFAULT_LIMITS, maxEntries: 100_000 } },
        () => {},
      ),
    );
    assert.ok(r.error instanceof LayerLimitError, String(r.error));
    assert.match((r.error as Error).message, /has more than 100000 entries/);
    assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
    // and with the default limit (1,000,000) the millionth-and-first entry stops it
    const t1 = Date.now();
    const d = await peakRss(() =>
      streamLayer(Readable.from(gen()), { layerDigest: 'sha256:' + 'b'.repeat(64), limits: DEFAULT_LIMITS }, () => {}),
    );
    assert.ok(d.error instanceof LayerLimitError && /more than 1000000 entries/.test(d.error.message), String(d.error));
    assert.ok(Date.now() - t1 < 120_000, `took ${Date.now() - t1} ms`);
    assert.ok(d.peakMb < 512, `peak RSS ${d.peakMb.toFixed(0)} MB`);
  });

  test('truncated gzip, not-a-tar and a wrong diff_id are layer format errors', async () => {
    for (const spec of [hostileLayers.truncatedGzip(), hostileLayers.notATar()]) {
      const l = await buildLayer(spec);
      await assert.rejects(
        streamLayer(Readable.from([l.data!]), { layerDigest: l.digest, limits: DEFAULT_LIMITS }, () => {}),
        (e: unknown) => e instanceof LayerFormatError && e.message.startsWith(`layer ${l.digest}:`),
      );
    }
    const wrong = await buildLayer(hostileLayers.diffIdMismatch());
    await assert.rejects(
      streamLayer(
        Readable.from([wrong.data!]),
        { layerDigest: wrong.digest, expectedDiffId: wrong.diffId, limits: DEFAULT_LIMITS },
        () => {},
      ),
      /inflates to sha256:[0-9a-f]{64}, but the image config says its diff_id is/,
    );
  });

  test('an over-long path aborts the layer', async () => {
    await assert.rejects(
      walk([{ path: `${'d/'.repeat(100)}x`, content: 'x' }], { ...DEFAULT_LIMITS, maxPathLength: 100 }),
      /longer than 100 bytes/,
    );
  });
});

describe('scanner: image config facts', () => {
  test('env names only, ports, user, entrypoint, labels, base image, history', () => {
    const cfg = {
      created: '2024-05-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: {
        User: 'app',
        Env: ['PATH=/usr/bin', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
        ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
        Entrypoint: ['/app'],
        Cmd: ['serve'],
        Labels: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:12' },
      },
      rootfs: { type: 'layers', diff_ids: ['sha256:' + '1'.repeat(64)] },
      history: [
        { created: '2024-05-01T00:00:00Z', created_by: 'ADD rootfs /' },
        { created: '2024-05-01T00:00:00Z', created_by: 'ENV X=1', empty_layer: true },
      ],
    };
    const { facts, diffIds } = parseImageConfig(Buffer.from(JSON.stringify(cfg)), {
      'org.opencontainers.image.base.digest': 'sha256:' + '2'.repeat(64),
    });
    assert.deepEqual(facts.envNames, ['PATH', 'AWS_SECRET_ACCESS_KEY']);
    assert.ok(!JSON.stringify(facts).includes('wJalrXUtnFEMI'), 'no env value may appear');
    assert.deepEqual(facts.exposedPorts, ['53/udp', '8080/tcp']);
    assert.equal(facts.user, 'app');
    assert.equal(facts.runsAsRoot, false);
    assert.deepEqual(facts.entrypoint, ['/app']);
    assert.deepEqual(facts.baseImage, { name: 'docker.io/library/debian:12', digest: 'sha256:' + '2'.repeat(64) });
    assert.deepEqual(
      facts.history.map((h) => h.emptyLayer),
      [false, true],
    );
    assert.equal(diffIds.length, 1);
    assert.equal(parseImageConfig(Buffer.from(JSON.stringify({ config: {} }))).facts.runsAsRoot, true);
  });
});

describe('scanner: CycloneDX', () => {
  const report = {
    reportId: '0b5c6f43-2a0e-4c1d-9f7e-3d7b1a2c4e5f',
    image: { registry: '127.0.0.1:5000', repository: 'team/app', digest: 'sha256:' + 'c'.repeat(64), tag: 'v1' },
    analyzerVersions: { dpkg: 1 },
    scannedAt: new Date('2024-05-01T00:00:00Z'),
    os: { family: 'debian', name: '12' },
    layers: [],
    packages: [
      {
        name: 'libc6',
        version: '2.36-9+deb12u4',
        type: 'deb',
        purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64',
        licences: ['LGPL-2.1-or-later', 'GPL-2.0-only'],
        layerDigest: 'sha256:' + 'd'.repeat(64),
        path: 'var/lib/dpkg/status',
      },
      {
        name: 'lodash',
        version: '4.17.21',
        type: 'npm',
        purl: 'pkg:npm/lodash@4.17.21',
        licences: ['MIT'],
        layerDigest: 'sha256:' + 'e'.repeat(64),
        path: 'srv/app/package-lock.json',
      },
      { name: 'lodash', version: '4.17.21', type: 'npm', purl: 'pkg:npm/lodash@4.17.21', path: 'other/package-lock.json' },
    ],
    vulnerabilities: [],
  } as unknown as ScanReport;

  test('the export is CycloneDX 1.6 JSON with purls, licences and layer properties', async () => {
    const text = toCycloneDx(report);
    const bom = JSON.parse(text) as Record<string, any>;
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.metadata.component.type, 'container');
    assert.match(bom.metadata.component.purl, /^pkg:oci\/app@sha256(:|%3A)c{64}\?repository_url=127\.0\.0\.1%3A5000%2Fteam%2Fapp/);
    assert.equal(bom.components.length, 3);
    const libc = bom.components.find((c: any) => c.name === 'libc6');
    assert.equal(libc.purl, 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64');
    assert.equal(libc.version, '2.36-9+deb12u4');
    assert.deepEqual(libc.licenses.map((l: any) => l.license.id).sort(), ['GPL-2.0-only', 'LGPL-2.1-or-later']);
    assert.ok(libc.properties.some((p: any) => p.name === 'assay:layer:digest' && p.value === 'sha256:' + 'd'.repeat(64)));
    assert.ok(libc.properties.some((p: any) => p.name === 'assay:path' && p.value === 'var/lib/dpkg/status'));
    const refs = bom.components.map((c: any) => c['bom-ref']);
    assert.equal(new Set(refs).size, refs.length, 'bom-refs are unique');
    // Validated against the CycloneDX 1.6 JSON schema the library ships (ajv, draft-07).
    const { default: Ajv } = await import('ajv');
    const { default: addFormats } = await import('ajv-formats');
    const dir = new URL('../../node_modules/@cyclonedx/cyclonedx-library/res/schema/', import.meta.url);
    const load = async (f: string) => JSON.parse(await readFile(new URL(f, dir), 'utf8')) as Record<string, unknown>;
    const ajv = new (Ajv as unknown as typeof import('ajv').default)({ strict: false, allErrors: true, validateFormats: true });
    (addFormats as unknown as (a: unknown) => void)(ajv);
    ajv.addSchema(await load('spdx.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
    ajv.addSchema(await load('jsf-0.82.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json');
    const validate = ajv.compile(await load('bom-1.6.SNAPSHOT.schema.json'));
    assert.ok(validate(bom), JSON.stringify(validate.errors?.slice(0, 5)));
    // and a broken document is refused by the same validator (the check can fail)
    assert.equal(validate({ ...bom, specVersion: 1.6 }), false);
  });
});
