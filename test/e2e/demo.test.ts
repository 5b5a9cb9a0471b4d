// `npm run demo` end to end: scripts/local-stack.ts as a child process (state in a temporary
// directory, free ports), then scripts/demo.ts against it, twice (a re-run pushes new digests).
// Each run must exit 0 with the summary line; SIGINT then stops the stack, registry included.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, startProcess, waitFor } from '../support/processes.ts';
import { makeTempDir } from '../support/tempdir.ts';
import type { StackState } from '../../scripts/local-stack/stack.ts';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const DEMO_LINE = /^demo: denied=(\d+) allowed=(\d+) audit_events=(\d+) push_to_verdict_ms=(\d+)$/;
const AUDIT_LINE = /^ {4}(\d+) audit events from this run in (\d+) stream messages: (.*)$/m;

const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NATS_|HTTP_|ASSAY_|ES_URL|LOG_LEVEL|FORCE_COLOR|NO_COLOR)/.test(k)));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(file: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

async function runDemo(stateDir: string): Promise<{ code: number | null; out: string }> {
  const p = startProcess(process.execPath, [join(root, 'scripts', 'demo.ts')], {
    cwd: root,
    env: { ...cleanEnv(), ASSAY_STATE_DIR: stateDir },
  });
  // 'close', not 'exit': the output has been read in full by then.
  const code = await new Promise<number | null>((resolve) => p.child.once('close', (c: number | null) => resolve(c)));
  return { code, out: p.output() };
}

describe('npm run demo', { timeout: 300_000 }, () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  const procs: ManagedProcess[] = [];
  after(async () => {
    for (const p of procs) await p.kill();
    for (const d of dirs) await d.remove();
  });

  it('refuses to run without a started system', async () => {
    const dir = await makeTempDir('demo-none');
    dirs.push(dir);
    const r = await runDemo(dir.path);
    assert.equal(r.code, 1);
    assert.match(r.out, /start the system first with `npm start`/);
  });

  it('walks through against `npm start`: denied=3 allowed=2, under 10 s push to verdict, re-runnable', { timeout: 280_000 }, async () => {
    const dir = await makeTempDir('demo-stack');
    dirs.push(dir);
    const stack = startProcess(process.execPath, [join(root, 'scripts', 'local-stack.ts')], {
      cwd: root,
      // Admission holds its audit events up to 5 s for a batch: the demo's three decisions travel
      // in one stream message, and must still count as three events.
      env: { ...cleanEnv(), ASSAY_STATE_DIR: dir.path, ASSAY_NATS_PORT: '0', ASSAY_BASE_PORT: '0', ADMISSION_AUDIT_BATCH_LINGER: '5000' },
    });
    procs.push(stack);
    const stateFile = join(dir.path, 'local-stack.json');
    const state = await waitFor(
      'every service ready',
      () => {
        const s = readState(stateFile);
        return s?.ready ? s : undefined;
      },
      { process: stack, timeoutMs: 120_000, intervalMs: 200 },
    );
    assert.equal(statSync(stateFile).mode & 0o777, 0o600, 'the state file holds tokens');
    assert.equal(state.console?.url, `${state.policyApi?.url}/console/`);
    assert.ok(state.registry, 'a local registry');
    assert.match(state.webhook?.url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    await waitFor('summary line', () => (stack.output().includes('assay is ready:') ? true : undefined), { process: stack });
    const summary =
      stack
        .output()
        .split('\n')
        .find((l) => l.includes('assay is ready:')) ?? '';
    assert.ok(summary.includes(`registry ${state.registry.url}`), summary);
    assert.ok(summary.includes(`webhook ${state.webhook!.url}`), summary);

    for (const run of [1, 2]) {
      const r = await runDemo(dir.path);
      const lines = r.out.trimEnd().split('\n');
      assert.equal(r.code, 0, `demo run ${run} exit code; output:\n${r.out}`);
      const m = DEMO_LINE.exec(lines.at(-1) ?? '');
      assert.ok(m, `demo run ${run} last line: ${lines.at(-1)}`);
      assert.equal(m[1], '3', 'denied');
      assert.equal(m[2], '2', 'allowed');
      // Events, not stream messages: every kind counted, the three decisions among them.
      const a = AUDIT_LINE.exec(r.out);
      assert.ok(a, `demo run ${run} audit line; output:\n${r.out}`);
      const kinds = Object.fromEntries(
        a[3]!
          .split(' ')
          .map((kv) => kv.split('=') as [string, string])
          .map(([k, n]) => [k, Number(n)]),
      );
      assert.equal(kinds.admission, 5, `one admission event per review: ${a[3]}`);
      assert.equal(
        Number(a[1]),
        Object.values(kinds).reduce((x, y) => x + y, 0),
        'the total is the sum of the kinds',
      );
      assert.equal(m[3], a[1], 'audit_events is the number of events');
      assert.ok(Number(a[2]) < Number(a[1]), `the batched decisions are fewer messages than events: ${a[0]}`);
      assert.ok(
        (kinds.scan ?? 0) >= 2 && (kinds.verdictChange ?? 0) >= 2,
        `the scans and verdicts of this run's two new images are counted too: ${a[3]}`,
      );
      assert.ok(Number(m[4]) < 10_000, `push_to_verdict_ms ${m[4]}`);
      assert.match(r.out, /ssl-cert-snakeoil\.key/);
      assert.match(r.out, /once signed, it is compliant/);
      // At the end, where the console is, and the denied demo image's page in it.
      const demoDigest = /demo image +\(Debian[^\n]*: (sha256:[0-9a-f]{64})$/m.exec(r.out)?.[1];
      const shown =
        /^==> The console\n {4}console: (\S+) \(sign in with the policy API token in (\S+)\)\n {4}the non-compliant demo image: (\S+)$/m.exec(
          r.out,
        );
      assert.ok(demoDigest && shown, `demo run ${run} console lines; output:\n${r.out}`);
      assert.equal(shown[1], state.console?.url);
      assert.equal(shown[2], stateFile);
      assert.equal(shown[3], `${state.console?.url}images/${demoDigest}`);
      if (run === 1) {
        assert.match(r.out, /created policies\/demo-no-private-keys \(version 1\)/);
        // Someone edits the demo's image policy (its name only, so the walkthrough still holds).
        const url = `${state.policyApi!.url}/api/v1/policies/demo-no-private-keys`;
        const headers = { authorization: `Bearer ${state.policyApi!.token}` };
        const cur = (await (await fetch(url, { headers })).json()) as { version: number; document: Record<string, unknown> };
        const put = await fetch(url, {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'application/json', 'if-match': `"${cur.version}"` },
          body: JSON.stringify({ document: { ...cur.document, name: 'my own name' } }),
        });
        assert.equal(put.status, 200, await put.text());
      } else {
        // The re-run leaves the edited policy as it is, says so, and keeps its own untouched ones.
        assert.match(r.out, /policies\/demo-no-private-keys left as it is \(version 2[ )]/);
        assert.match(r.out, /runtime-policies\/demo-block-non-compliant as the demo wrote it \(version 1\)/);
        const headers = { authorization: `Bearer ${state.policyApi!.token}` };
        const now = (await (await fetch(`${state.policyApi!.url}/api/v1/policies/demo-no-private-keys`, { headers })).json()) as {
          version: number;
          document: { name: string };
        };
        assert.equal(now.version, 2);
        assert.equal(now.document.name, 'my own name');
      }
    }

    // The pushes' blob probes and other 404s are answers, not registry errors.
    assert.doesNotMatch(stack.output(), /stack +ERROR +docker-registry:/);

    const pids = [state.nats.pid, state.registry.pid, ...state.services.map((s) => s.pid)];
    stack.child.kill('SIGINT');
    const code = await stack.exited;
    assert.equal(code, 0, stack.output().slice(-2000));
    await waitFor('every process gone', () => (pids.every((p) => !alive(p)) ? true : undefined), { timeoutMs: 15_000 });
  });
});
