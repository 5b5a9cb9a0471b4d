// The local stack's docker-registry (started as `npm start` starts it) answering requests for
// things it does not hold: those 404s, which Distribution logs at level=error, must not reach
// the terminal as errors; a real fault still does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRegistry, type RegistryProcess } from '../../scripts/local-stack/extras.ts';
import { classifyRegistryLine, logfmtFields } from '../../scripts/local-stack/registry-log.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir } from '../support/tempdir.ts';

const MISSING_BLOB = `sha256:${'a'.repeat(64)}`;

describe('docker-registry log lines in the local stack', () => {
  let dir: { path: string; remove(): Promise<void> };
  let registry: RegistryProcess;
  const lines: string[] = [];

  before(async () => {
    dir = await makeTempDir('registry-log');
    registry = await startRegistry({
      stateDir: dir.path,
      port: await freePort(),
      // Nothing is pushed: no notification is ever sent.
      notifyUrl: 'http://127.0.0.1:9/registry/events/local',
      token: 'unused',
      onLine: (line) => lines.push(line),
    });
  });
  after(async () => {
    await registry?.child.stop(5000);
    await dir?.remove();
  });

  /** The registry's log line for the request to `uri` (it is written once the response is). */
  async function lineFor(method: string, uri: string, init: RequestInit = {}): Promise<string> {
    const res = await fetch(`${registry.url}${uri}`, { method, ...init });
    await res.arrayBuffer();
    const deadline = Date.now() + 5000;
    for (;;) {
      const line = lines.find(
        (l) => logfmtFields(l).get('http.request.uri') === uri && logfmtFields(l).get('http.request.method') === method,
      );
      if (line) return line;
      if (Date.now() > deadline) throw new Error(`no log line for ${method} ${uri}; lines:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a tag never pushed (HEAD manifest, the admission lookup): info, naming the request, not an error', async () => {
    const line = await lineFor('HEAD', '/v2/demo/never-pushed/manifests/1.0');
    assert.match(line, /level=error/, 'Distribution itself calls it an error');
    const shown = classifyRegistryLine(line);
    assert.equal(shown?.level, 'info');
    assert.match(
      shown!.message,
      /^docker-registry: HEAD \/v2\/demo\/never-pushed\/manifests\/1\.0: 404 manifest unknown \(not in the registry/,
    );
  });

  it('a repository never pushed (tags list): info', async () => {
    const shown = classifyRegistryLine(await lineFor('GET', '/v2/demo/never-pushed/tags/list'));
    assert.equal(shown?.level, 'info');
    assert.match(shown!.message, /404 name unknown/);
  });

  it('a push asking for a blob it has not uploaded: debug (shown only with LOG_LEVEL=debug)', async () => {
    const shown = classifyRegistryLine(await lineFor('HEAD', `/v2/demo/app/blobs/${MISSING_BLOB}`));
    assert.equal(shown?.level, 'debug');
    assert.match(shown!.message, /a push checking which layers to upload/);
  });

  it('a refused request that is not "not found" stays an error', async () => {
    // A manifest that is not one: 400 manifest invalid.
    const line = await lineFor('PUT', '/v2/demo/app/manifests/bad', {
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:00","size":1},"layers":[]}',
    });
    const shown = classifyRegistryLine(line);
    assert.equal(shown?.level, 'error', line);
    assert.ok(shown!.message.startsWith('docker-registry: time='), 'the whole line, as before');
  });

  it('info and warning lines stay in the log file only', () => {
    const quiet = lines.filter((l) => /level=(info|warning)/.test(l));
    assert.ok(quiet.length > 0, 'the registry logged its start');
    for (const l of quiet) assert.equal(classifyRegistryLine(l), undefined, l);
  });
});
