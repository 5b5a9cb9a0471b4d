// The caches on admission's decision path: a bounded memo of pure functions (reference parsing,
// bucket keys) and the TTL LRU of registry lookups.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedMemo, TtlLru } from '@assay/kit';
import { parseImageReference } from '@assay/review-engine';

describe('admission: caches', () => {
  it('boundedMemo computes a key once, remembers a thrown error too, and holds at most max keys', () => {
    const calls: string[] = [];
    const f = boundedMemo(2, (k: string) => {
      calls.push(k);
      if (k === 'bad') throw new Error(`no ${k}`);
      return { k };
    });
    const a = f('a');
    assert.equal(f('a'), a, 'the same result object');
    assert.throws(() => f('bad'), /no bad/);
    assert.throws(() => f('bad'), /no bad/);
    assert.deepEqual(calls, ['a', 'bad']);
    f('c'); // a third key: the oldest (a) goes
    f('a');
    assert.deepEqual(calls, ['a', 'bad', 'c', 'a']);
  });

  it('parseImageReference gives what parseReference gives, errors included', () => {
    assert.deepEqual(parseImageReference('nginx:1.27'), { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' });
    assert.throws(() => parseImageReference('team/UPPER'), /must be lowercase/);
    assert.throws(() => parseImageReference('team/UPPER'), /must be lowercase/);
    // Docker's rule: an uppercase first component is a registry host.
    assert.deepEqual(parseImageReference('UPPER/case'), { registry: 'UPPER', repository: 'case', tag: 'latest' });
  });

  it('TtlLru forgets an entry after its time and the least recently used beyond its size', () => {
    const lru = new TtlLru<number>(2);
    lru.set('a', 1, 100, 0);
    lru.set('b', 2, 100, 0);
    assert.deepEqual(lru.get('a', 50), { value: 1 });
    lru.set('c', 3, 100, 50);
    assert.equal(lru.get('b', 60), undefined, 'b was the least recently used');
    assert.equal(lru.get('a', 200), undefined, 'a expired');
  });
});
