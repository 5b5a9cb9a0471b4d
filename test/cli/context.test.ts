// The CLI's context: the local stack's state file found from a subdirectory (or ASSAY_STATE_DIR),
// an ASSAY_CONTEXT / --context file, flags winning over both, clear errors for a bad file, and
// `assay policy list` with no flags against a real policy service started here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliError, resolveContext } from '@assay/cli';
import { startHarness, TOKEN, type Harness } from '../policy/harness.ts';
import { makeTempDir } from '../support/tempdir.ts';
import { LAUNCHER, type CliRun } from './helpers.ts';

/** A state file as `npm start` writes it (scripts/local-stack/state-file.ts). */
function stackState(policyUrl: string, pid = process.pid) {
  return {
    pid,
    startedAt: new Date().toISOString(),
    ready: true,
    nats: { pid, url: 'nats://127.0.0.1:4222', demo: { user: 'assay-local-demo', password: 'demo-secret' } },
    services: [
      { name: 'policy', pid, url: policyUrl, ready: true, restarts: 0 },
      { name: 'scanner', pid, url: 'http://127.0.0.1:8081', ready: true, restarts: 0 },
    ],
    webhook: { url: 'https://127.0.0.1:8443', caCert: '/state/tls/ca.crt' },
    policyApi: { url: policyUrl, token: TOKEN },
  };
}

/** `assay …` through the launcher, in `cwd`, with the environment's ASSAY_* variables replaced by `env`. */
function runIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASSAY_')));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [LAUNCHER, ...args], { cwd, env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (typeof code !== 'number') return reject(err);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('resolveContext', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let deep: string;
  before(async () => {
    dir = await makeTempDir('cli-context');
    deep = join(dir.path, 'repo', 'packages', 'x');
    await mkdir(deep, { recursive: true });
    await mkdir(join(dir.path, 'repo', '.assay'));
    await writeFile(join(dir.path, 'repo', '.assay', 'local-stack.json'), JSON.stringify(stackState('http://127.0.0.1:8083')));
  });
  after(() => dir?.remove());

  it('finds .assay/local-stack.json from a subdirectory', async () => {
    const ctx = await resolveContext({}, { cwd: deep, env: {} });
    assert.equal(ctx.source, join(dir.path, 'repo', '.assay', 'local-stack.json'));
    assert.deepEqual(ctx.policyApi, { url: 'http://127.0.0.1:8083', token: TOKEN });
    assert.equal(ctx.scannerUrl, 'http://127.0.0.1:8081');
    assert.deepEqual(ctx.webhook, { url: 'https://127.0.0.1:8443', ca: '/state/tls/ca.crt' });
    assert.deepEqual(ctx.nats, { url: 'nats://127.0.0.1:4222', user: 'assay-local-demo', password: 'demo-secret' });
  });

  it('reads ASSAY_STATE_DIR instead of walking up, and nothing outside any repository', async () => {
    const elsewhere = join(dir.path, 'state');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(join(elsewhere, 'local-stack.json'), JSON.stringify(stackState('http://127.0.0.1:9999')));
    const ctx = await resolveContext({}, { cwd: deep, env: { ASSAY_STATE_DIR: elsewhere } });
    assert.equal(ctx.policyApi?.url, 'http://127.0.0.1:9999');
    assert.deepEqual(await resolveContext({}, { cwd: dir.path, env: {} }), {});
  });

  it('ignores the URLs of a stack whose launcher is gone (a file left by a kill -9)', async () => {
    const stale = join(dir.path, 'stale');
    await mkdir(stale);
    // A pid above the kernel's maximum (4194304) is never running.
    await writeFile(join(stale, 'local-stack.json'), JSON.stringify(stackState('http://127.0.0.1:8083', 2 ** 30)));
    const ctx = await resolveContext({}, { cwd: deep, env: { ASSAY_STATE_DIR: stale } });
    assert.equal(ctx.policyApi, undefined);
    assert.equal(ctx.nats, undefined);
  });

  it('ASSAY_CONTEXT (YAML, secrets from files beside it) wins over the state file; --context wins over both', async () => {
    await writeFile(join(dir.path, 'api-token'), 'from-file\n');
    await writeFile(
      join(dir.path, 'ctx.yaml'),
      [
        'policyApi:',
        '  url: https://policy.example.com/',
        '  tokenFile: api-token',
        'scanner: {url: http://scanner.example.com:8080}',
        'webhook: {url: "https://webhook.example.com", ca: tls/ca.crt}',
        'nats: {url: "nats://a:4222,nats://b:4222", user: ops, password: pw}',
        '',
      ].join('\n'),
    );
    const ctx = await resolveContext({}, { cwd: deep, env: { ASSAY_CONTEXT: join(dir.path, 'ctx.yaml') } });
    assert.deepEqual(ctx.policyApi, { url: 'https://policy.example.com', token: 'from-file' });
    assert.equal(ctx.scannerUrl, 'http://scanner.example.com:8080');
    assert.deepEqual(ctx.webhook, { url: 'https://webhook.example.com', ca: join(dir.path, 'tls', 'ca.crt') });
    assert.deepEqual(ctx.nats, { url: 'nats://a:4222,nats://b:4222', user: 'ops', password: 'pw' });

    await writeFile(join(dir.path, 'other.json'), JSON.stringify({ scanner: { url: 'http://other:1' } }));
    const flag = await resolveContext(
      { context: join(dir.path, 'other.json') },
      { cwd: deep, env: { ASSAY_CONTEXT: join(dir.path, 'ctx.yaml') } },
    );
    assert.deepEqual(flag, { source: join(dir.path, 'other.json'), scannerUrl: 'http://other:1' });
  });

  it('a bad context file is a CliError naming the file and the field', async () => {
    const bad = async (name: string, text: string, message: RegExp) => {
      const p = join(dir.path, name);
      await writeFile(p, text);
      await assert.rejects(resolveContext({ context: p }, { cwd: dir.path, env: {} }), (err: Error) => {
        assert.ok(err instanceof CliError, String(err));
        assert.ok(err.message.includes(p), err.message);
        assert.match(err.message, message);
        return true;
      });
    };
    await bad('typo.yaml', 'policyAPI: {url: http://x}\n', /policyAPI: unknown field/);
    await bad('url.yaml', 'scanner: {url: not a url}\n', /scanner\.url: "not a url" is not a URL/);
    await bad('scheme.yaml', 'webhook: {url: "http://w"}\n', /webhook\.url: .* is not a https: URL/);
    await bad('token.yaml', 'policyApi: {url: "http://p"}\n', /policyApi: token or tokenFile is required/);
    await bad('both.yaml', 'policyApi: {url: "http://p", token: a, tokenFile: b}\n', /policyApi: give token or tokenFile, not both/);
    await bad('nofile.yaml', 'policyApi: {url: "http://p", tokenFile: missing}\n', /policyApi\.tokenFile: .*no such file/);
    await bad('list.yaml', '- a\n', /expected a mapping/);
    await bad('broken.yaml', 'a: [\n', /not YAML or JSON/);
    await assert.rejects(
      resolveContext({}, { cwd: dir.path, env: { ASSAY_CONTEXT: join(dir.path, 'absent.yaml') } }),
      /ASSAY_CONTEXT .*absent\.yaml: no such file/,
    );
  });
});

