// The small parsers behind the client: WWW-Authenticate challenges, Retry-After, Link pagination,
// backoff bounds, token expiry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, DEFAULT_RETRY_POLICY, nextLink, parseRetryAfter, parseWwwAuthenticate, TokenCache } from '@assay/registry-client';

test('WWW-Authenticate: Bearer with realm, service and scope', () => {
  assert.deepEqual(
    parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'),
    [
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
      },
    ],
  );
});

test('WWW-Authenticate: Basic, several challenges, escapes, error params', () => {
  assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(
    parseWwwAuthenticate(['Basic realm="a, b"', 'Bearer realm="https://x/t", error="insufficient_scope",scope="repository:a:pull,push"']),
    [
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', error: 'insufficient_scope', scope: 'repository:a:pull,push' } },
    ],
  );
  assert.deepEqual(parseWwwAuthenticate('Basic realm="q\\"uote", Bearer realm=unquoted'), [
    { scheme: 'basic', params: { realm: 'q"uote' } },
    { scheme: 'bearer', params: { realm: 'unquoted' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate(undefined), []);
});

test('Retry-After: seconds, HTTP date, garbage, cap', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('5', 30_000, now), 5000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', 30_000, now), 10_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', 30_000, now), 0, 'a past date means now');
  assert.equal(parseRetryAfter('3600', 30_000, now), 30_000);
  assert.equal(parseRetryAfter('soon', 30_000, now), undefined);
  assert.equal(parseRetryAfter(undefined, 30_000, now), undefined);
});

test('Link: rel="next" resolved against the request URL', () => {
  const base = 'http://r:5000/v2/_catalog?n=2';
  assert.equal(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', base), 'http://r:5000/v2/_catalog?last=b&n=2');
  assert.equal(nextLink('<https://other/v2/x/tags/list?last=t&n=2>; rel=next', base), 'https://other/v2/x/tags/list?last=t&n=2');
  assert.equal(nextLink('</v2/_catalog?last=b>; rel="prev"', base), undefined);
  assert.equal(nextLink(undefined, base), undefined);
});

test('backoff: exponential, jittered into [d/2, d], capped', () => {
  const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(
    backoffDelay(1, p, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(1, p, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(3, p, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(10, p, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(10, p, () => 0),
    500,
  );
});

test('token cache: expires_in minus a margin, default 60 s', () => {
  let now = 1_000_000;
  const cache = new TokenCache(() => now);
  cache.set('k', 't', 300);
  now += 269_000;
  assert.equal(cache.get('k'), 't');
  now += 2_000; // 271 s: inside the 30 s margin
  assert.equal(cache.get('k'), undefined);
  cache.set('d', 'u', undefined);
  now += 53_000;
  assert.equal(cache.get('d'), 'u');
  now += 2_000; // 55 s of a default 60 s lifetime, margin 6 s
  assert.equal(cache.get('d'), undefined);
});
