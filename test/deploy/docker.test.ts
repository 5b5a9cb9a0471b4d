// The service image: static checks of deploy/docker/Dockerfile always; a real build and run
// when a Docker engine is reachable (`docker info` succeeds). No daemon is started here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../scripts/proto-generate.ts';

const dockerfile = readFileSync(join(repoRoot, 'deploy', 'docker', 'Dockerfile'), 'utf8');
/** Instructions, with continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, l) => {
  if (/^FROM\s/i.test(l)) acc.push([l]);
  else acc.at(-1)?.push(l);
  return acc;
}, []);
const final = stages.at(-1) ?? [];

test('Dockerfile: no `# syntax=` directive (it makes BuildKit fetch a frontend image: no offline or air-gapped build)', () => {
  assert.doesNotMatch(dockerfile, /^#\s*syntax\s*=/im);
});

test('Dockerfile: multi-stage, production dependencies of one workspace, Node 24', () => {
  assert.ok(stages.length >= 2, 'multi-stage');
  assert.match(dockerfile, /ARG NODE_IMAGE=node:24-bookworm-slim/);
  const install = instructions.find((l) => /npm ci/.test(l)) ?? '';
  assert.match(install, /--omit=dev/);
  assert.match(install, /--workspace "services\/\$SERVICE"/);
});

test('Dockerfile: the runtime stage is distroless, non-root, without npm, with a node-only HEALTHCHECK', () => {
  assert.match(final[0]!, /^FROM \$\{RUNTIME_IMAGE\}$/);
  assert.match(dockerfile, /ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs24-debian12:nonroot/);
  const user = final.find((l) => /^USER\s/.test(l));
  assert.ok(user, 'USER set');
  const uid = user.split(/\s+/)[1]!.split(':')[0]!;
  assert.ok(Number(uid) >= 10000, `uid ${uid}`);
  assert.ok(!final.some((l) => /^RUN\s/.test(l)), 'nothing runs in the final stage (no shell there)');
  assert.ok(!final.some((l) => /npm|corepack/.test(l) && !/^LABEL/.test(l)), 'no npm or corepack');
  const hc = final.find((l) => /^HEALTHCHECK/.test(l)) ?? '';
  assert.match(hc, /CMD \["\/nodejs\/bin\/node", "\/app\/healthcheck\.mjs"\]/);
  assert.match(dockerfile, /fetch\('http:\/\/127\.0\.0\.1:' \+ port \+ '\/healthz'/);
  assert.match(final.join('\n'), /ENTRYPOINT \["\/nodejs\/bin\/node"\]/);
  assert.match(final.join('\n'), /SQLITE_PATH=\/data\/assay\.db/, 'the store writes to the data volume');
});

function docker(args: string[], timeout = 30_000) {
  return spawnSync('docker', args, { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
}

test('Docker engine: the scanner image builds and runs as a non-root user on a read-only root', { timeout: 900_000 }, (t) => {
  const info = docker(['info', '--format', '{{.ServerVersion}}']);
  if (info.error || info.status !== 0) {
    t.skip(
      `no Docker engine: \`docker info\` ${info.error ? `could not run (${info.error.message})` : `failed: ${info.stderr.trim().split('\n').at(-1)}`}; image not built`,
    );
    return;
  }
  const tag = `assay-scanner:deploy-test-${process.pid}`;
  const build = docker(
    ['build', '-f', join(repoRoot, 'deploy', 'docker', 'Dockerfile'), '--build-arg', 'SERVICE=scanner', '-t', tag, repoRoot],
    840_000,
  );
  if (
    build.status !== 0 &&
    /pull access denied|failed to resolve|dial tcp|no such host|TLS handshake|i\/o timeout|failed to fetch|connection refused/i.test(
      build.stderr,
    )
  ) {
    t.skip(
      `Docker engine without access to the base images (node:24-bookworm-slim, distroless nodejs24): ${build.stderr.trim().split('\n').at(-1)}`,
    );
    return;
  }
  assert.equal(build.status, 0, build.stderr);
  try {
    const uid = docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--entrypoint',
      'node',
      tag,
      '-e',
      'console.log(process.getuid(), process.getgid())',
    ]);
    assert.equal(uid.status, 0, uid.stderr);
    const [u, g] = uid.stdout.trim().split(' ').map(Number);
    assert.ok(u !== undefined && u !== 0, `runs as uid ${u}`);
    assert.equal(u, 10001);
    assert.equal(g, 10001);
    const npm = docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'node',
      tag,
      '-e',
      "require('node:fs').accessSync('/usr/local/lib/node_modules/npm')",
    ]);
    assert.notEqual(npm.status, 0, 'npm is not in the runtime image');
    const entry = docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--entrypoint',
      'node',
      tag,
      '-e',
      "console.log(require('node:fs').readFileSync('/app/main.mjs','utf8'))",
    ]);
    assert.match(entry.stdout, /services\/scanner\/src\/main\.ts/);
  } finally {
    docker(['rmi', '-f', tag]);
  }
});