describe('assay commands find the running system (policy service in-process)', () => {
  let h: Harness;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let sub: string;
  before(async () => {
    h = await startHarness();
    dir = await makeTempDir('cli-context-live');
    sub = join(dir.path, 'services', 'policy');
    await mkdir(sub, { recursive: true });
    await mkdir(join(dir.path, '.assay'));
    await writeFile(join(dir.path, '.assay', 'local-stack.json'), JSON.stringify(stackState(h.url)));
    await writeFile(
      join(dir.path, 'policy.yaml'),
      'apiVersion: assay.dev/v1\nkind: ImageAssurancePolicy\nid: baseline\nspec:\n  name: baseline\n  enabled: true\n  action: block\n  controls: {}\n',
    );
  });
  after(async () => {
    await h?.close();
    await dir?.remove();
  });

  it('`assay policy apply` and `list` need no flags below a directory of a running stack, and never print the token', async () => {
    const applied = await runIn(sub, ['policy', 'apply', '-f', join(dir.path, 'policy.yaml')]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /ImageAssurancePolicy baseline: created/);
    const list = await runIn(sub, ['policy', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^baseline\s+1\s+baseline\s+true$/m);
    assert.ok(!`${list.stdout}${list.stderr}`.includes(TOKEN));
  });

  it('flags win over the context, and the context token goes only to its own URL', async () => {
    // --token-file wins: a wrong token is refused although the context's would do.
    await writeFile(join(dir.path, 'wrong'), 'nope\n');
    const wrong = await runIn(sub, ['policy', 'list', '--token-file', join(dir.path, 'wrong')]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /HTTP 401/);
    // --api wins, and the context's token is not sent elsewhere.
    const other = await runIn(sub, ['policy', 'list', '--api', 'http://127.0.0.1:9']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /--token-file <f> .* is required/);
    const down = await runIn(sub, ['policy', 'list', '--api', 'http://127.0.0.1:9', '--token-file', join(dir.path, 'wrong')]);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /^assay policy: http:\/\/127\.0\.0\.1:9\/api\/v1\/policies/);
    // ASSAY_CONTEXT wins over the state file.
    await writeFile(join(dir.path, 'ctx.yaml'), 'scanner: {url: "http://127.0.0.1:9"}\n');
    const noApi = await runIn(sub, ['policy', 'list'], { ASSAY_CONTEXT: join(dir.path, 'ctx.yaml') });
    assert.equal(noApi.code, 2);
    assert.match(noApi.stderr, /--api <url> is required \(.*ctx\.yaml names none\)/);
  });

  it('without any context, the error says how to get one', async () => {
    const none = await runIn('/', ['policy', 'list']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--api <url> is required \(or run `npm start`/);
  });
});
