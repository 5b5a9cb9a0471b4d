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

  it('evicts in the same order as a plain model through many evictions, refreshes, expiries and a full drain', () => {
    // The eviction keeps one iterator across calls (a fresh one would walk every deleted slot):
    // checked against an array model over a long mixed run, and after the map was once empty.
    const max = 50;
    const lru = new TtlLru<number>(max);
    let model: string[] = []; // oldest first
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 20_000; i++) {
      const key = `k${rnd(200)}`;
      const op = rnd(10);
      if (op < 6) {
        lru.set(key, i, 1_000_000, 0);
        model = [...model.filter((k) => k !== key), key];
        while (model.length > max) model.shift();
      } else if (op < 9) {
        const hit = lru.get(key, 0);
        assert.equal(hit !== undefined, model.includes(key), `get ${key} at step ${i}`);
        if (hit) model = [...model.filter((k) => k !== key), key];
      } else {
        // Expired: a short-lived entry read after its time is deleted wherever it sits.
        lru.set(key, i, 1, 0);
        model = [...model.filter((k) => k !== key), key];
        while (model.length > max) model.shift();
        assert.equal(lru.get(key, 10), undefined);
        model = model.filter((k) => k !== key);
      }
      assert.equal(lru.size, model.length, `size at step ${i}`);
      if (i === 10_000) {
        for (const k of model) lru.get(k, 2_000_000); // every entry expired: the map is empty
        model = [];
        assert.equal(lru.size, 0);
      }
    }
    for (const k of model) assert.ok(lru.get(k, 0), `${k} kept`);
  });

  it('boundedMemo holds the most recent max keys through many evictions', () => {
    const calls: string[] = [];
    const f = boundedMemo(100, (k: string) => (calls.push(k), k.length));
    for (let i = 0; i < 10_000; i++) f(`key-${i}`);
    calls.length = 0;
    for (let i = 9_900; i < 10_000; i++) f(`key-${i}`);
    assert.deepEqual(calls, [], 'the last 100 keys are remembered');
    f('key-0');
    assert.deepEqual(calls, ['key-0'], 'an early key is not');
  });
});
