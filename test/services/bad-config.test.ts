// A service started as a real process with a bad configuration exits with EX_CONFIG (78) and
// exactly one clear line on stderr naming the variable; nothing on stdout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const SERVICES = ['registry-watcher', 'scanner', 'policy', 'admission', 'audit'];

function run(service: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NATS_|HTTP_|ASSAY_|LOG_LEVEL)/.test(k)));
    const child = spawn(process.execPath, [join(root, 'services', service, 'src', 'main.ts')], {
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} did not exit; stdout=${stdout} stderr=${stderr}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function assertOneLine(r: { code: number | null; stdout: string; stderr: string }, expected: string) {
  assert.equal(r.code, 78, `exit code; stderr=${r.stderr}`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one stderr line, got: ${JSON.stringify(r.stderr)}`);
  assert.equal(lines[0], expected);
}

describe('services: bad configuration', () => {
  for (const service of SERVICES) {
    it(`${service}: HTTP_PORT=abc`, async () => {
      const r = await run(service, { HTTP_PORT: 'abc' });
      assertOneLine(r, `${service}: invalid configuration: HTTP_PORT="abc" is not a port number (1-65535, or 0 for any free port)`);
    });
  }

  it('NATS_URL=not-a-url', async () => {
    const r = await run('scanner', { NATS_URL: 'not-a-url' });
    assertOneLine(
      r,
      'scanner: invalid configuration: NATS_URL="not-a-url" is not a NATS URL (nats://host:port, or tls://…; comma-separated for a cluster)',
    );
  });

  it('a secret is never printed', async () => {
    const r = await run('policy', { NATS_PASSWORD: 'very-secret-pw' });
    assertOneLine(r, 'policy: invalid configuration: NATS_PASSWORD is set but NATS_USER is not (both are needed)');
    assert.ok(!r.stderr.includes('very-secret-pw'));
  });

  it('a missing configuration file', async () => {
    const r = await run('audit', { ASSAY_CONFIG_FILE: '/nonexistent/assay.yaml' });
    assertOneLine(r, 'audit: invalid configuration: ASSAY_CONFIG_FILE="/nonexistent/assay.yaml" cannot be read (no such file)');
  });
});
