// The store contract, scan reports: one per digest, kept in chunks, never read half-written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanReport, sha } from '../fixtures.ts';
import { isConflict, isValidation, collect, type ContractRun } from './helpers.ts';

export function reportsContract(name: string, run: ContractRun): void {
  describe(`${name}: scan reports`, () => {
    it(
      'stores, lists, replaces and deletes reports by digest and id',
      run(async ({ store, countRaw }) => {
        const a = scanReport(1);
        const b = scanReport(2);
        const metaA = await store.reports.put(a);
        await store.reports.put(b);
        assert.equal(metaA.digest, a.image.digest);
        assert.equal(metaA.reportId, 'report-1');
        assert.match(metaA.analyzerVersionsKey, /^[0-9a-f]{64}$/);
        assert.deepEqual(await store.reports.get(a.image.digest), a);
        assert.deepEqual(await store.reports.getById('report-2'), b);
        assert.deepEqual(await store.reports.meta(a.image.digest), metaA);
        assert.equal(await store.reports.get(sha('nothing')), undefined);
        assert.equal(await store.reports.getById('nothing'), undefined);
        const listed = await collect((p) => store.reports.list(p), 1);
        assert.deepEqual(
          listed.items.map((m) => m.digest),
          [a.image.digest, b.image.digest].sort(),
        );

        // A new scan of the same digest replaces the report and its chunks.
        const rescan = { ...scanReport(1), reportId: 'report-1b', analyzerVersions: { dpkg: 4 } };
        const metaR = await store.reports.put(rescan);
        assert.notEqual(metaR.analyzerVersionsKey, metaA.analyzerVersionsKey);
        assert.deepEqual(await store.reports.get(a.image.digest), rescan);
        assert.equal(await store.reports.getById('report-1'), undefined);
        assert.equal(await countRaw('reports'), 2);
        assert.equal(await countRaw('reportChunks'), 2, 'the replaced generation is gone');

        assert.equal(await store.reports.delete(a.image.digest), true);
        assert.equal(await store.reports.delete(a.image.digest), false);
        assert.equal(await store.reports.get(a.image.digest), undefined);
        assert.equal(await countRaw('reportChunks'), 1);
      }),
    );

    it(
      'reads many reports at once: the stored ones by digest, several chunks each, absent digests left out',
      run(
        async ({ store }) => {
          const small = scanReport(1);
          const large = scanReport(2, { packages: 300, vulnerabilities: 60 });
          const other = scanReport(3);
          for (const r of [small, large, other]) await store.reports.put(r);
          assert.ok((await store.reports.meta(large.image.digest))!.storage.chunks > 1, 'the large one spans several chunks');
          const digests = [other.image.digest, sha('nothing'), small.image.digest, large.image.digest];
          const got = await store.reports.getMany(digests);
          assert.deepEqual([...got.keys()].sort(), [small, large, other].map((r) => r.image.digest).sort());
          assert.deepEqual(got.get(small.image.digest), small);
          assert.deepEqual(got.get(large.image.digest), large);
          assert.deepEqual(got.get(other.image.digest), other);
          assert.equal((await store.reports.getMany([])).size, 0);
          // A replaced report reads as its new version, with none of the old chunks mixed in.
          const rescan = { ...scanReport(2, { packages: 200 }), reportId: 'report-2b' };
          await store.reports.put(rescan);
          assert.deepEqual((await store.reports.getMany([large.image.digest])).get(large.image.digest), rescan);
          await assert.rejects(store.reports.getMany([small.image.digest, 'latest']), isValidation('digest'));
        },
        { reportChunkBytes: 1024 },
      ),
    );

    it(
      'a report id belongs to one digest; a failed write leaves nothing behind',
      run(
        async ({ store, countRaw }) => {
          const a = scanReport(1);
          await store.reports.put(a);
          const chunksBefore = await countRaw('reportChunks');
          const thief = scanReport(2, { reportId: 'report-1', packages: 300 });
          await assert.rejects(store.reports.put(thief), isConflict);
          assert.equal(await countRaw('reportChunks'), chunksBefore, 'chunks of the failed write were removed');
          assert.equal(await countRaw('reports'), 1);
          assert.equal(await store.reports.get(thief.image.digest), undefined);
          assert.deepEqual(await store.reports.getById('report-1'), a);
        },
        { reportChunkBytes: 1024 },
      ),
    );

    it(
      'cleans up orphaned chunks of interrupted writes, sparing recent ones',
      run(
        async ({ store, writeRaw, countRaw }) => {
          await store.reports.put(scanReport(1));
          const live = await countRaw('reportChunks');
          const old = new Date(Date.now() - 2 * 3_600_000);
          await writeRaw('reportChunks', { generation: 'orphan-old', n: 0, data: Buffer.from('x'), createdAt: old });
          await writeRaw('reportChunks', { generation: 'orphan-old', n: 1, data: Buffer.from('y'), createdAt: old });
          await writeRaw('reportChunks', { generation: 'in-flight', n: 0, data: Buffer.from('z'), createdAt: new Date() });
          const removed = await store.reports.cleanupOrphans(new Date(Date.now() - 3_600_000));
          assert.equal(removed, 2);
          assert.equal(await countRaw('reportChunks'), live + 1);
          assert.ok(await store.reports.get(sha('image-1')));
        },
        { reportChunkBytes: 1024 },
      ),
    );

    it(
      'readers racing writers of one digest see a whole report, never a torn one',
      run(
        async ({ store, openAnother, countRaw }) => {
          const writer = await openAnother();
          const versions = [1, 2, 3].map((v) => ({
            ...scanReport('torn', { packages: 1500, vulnerabilities: 300 }),
            reportId: `torn-${v}`,
            vulnDbVersion: `db-${v}`,
          }));
          await store.reports.put(versions[0]!);
          let writing = true;
          const writes = (async () => {
            for (let i = 0; i < 30; i++) await writer.reports.put(versions[i % versions.length]!);
            await Promise.all(versions.map((v) => writer.reports.put(v))); // concurrent writes of one digest
            writing = false;
          })();
          let reads = 0;
          // Several readers, so some read a head just before a writer replaces it and drops its chunks.
          await Promise.all(
            [store, writer, store, writer].map(async (s) => {
              while (writing) {
                const got = await s.reports.get(versions[0]!.image.digest);
                assert.ok(got, 'the report never disappears while being replaced');
                assert.deepEqual(
                  got,
                  versions.find((v) => v.reportId === got.reportId),
                );
                reads++;
              }
            }),
          );
          await writes;
          const final = (await store.reports.meta(versions[0]!.image.digest))!;
          assert.equal(await countRaw('reports'), 1);
          assert.equal(await countRaw('reportChunks'), final.storage.chunks, 'replaced generations leave no chunks behind');
          assert.ok(reads > 0);
        },
        { reportChunkBytes: 4096 },
      ),
    );

    it(
      'a report of 100,000 packages (over 16 MB of JSON) round-trips exactly',
      run(
        async ({ store }) => {
          const report = scanReport('large', { packages: 100_000, vulnerabilities: 30_000 });
          const t0 = performance.now();
          const meta = await store.reports.put(report);
          const t1 = performance.now();
          assert.ok(meta.storage.jsonBytes > 16 * 1024 * 1024, `JSON is ${meta.storage.jsonBytes} bytes`);
          assert.ok(meta.storage.chunks > 1, `${meta.storage.chunks} chunks`);
          const back = await store.reports.get(report.image.digest);
          const t2 = performance.now();
          assert.deepEqual(back, report);
          assert.equal((await store.reports.getById(report.reportId))?.packages.length, 100_000);
          console.log(
            `# ${name}: 100k-package report: ${(meta.storage.jsonBytes / 2 ** 20).toFixed(1)} MiB JSON, ` +
              `${(meta.storage.compressedBytes / 2 ** 20).toFixed(1)} MiB stored in ${meta.storage.chunks} chunks; ` +
              `put ${Math.round(t1 - t0)} ms, get ${Math.round(t2 - t1)} ms`,
          );
        },
        { reportChunkBytes: 1024 * 1024 },
      ),
    );
  });
}
