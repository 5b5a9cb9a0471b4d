// The store contract, validation: an invalid document is refused naming the field, and nothing is written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exception, imagePolicy, scanReport, seen, sha } from '../fixtures.ts';
import { isValidation, DAY, type ContractRun } from './helpers.ts';

export function validationContract(name: string, run: ContractRun): void {
  describe(`${name}: validation`, () => {
    it(
      'refuses an invalid policy naming the field, and writes nothing',
      run(async ({ store, countRaw }) => {
        const bad = imagePolicy();
        (bad.controls.vulnerabilities as Record<string, unknown>).maxSeverity = 'severe';
        await assert.rejects(store.policies.put('bad', bad, { expectedVersion: 0, by: 'a' }), (err) => {
          isValidation('policy.controls.vulnerabilities.maxSeverity', /^expected one of critical, high, medium, low, negligible/)(err);
          assert.match(
            String(err),
            /^ValidationError: policy\.controls\.vulnerabilities\.maxSeverity: expected one of critical, high, medium, low, negligible/,
          );
          return true;
        });
        await assert.rejects(
          store.policies.put('bad', { ...imagePolicy(), colour: 'red' } as never, { expectedVersion: 0, by: 'a' }),
          isValidation('policy', /unknown field colour/),
        );
        await assert.rejects(
          store.policies.put(
            'bad',
            imagePolicy({ customChecks: undefined, controls: { customChecks: [{ id: '', required: true }] } } as never),
            { expectedVersion: 0, by: 'a' },
          ),
          isValidation('policy.controls.customChecks[0].id'),
        );
        await assert.rejects(store.policies.put('has space', imagePolicy(), { expectedVersion: 0, by: 'a' }), isValidation('policyId'));
        await assert.rejects(
          store.policies.put('ok', imagePolicy(), { expectedVersion: -1, by: 'a' }),
          isValidation('options.expectedVersion'),
        );
        await assert.rejects(store.policies.put('ok', imagePolicy(), { expectedVersion: 0, by: '' }), isValidation('options.by'));
        assert.equal(await countRaw('policies'), 0);
        assert.deepEqual(await store.policies.history('bad'), []);
      }),
    );

    it(
      'refuses invalid exceptions, reports, images and cache entries, writing nothing',
      run(async ({ store, countRaw }) => {
        const t0 = new Date('2025-01-01T00:00:00Z');
        await assert.rejects(store.exceptions.create(exception('e1', t0, new Date(t0.getTime() - 1))), isValidation('exception.expiresAt'));
        await assert.rejects(
          store.exceptions.create(exception('e1', t0, new Date(t0.getTime() + DAY), { scope: {} })),
          isValidation('exception.scope'),
        );
        await assert.rejects(
          store.exceptions.create(exception('e1', t0, new Date(t0.getTime() + DAY), { scope: { control: 'firewall' as never } })),
          isValidation('exception.scope.control', /expected one of vulnerabilities/),
        );
        const report = scanReport('bad', { packages: 10 });
        delete (report.packages[3] as Record<string, unknown>).version;
        await assert.rejects(store.reports.put(report), isValidation('report.packages[3].version', /expected string/));
        const leaky = scanReport('leaky');
        (leaky.sensitiveData![0] as Record<string, unknown>).match = 'AKIAIOSFODNN7EXAMPLE';
        await assert.rejects(store.reports.put(leaky), isValidation('report.sensitiveData[0]', /unknown field match/));
        await assert.rejects(store.inventory.upsertSeen(seen(1, { digest: 'latest' }), new Date()), isValidation('ref.digest'));
        await assert.rejects(store.layerCache.put(sha('l'), { dpkg: 1.5 }, {}), isValidation('analyzerVersions.dpkg'));
        await assert.rejects(
          store.layerCache.put(sha('l'), { dpkg: 1 }, { when: new Date() } as never),
          isValidation('layerAnalysis.when'),
        );
        for (const c of ['exceptions', 'reports', 'reportChunks', 'inventory', 'layerCache'] as const) {
          assert.equal(await countRaw(c), 0, `${c} is empty`);
        }
      }),
    );

    it(
      'refuses bad page requests',
      run(async ({ store }) => {
        await assert.rejects(store.policies.list({ limit: 0 }), isValidation('page.limit'));
        await assert.rejects(store.inventory.list({}, { limit: 100_000 }), isValidation('page.limit'));
        await assert.rejects(store.exceptions.list({ after: 'garbage' }), isValidation('page.after'));
        await store.inventory.upsertSeen(seen(1), new Date());
        await store.inventory.upsertSeen(seen(2), new Date());
        const page = await store.inventory.list({}, { limit: 1 });
        assert.ok(page.next);
        // A cursor belongs to its listing.
        await assert.rejects(store.reports.list({ after: page.next }), isValidation('page.after'));
        await assert.rejects(store.inventory.list({ repository: 'x' }), isValidation('filter.repository'));
      }),
    );
  });
}
