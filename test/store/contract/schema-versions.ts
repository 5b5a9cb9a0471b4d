// The store contract, schema versions: older documents upgraded on read, newer ones refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchemaVersionError } from '@assay/store';
import { imagePolicy, sha } from '../fixtures.ts';
import type { ContractRun } from './helpers.ts';

export function schemaVersionsContract(name: string, run: ContractRun): void {
  describe(`${name}: schema versions`, () => {
    it(
      'upgrades a v1 policy on read, and writes the next version at the current schema',
      run(async ({ store, writeRaw }) => {
        const v1doc = imagePolicy() as unknown as Record<string, unknown>;
        const controls = v1doc.controls as Record<string, unknown>;
        controls.vulnerabilities = { severityThreshold: 'HIGH', ignoreUnfixed: false };
        await writeRaw('policies', {
          schemaVersion: 1,
          id: 'legacy',
          version: 1,
          document: v1doc,
          createdAt: new Date('2024-01-01T00:00:00Z'),
          createdBy: 'prototype',
          deleted: false,
        });
        const cur = await store.policies.current('legacy');
        assert.deepEqual(cur?.document?.controls.vulnerabilities, { maxSeverity: 'high', ignoreUnfixed: false });
        assert.equal(cur?.createdBy, 'prototype');
        const next = await store.policies.put('legacy', cur!.document!, { expectedVersion: 1, by: 'alice' });
        assert.equal(next.version, 2);
        assert.deepEqual(
          (await store.policies.history('legacy')).map((r) => r.document?.controls.vulnerabilities?.maxSeverity),
          ['high', 'high'],
        );
      }),
    );

    it(
      'upgrades a v1 inventory record (tags as names) on read, and updates it',
      run(async ({ store, writeRaw }) => {
        const d = sha('legacy-image');
        const first = new Date('2024-03-01T00:00:00Z');
        const last = new Date('2024-04-01T00:00:00Z');
        // No schemaVersion at all: written before the field existed, i.e. v1.
        await writeRaw('inventory', {
          digest: d,
          registry: 'registry.example.com',
          repository: 'legacy/app',
          tags: ['1.0', 'latest'],
          firstSeen: first,
          lastSeen: last,
          scanStatus: 'succeeded',
          lastScanned: last,
        });
        const rec = await store.inventory.get(d);
        assert.deepEqual(rec?.tags, [
          { registry: 'registry.example.com', repository: 'legacy/app', tag: '1.0', firstSeen: first, lastSeen: last },
          { registry: 'registry.example.com', repository: 'legacy/app', tag: 'latest', firstSeen: first, lastSeen: last },
        ]);
        assert.deepEqual(rec?.locations, [
          { registry: 'registry.example.com', repository: 'legacy/app', firstSeen: first, lastSeen: last },
        ]);
        const later = new Date('2024-05-01T00:00:00Z');
        const updated = await store.inventory.upsertSeen(
          { registry: 'registry.example.com', repository: 'legacy/app', digest: d, tag: 'latest' },
          later,
        );
        assert.deepEqual(updated.tags.find((t) => t.tag === 'latest')?.lastSeen, later);
        assert.deepEqual(await store.inventory.get(d), updated);
        // After its first write in the current shape, repository queries find it.
        assert.deepEqual(
          (await store.inventory.findByRepository('registry.example.com', 'legacy/app')).items.map((r) => r.digest),
          [d],
        );
      }),
    );

    it(
      'refuses a document written by newer code with a clear error',
      run(async ({ store, writeRaw }) => {
        await writeRaw('policies', {
          schemaVersion: 99,
          id: 'future',
          version: 1,
          document: { name: 'from the future', shape: 'unknown' },
          createdAt: new Date(),
          createdBy: 'assay-v9',
          deleted: false,
        });
        await assert.rejects(store.policies.current('future'), (err) => {
          assert.ok(err instanceof SchemaVersionError, String(err));
          assert.match(err.message, /policies document future v1 has schemaVersion 99.*reads only up to 2.*newer/);
          return true;
        });
      }),
    );
  });
}
