// PEP 440 (PyPI): packaging's tests/test_version.py vectors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, pep440 } from '@assay/versions';
import { hasVector, missing, readVectorJson } from './vectors.ts';

const SET = '06-version-vectors/pep440-packaging/expected.test_version.json';

interface Param {
  argnames: string | string[];
  values: unknown[];
}
interface VersionTests {
  module_constants: { VERSIONS: string[] };
  tests: Record<string, Param[]>;
}

test('pep440: packaging test_version vectors', (t) => {
  if (!hasVector(SET)) return t.skip(missing(SET));
  const data = readVectorJson<VersionTests>(SET);
  const failures: string[] = [];
  const values = (name: string): unknown[] => data.tests[name]?.[0]?.values ?? [];
  // VERSIONS is in ascending order: every earlier element sorts strictly lower
  const ordered = data.module_constants.VERSIONS;
  let orderChecks = 0;
  for (let i = 0; i < ordered.length; i++) {
    for (let j = i + 1; j < ordered.length; j++) {
      orderChecks++;
      if (!(pep440.compare(ordered[i]!, ordered[j]!) < 0 && pep440.compare(ordered[j]!, ordered[i]!) > 0))
        failures.push(`${ordered[i]} < ${ordered[j]}`);
    }
  }
  const valid = values('TestVersion.test_valid_versions') as string[];
  for (const v of valid) if (!pep440.isValid(v)) failures.push(`valid: ${v}`);
  const invalid = values('TestVersion.test_invalid_versions') as string[];
  for (const v of invalid) if (pep440.isValid(v)) failures.push(`invalid: ${v}`);
  // normalised spellings compare equal to their normal form
  const normalized = values('TestVersion.test_normalized_versions') as Array<[string, string]>;
  for (const [v, n] of normalized) if (pep440.compare(v, n) !== 0) failures.push(`${v} == ${n}`);
  assert.deepEqual(failures, []);
  t.diagnostic(
    `pep440: ${orderChecks} ordered pairs from ${ordered.length} VERSIONS, ${valid.length} valid, ${invalid.length} invalid, ${normalized.length} normalisations passed`,
  );
});

test('pep440: ecosystem mapping', () => {
  assert.ok(compareVersions('PyPI', '1.10.0', '1.2.0') > 0);
  assert.ok(compareVersions('PyPI', '2.0.0rc1', '2.0.0') < 0);
  assert.equal(compareVersions('PyPI', '1.0.0', '1.0'), 0);
});
