// Shared helpers of the language analyzers: merging duplicates, licence shapes, paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanPath, dedupe, licenceList, makePackage } from '../../packages/inventory/src/lang/util.ts';

test('dedupe: dev only if dev everywhere, direct anywhere wins, unknown stays unknown', () => {
  const a = makePackage({ type: 'npm', name: 'a', version: '1.0.0', dev: true, indirect: true, dependsOn: ['b@1'] });
  const b = makePackage({ type: 'npm', name: 'a', version: '1.0.0', indirect: false, dependsOn: ['c@1'] });
  const [m] = dedupe([a, b]);
  assert.equal(m?.dev, undefined);
  assert.equal(m?.indirect, false);
  assert.deepEqual(m?.dependsOn, ['b@1', 'c@1']);
  const u = makePackage({ type: 'npm', name: 'u', version: '1' });
  assert.equal(dedupe([u, u])[0]?.indirect, undefined);
  assert.equal(dedupe([u, makePackage({ type: 'npm', name: 'u', version: '1', indirect: true })])[0]?.indirect, true);
  assert.equal(dedupe([a, a])[0]?.dev, true);
});

test('licenceList and cleanPath', () => {
  assert.deepEqual(licenceList([{ type: 'MIT' }, 'ISC', 7, { name: 'BSD' }]), ['MIT', 'ISC', 'BSD']);
  assert.deepEqual(licenceList('  '), []);
  assert.equal(cleanPath('./a/b/../c//d'), 'a/c/d');
  assert.equal(cleanPath('../../x'), 'x');
});
