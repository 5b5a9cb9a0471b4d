// Reference parsing, table-driven. Cases come from distribution/reference (reference_test.go
// TestReferenceParse, normalize_test.go TestValidateReferenceName / TestValidateRemoteName /
// TestParseRepositoryInfo / TestNormalizedSplitHostname), expressed in their normalised form
// (ParseNormalizedNamed + TagNameOnly), plus cases of our own. The shared vectors hold no
// reference-parsing set, so the cases live here. Upstream v0.6 rules: an uppercase first
// component is a registry host (splitDockerDomain), and the 255-character limit applies to the
// repository path without the registry (Parse).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  familiarName,
  familiarString,
  formatReference,
  type ImageReference,
  InvalidReferenceError,
  isValidDigest,
  parseReference,
  repositoryKey,
  withDigest,
} from '@assay/image-ref';

const F64 = 'f'.repeat(64);
const F128 = 'f'.repeat(128);

// [input, registry, repository, tag, digest]
const valid: [string, string, string, string | undefined, string | undefined][] = [
  ['test_com', 'docker.io', 'library/test_com', 'latest', undefined],
  ['test.com:tag', 'docker.io', 'library/test.com', 'tag', undefined],
  ['test.com:5000', 'docker.io', 'library/test.com', '5000', undefined],
  ['test.com/repo:tag', 'test.com', 'repo', 'tag', undefined],
  ['test:5000/repo', 'test:5000', 'repo', 'latest', undefined],
  ['test:5000/repo:tag', 'test:5000', 'repo', 'tag', undefined],
  [`test:5000/repo@sha256:${F64}`, 'test:5000', 'repo', undefined, `sha256:${F64}`],
  [`test:5000/repo:tag@sha256:${F64}`, 'test:5000', 'repo', 'tag', `sha256:${F64}`],
  ['lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase', undefined],
  ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'bar/baz/quux', 'latest', undefined],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag', undefined],
  ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com', undefined],
  ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com', undefined],
  [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${F128}`, 'xn--7o8h.com', 'myimage', 'xn--7o8h.com', `sha512:${F128}`],
  ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080', undefined],
  ['foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080', undefined],
  ['192.168.1.1', 'docker.io', 'library/192.168.1.1', 'latest', undefined],
  ['192.168.1.1:tag', 'docker.io', 'library/192.168.1.1', 'tag', undefined],
  ['192.168.1.1:5000', 'docker.io', 'library/192.168.1.1', '5000', undefined],
  ['192.168.1.1/repo', '192.168.1.1', 'repo', 'latest', undefined],
  ['192.168.1.1:5000/repo', '192.168.1.1:5000', 'repo', 'latest', undefined],
  ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050', undefined],
  ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', 'latest', undefined],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag', undefined],
  ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'repo', 'latest', undefined],
  ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000', 'repo', 'tag', undefined],
  [`[2001:db8::1]:5000/repo@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', undefined, `sha256:${F64}`],
  [`[2001:db8::1]:5000/repo:tag@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', 'tag', `sha256:${F64}`],
  ['[2001:db8::]:5000/repo', '[2001:db8::]:5000', 'repo', 'latest', undefined],
  ['[::1]:5000/repo', '[::1]:5000', 'repo', 'latest', undefined],
  // normalize_test.go
  ['docker/docker', 'docker.io', 'docker/docker', 'latest', undefined],
  ['library/debian', 'docker.io', 'library/debian', 'latest', undefined],
  ['debian', 'docker.io', 'library/debian', 'latest', undefined],
  ['docker.io/docker/docker', 'docker.io', 'docker/docker', 'latest', undefined],
  ['docker.io/library/debian', 'docker.io', 'library/debian', 'latest', undefined],
  ['docker.io/debian', 'docker.io', 'library/debian', 'latest', undefined],
  ['index.docker.io/docker/docker', 'docker.io', 'docker/docker', 'latest', undefined],
  ['index.docker.io/library/debian', 'docker.io', 'library/debian', 'latest', undefined],
  ['index.docker.io/debian', 'docker.io', 'library/debian', 'latest', undefined],
  ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000', 'docker/docker', 'latest', undefined],
  ['127.0.0.1:5000/library/debian', '127.0.0.1:5000', 'library/debian', 'latest', undefined],
  ['127.0.0.1:5000/debian', '127.0.0.1:5000', 'debian', 'latest', undefined],
  ['192.168.0.1:80', 'docker.io', 'library/192.168.0.1', '80', undefined],
  ['192.168.0.1:8/debian', '192.168.0.1:8', 'debian', 'latest', undefined],
  [
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'docker.io',
    'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'latest',
    undefined,
  ],
  ['[fc00::1]:5000/docker', '[fc00::1]:5000', 'docker', 'latest', undefined],
  ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', '[fc00:1:2:3:4:5:6:7]:5000', 'library/debian', 'latest', undefined],
  [
    'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'docker.io',
    'library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'latest',
    undefined,
  ],
  ['docker-rules/docker', 'docker.io', 'docker-rules/docker', 'latest', undefined],
  ['docker---rules/docker', 'docker.io', 'docker---rules/docker', 'latest', undefined],
  ['d/docker', 'docker.io', 'd/docker', 'latest', undefined],
  ['jess/t', 'docker.io', 'jess/t', 'latest', undefined],
  ['dock__er/docker', 'docker.io', 'dock__er/docker', 'latest', undefined],
  ['localhost/ubuntu', 'localhost', 'ubuntu', 'latest', undefined],
  ['localhost:5000/ubuntu', 'localhost:5000', 'ubuntu', 'latest', undefined],
  ['test-com:8080/foo', 'test-com:8080', 'foo', 'latest', undefined],
  ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar', 'latest', undefined],
  ['ghcr.io/org/team/app:v1.2.3', 'ghcr.io', 'org/team/app', 'v1.2.3', undefined],
  [`busybox:latest@sha256:${F64}`, 'docker.io', 'library/busybox', 'latest', `sha256:${F64}`],
  // An uppercase first component is a registry host (normalize_test.go TestValidateReferenceName,
  // TestParseRepositoryInfo; reference_test.go's "Uppercase/lowercase:tag", which passes upstream).
  ['Uppercase/lowercase:tag', 'Uppercase', 'lowercase', 'tag', undefined],
  ['LOCALDOMAIN/library/debian', 'LOCALDOMAIN', 'library/debian', 'latest', undefined],
  ['LOCALDOMAIN/debian', 'LOCALDOMAIN', 'debian', 'latest', undefined],
  ['LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN', 'fooo/bar', 'latest', undefined],
  ['Docker/docker', 'Docker', 'docker', 'latest', undefined],
  ['DOCKER/docker', 'DOCKER', 'docker', 'latest', undefined],
  ['Foo/bar', 'Foo', 'bar', 'latest', undefined],
  ['FOO/bar:1', 'FOO', 'bar', '1', undefined],
  // The length limit is on the repository path (reference_test.go).
  [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, 'docker.io', `${'a/'.repeat(127)}a`, 'tag-puts-this-over-max', undefined],
  [`example.com/${'a'.repeat(255)}:tag`, 'example.com', 'a'.repeat(255), 'tag', undefined],
  [`registry.example.com:5000/${'a'.repeat(255)}`, 'registry.example.com:5000', 'a'.repeat(255), 'latest', undefined],
  ['a'.repeat(247), 'docker.io', `library/${'a'.repeat(247)}`, 'latest', undefined],
];

// [input, pattern the message must match]
const invalid: [string, RegExp][] = [
  ['', /reference is empty/],
  [':justtag', /repository name is empty/],
  [`@sha256:${F64}`, /repository name is empty/],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', /invalid sha256 digest length 34 \(want 64/],
  [`validname@invaliddigest:${F64}`, /unsupported digest algorithm "invaliddigest"/],
  [`repo@sha256:${'F'.repeat(64)}`, /must be lowercase hexadecimal/],
  ['repo@sha256', /must be "algorithm:hex"/],
  ['Uppercase:tag', /repository name "Uppercase" must be lowercase/],
  ['Nginx', /^invalid reference "Nginx": repository name "Nginx" must be lowercase$/],
  ['test:5000/Uppercase/lowercase:tag', /repository name "Uppercase\/lowercase" must be lowercase/],
  // An uppercase first component is a host; the rest must still be a lowercase repository.
  ['Foo/Bar', /repository name "Bar" must be lowercase/],
  ['Foo_bar/baz', /registry host "Foo_bar" is invalid/],
  [`${'a/'.repeat(128)}a:tag`, /must not be more than 255 characters \(257\)/],
  [`domain/${'a'.repeat(256)}:tag`, /must not be more than 255 characters/],
  [`example.com/${'a'.repeat(256)}`, /must not be more than 255 characters \(256\)/],
  // library/ counts: it is part of the path the registry API takes.
  ['a'.repeat(248), /must not be more than 255 characters \(256\)/],
  ['aa/asdf$$^/aa', /repository name "aa\/asdf\$\$\^\/aa" is invalid/],
  ['[2001:db8::1]', /invalid/],
  ['[2001:db8::1]:5000', /invalid/],
  ['[2001:db8::1]:tag', /invalid/],
  ['[fe80::1%eth0]:5000/repo', /registry host "\[fe80::1%eth0\]:5000" is invalid/],
  ['[fe80::1%@invalidzone]:5000/repo', /invalid/],
  ['https://github.com/docker/docker', /registry host "https:" is invalid/],
  ['docker/Docker', /must be lowercase/],
  ['-docker', /is invalid/],
  ['-docker/docker', /is invalid/],
  ['-docker.io/docker/docker', /registry host "-docker.io" is invalid/],
  ['docker///docker', /is invalid/],
  ['docker.io/docker/Docker', /must be lowercase/],
  ['docker.io/docker///docker', /is invalid/],
  ['[fc00::1]', /invalid/],
  ['[fc00::1]:5000', /invalid/],
  ['fc00::1:5000/debian', /registry host "fc00::1:5000" is invalid/],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', /registry host/],
  ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', /image id, not a repository name/],
  ['docker-/docker', /is invalid/],
  ['-docker-/docker', /is invalid/],
  ['____/____', /is invalid/],
  ['_docker/_docker', /is invalid/],
  ['dock..er/docker', /is invalid/],
  ['dock_.er/docker', /is invalid/],
  ['dock-.er/docker', /is invalid/],
  ['docker/', /is invalid/],
  ['example.com/', /repository name is empty/],
  [`${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4).slice(0, -1)}/docker`, /must not be more than 255/],
  ['nginx:-bad', /tag "-bad" is invalid/],
  [`nginx:${'a'.repeat(129)}`, /tag "a+" is invalid/],
  [' nginx', /whitespace/],
];

describe('parseReference: valid references', () => {
  for (const [input, registry, repository, tag, digest] of valid) {
    test(input || '(empty)', () => {
      const ref = parseReference(input);
      const want: ImageReference = { registry, repository };
      if (tag !== undefined) want.tag = tag;
      if (digest !== undefined) want.digest = digest;
      assert.deepEqual(ref, want);
      // Formatting and parsing again is the identity on the normalised form.
      assert.deepEqual(parseReference(formatReference(ref)), ref);
    });
  }
});

describe('parseReference: invalid references', () => {
  for (const [input, message] of invalid) {
    test(input.length > 80 ? `${input.slice(0, 77)}...` : input || '(empty)', () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => {
          assert.ok(err instanceof InvalidReferenceError, `want InvalidReferenceError, got ${String(err)}`);
          assert.match(err.message, message);
          assert.ok(err.message.startsWith(`invalid reference ${JSON.stringify(input)}: `), err.message);
          assert.equal(err.input, input);
          return true;
        },
      );
    });
  }
});

test('name length: a repository path of exactly 255 characters is accepted whatever the registry, 256 refused', () => {
  const repo255 = 'a'.repeat(255);
  for (const registry of ['example.com', 'a-rather-long-registry-host-name.internal.example.com:5000', 'localhost']) {
    const ref = parseReference(`${registry}/${repo255}`);
    assert.equal(ref.repository.length, 255);
    assert.ok(repositoryKey(ref).length > 255, 'registry + repository may exceed 255, as Docker allows');
    assert.throws(() => parseReference(`${registry}/${repo255}b`), /must not be more than 255 characters \(256\)/);
  }
  // Docker Hub's implicit "library/" is part of the path, as it is upstream; "docker.io/" is not.
  assert.equal(parseReference('a'.repeat(247)).repository.length, 255);
  assert.throws(() => parseReference('a'.repeat(248)), /must not be more than 255/);
});

test('formatReference gives the canonical form', () => {
  assert.equal(formatReference(parseReference('nginx')), 'docker.io/library/nginx:latest');
  assert.equal(formatReference(parseReference(`nginx@sha256:${F64}`)), `docker.io/library/nginx@sha256:${F64}`);
  assert.equal(formatReference(parseReference(`nginx:1.27@sha256:${F64}`)), `docker.io/library/nginx:1.27@sha256:${F64}`);
  assert.equal(formatReference(parseReference('127.0.0.1:5000/team/app:v1')), '127.0.0.1:5000/team/app:v1');
});

describe('familiarName (TestParseRepositoryInfo)', () => {
  // [familiar, full, ambiguous?]
  const cases: [string, string, string?][] = [
    ['fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar'],
    ['ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu'],
    ['nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu'],
    ['other/library', 'docker.io/other/library'],
    ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase'],
    ['127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase'],
    ['example.com/private/moonbase', 'example.com/private/moonbase'],
    ['example.com:8000/privatebasee', 'example.com:8000/privatebasee'],
    ['ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base'],
    ['foo', 'docker.io/library/foo', 'docker.io/foo'],
    ['library/foo/bar', 'docker.io/library/foo/bar'],
    ['store/foo/bar', 'docker.io/store/foo/bar'],
    ['localhost/fooo', 'localhost/fooo'],
    ['localhost/fooo/bar', 'localhost/fooo/bar'],
    ['LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo'],
    ['LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN/fooo/bar'],
    ['Foo/bar', 'Foo/bar'],
    ['FOO/bar', 'FOO/bar'],
  ];
  for (const [familiar, full, ambiguous] of cases) {
    test(full, () => {
      for (const input of [familiar, full, ...(ambiguous ? [ambiguous] : [])]) {
        const ref = parseReference(input);
        assert.equal(familiarName(ref), familiar, input);
        assert.equal(repositoryKey(ref), full, input);
      }
    });
  }
  test('familiarString keeps tag and digest', () => {
    const s = `busybox:latest@sha256:${F64}`;
    assert.equal(familiarString(parseReference(s)), s);
    assert.equal(formatReference(parseReference(s)), `docker.io/library/${s}`);
  });
});

test('withDigest pins a reference and validates the digest', () => {
  const ref = parseReference('ghcr.io/org/app:v1');
  const pinned = withDigest(ref, `sha256:${F64}`);
  assert.equal(formatReference(pinned), `ghcr.io/org/app:v1@sha256:${F64}`);
  assert.equal(ref.digest, undefined, 'the input is not modified');
  assert.throws(() => withDigest(ref, 'sha256:abc'), InvalidReferenceError);
  assert.throws(() => withDigest(ref, `md5:${'a'.repeat(32)}`), /unsupported digest algorithm "md5"/);
});

test('isValidDigest', () => {
  assert.equal(isValidDigest(`sha256:${'0'.repeat(64)}`), true);
  assert.equal(isValidDigest(`sha512:${F128}`), true);
  assert.equal(isValidDigest(`sha256:${'0'.repeat(63)}`), false);
  assert.equal(isValidDigest(`sha256:${'g'.repeat(64)}`), false);
  assert.equal(isValidDigest('sha256'), false);
});
