// @assay/config: defaults, coercion, file + environment precedence, one-line errors naming the
// variable, and secrets never shown.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  bool,
  commonChecks,
  commonSettings,
  ConfigError,
  defineConfig,
  durationMs,
  int,
  list,
  natsServers,
  oneOf,
  port,
  secret,
  str,
  url,
  z,
} from '@assay/config';
import { makeTempDir } from '../support/tempdir.ts';

const spec = defineConfig(
  {
    ...commonSettings({ httpPort: 8082 }),
    WORKERS: int({ min: 1, max: 64 }).default(4).describe('Parallel scans'),
    DRY_RUN: bool().default(false),
    POLL_INTERVAL: durationMs().default(30_000),
    ES_URL: url().describe('Elasticsearch URL'),
    MODE: oneOf(['fast', 'thorough']).default('fast'),
    REGISTRIES: list().default([]),
    API_TOKEN: secret().optional(),
    SIGNING_KEY_PATH: str('a file path').optional(),
    RATIO: z.coerce.number().min(0).max(1).default(0.5).describe('A plain zod schema'),
    CUSTOM_SECRET: z
      .string()
      .regex(/^s-/, { error: (i) => `bad value ${String(i.input)}` })
      .optional(),
  },
  { checks: [(c) => commonChecks(c)] },
);

const base = { ES_URL: 'http://127.0.0.1:9200' };

function loadError(env: Record<string, string>, file?: string): ConfigError {
  try {
    spec.load({ env: { ...base, ...env }, ...(file ? { file } : {}) });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `error must be one line: ${JSON.stringify(err.message)}`);
    assert.match(err.message, /^invalid configuration: /);
    return err;
  }
  assert.fail(`no ConfigError for ${JSON.stringify(env)}`);
}

describe('config: defaults and coercion', () => {
  it('fills defaults for every common variable', () => {
    const c = spec.load({ env: base });
    assert.deepEqual(c.NATS_URL, ['nats://127.0.0.1:4222']);
    assert.equal(c.HTTP_HOST, '127.0.0.1');
    assert.equal(c.HTTP_PORT, 8082);
    assert.equal(c.NATS_REPLICAS, 1);
    assert.equal(c.LOG_LEVEL, 'info');
    assert.equal(c.NATS_USER, undefined);
    assert.equal(c.NATS_PASSWORD, undefined);
    assert.ok(c.SERVICE_INSTANCE.length > 0);
    assert.equal(c.WORKERS, 4);
    assert.equal(c.DRY_RUN, false);
    assert.equal(c.POLL_INTERVAL, 30_000);
    assert.equal(c.MODE, 'fast');
    assert.deepEqual(c.REGISTRIES, []);
    assert.equal(c.RATIO, 0.5);
  });

  it('coerces strings to typed values', () => {
    const c = spec.load({
      env: {
        ...base,
        HTTP_PORT: '9000',
        NATS_URL: 'nats://a:4222, nats://b:4222,tls://c:4443',
        NATS_REPLICAS: '3',
        WORKERS: ' 16 ',
        DRY_RUN: 'Yes',
        POLL_INTERVAL: '2m',
        MODE: 'THOROUGH',
        REGISTRIES: 'r1.example, r2.example',
        LOG_LEVEL: 'DEBUG',
        RATIO: '0.25',
        NATS_USER: 'scanner',
        NATS_PASSWORD: 'pw',
      },
    });
    assert.equal(c.HTTP_PORT, 9000);
    assert.deepEqual(c.NATS_URL, ['nats://a:4222', 'nats://b:4222', 'tls://c:4443']);
    assert.equal(c.NATS_REPLICAS, 3);
    assert.equal(c.WORKERS, 16);
    assert.equal(c.DRY_RUN, true);
    assert.equal(c.POLL_INTERVAL, 120_000);
    assert.equal(c.MODE, 'thorough');
    assert.deepEqual(c.REGISTRIES, ['r1.example', 'r2.example']);
    assert.equal(c.LOG_LEVEL, 'debug');
    assert.equal(c.RATIO, 0.25);
    assert.equal(c.NATS_USER, 'scanner');
  });

  it('treats empty variables as unset and ignores unknown ASSAY_/NATS_ variables', () => {
    const c = spec.load({ env: { ...base, HTTP_PORT: '', WORKERS: '  ', ASSAY_WHATEVER: 'x', NATS_SOMETHING_NEW: 'y' } });
    assert.equal(c.HTTP_PORT, 8082);
    assert.equal(c.WORKERS, 4);
    assert.ok(!('ASSAY_WHATEVER' in c));
    assert.ok(!('NATS_SOMETHING_NEW' in c));
  });

  it('accepts HTTP_PORT=0 (any free port)', () => {
    assert.equal(spec.load({ env: { ...base, HTTP_PORT: '0' } }).HTTP_PORT, 0);
  });

  it('lists its variables with descriptions, defaults and secrecy', () => {
    const vars = spec.variables();
    const workers = vars.find((v) => v.name === 'WORKERS');
    assert.deepEqual(workers, {
      name: 'WORKERS',
      description: 'Parallel scans',
      expected: 'an integer (1-64)',
      default: 4,
      secret: false,
    });
    assert.equal(vars.find((v) => v.name === 'NATS_PASSWORD')?.secret, true);
    assert.equal(vars.find((v) => v.name === 'API_TOKEN')?.secret, true);
    assert.equal(vars.find((v) => v.name === 'HTTP_PORT')?.default, 8082);
  });

  it('redacts secrets in a loaded config for logging', () => {
    const c = spec.load({ env: { ...base, NATS_USER: 'u', NATS_PASSWORD: 'hunter2', API_TOKEN: 'tok' } });
    const r = spec.redact(c);
    assert.equal(r.NATS_PASSWORD, '<redacted>');
    assert.equal(r.API_TOKEN, '<redacted>');
    assert.equal(r.NATS_USER, 'u');
    assert.ok(!JSON.stringify(r).includes('hunter2'));
  });
});

describe('config: file and environment', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await makeTempDir('config');
  });
  after(async () => {
    await dir.remove();
  });

  it('reads a YAML file named by ASSAY_CONFIG_FILE; the environment wins', async () => {
    const file = join(dir.path, 'assay.yaml');
    await writeFile(
      file,
      'HTTP_PORT: 9100\nWORKERS: 8\nDRY_RUN: true\nNATS_URL:\n  - nats://n1:4222\n  - nats://n2:4222\nES_URL: http://es.example:9200\nUNRELATED_KEY: 1\n',
    );
    const c = spec.load({ env: { ASSAY_CONFIG_FILE: file, WORKERS: '2' } });
    assert.equal(c.HTTP_PORT, 9100, 'from the file (a YAML number)');
    assert.equal(c.WORKERS, 2, 'the environment wins over the file');
    assert.equal(c.DRY_RUN, true, 'a YAML boolean');
    assert.deepEqual(c.NATS_URL, ['nats://n1:4222', 'nats://n2:4222'], 'a YAML list');
    assert.equal(c.ES_URL, 'http://es.example:9200');
    assert.equal(c.MODE, 'fast', 'defaults under both');
  });

  it('reads a JSON file', async () => {
    const file = join(dir.path, 'assay.json');
    await writeFile(file, JSON.stringify({ HTTP_PORT: 9200, ES_URL: 'https://es:9200', NATS_REPLICAS: 3 }));
    const c = spec.load({ env: { ASSAY_CONFIG_FILE: file } });
    assert.equal(c.HTTP_PORT, 9200);
    assert.equal(c.NATS_REPLICAS, 3);
  });

  it('names the file when a bad value comes from it', async () => {
    const file = join(dir.path, 'bad.yaml');
    await writeFile(file, 'HTTP_PORT: 70000\n');
    const err = loadError({ ASSAY_CONFIG_FILE: file });
    assert.equal(
      err.message,
      `invalid configuration: HTTP_PORT="70000" (from ${file}) is not a port number (1-65535, or 0 for any free port)`,
    );
  });

  it('a missing file is one line naming ASSAY_CONFIG_FILE', () => {
    const missing = join(dir.path, 'nope.yaml');
    const err = loadError({ ASSAY_CONFIG_FILE: missing });
    assert.equal(err.message, `invalid configuration: ASSAY_CONFIG_FILE=${JSON.stringify(missing)} cannot be read (no such file)`);
  });

  it('an unparsable file is one line naming ASSAY_CONFIG_FILE and the format', async () => {
    const yamlFile = join(dir.path, 'broken.yaml');
    await writeFile(yamlFile, 'HTTP_PORT: [1, 2\nWORKERS: 3\n');
    assert.match(
      loadError({ ASSAY_CONFIG_FILE: yamlFile }).message,
      /^invalid configuration: ASSAY_CONFIG_FILE=".*broken\.yaml" is not valid YAML \(.+\)$/,
    );
    const jsonFile = join(dir.path, 'broken.json');
    await writeFile(jsonFile, '{"HTTP_PORT": ');
    assert.match(
      loadError({ ASSAY_CONFIG_FILE: jsonFile }).message,
      /^invalid configuration: ASSAY_CONFIG_FILE=".*broken\.json" is not valid JSON \(.+\)$/,
    );
    const listFile = join(dir.path, 'list.yaml');
    await writeFile(listFile, '- a\n- b\n');
    assert.match(loadError({ ASSAY_CONFIG_FILE: listFile }).message, /is not a mapping of variable names to values/);
  });
});

describe('config: one-line errors naming the variable', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['port', { HTTP_PORT: 'abc' }, 'HTTP_PORT="abc" is not a port number (1-65535, or 0 for any free port)'],
    ['port range', { HTTP_PORT: '65536' }, 'HTTP_PORT="65536" is not a port number (1-65535, or 0 for any free port)'],
    [
      'NATS URL',
      { NATS_URL: 'not-a-url' },
      'NATS_URL="not-a-url" is not a NATS URL (nats://host:port, or tls://…; comma-separated for a cluster)',
    ],
    ['NATS URL scheme', { NATS_URL: 'http://x:4222' }, 'NATS_URL="http://x:4222" is not a NATS URL'],
    ['integer range', { NATS_REPLICAS: '0' }, 'NATS_REPLICAS="0" is not an integer (1-5)'],
    ['integer form', { WORKERS: '2.5' }, 'WORKERS="2.5" is not an integer (1-64)'],
    ['boolean', { DRY_RUN: 'maybe' }, 'DRY_RUN="maybe" is not a boolean (true/false, 1/0, yes/no, on/off)'],
    ['duration', { POLL_INTERVAL: 'soon' }, 'POLL_INTERVAL="soon" is not a duration (e.g. 1500, 1500ms, 30s, 5m, 1h)'],
    ['enum', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL="loud" is not one of fatal, error, warn, info, debug, trace, silent'],
    ['URL', { ES_URL: 'es:9200' }, 'ES_URL="es:9200" is not a URL (http:// or https://…)'],
    ['plain zod schema', { RATIO: '2' }, 'RATIO="2" is invalid: Too big: expected number to be <=1'],
    ['value with a newline', { MODE: 'a\nb' }, 'MODE="a\\nb" is not one of fast, thorough'],
  ];
  for (const [kind, env, expected] of cases) {
    it(kind, () => {
      const err = loadError(env);
      assert.ok(err.message.startsWith(`invalid configuration: ${expected}`), err.message);
      assert.deepEqual(
        err.problems.map((p) => p.variable),
        [Object.keys(env)[0]],
      );
    });
  }

  it('a required variable that is missing', () => {
    try {
      spec.load({ env: {} });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, 'invalid configuration: ES_URL is required (a URL (http:// or https://…))');
    }
  });

  it('several problems, one line', () => {
    const err = loadError({ HTTP_PORT: 'x', NATS_URL: 'y' });
    assert.deepEqual(err.problems.map((p) => p.variable).sort(), ['HTTP_PORT', 'NATS_URL']);
    assert.match(err.message, /HTTP_PORT="x" is not a port number.*; NATS_URL="y" is not a NATS URL/);
  });

  it('rules across variables (user without password)', () => {
    const err = loadError({ NATS_USER: 'scanner' });
    assert.equal(err.message, 'invalid configuration: NATS_USER is set but NATS_PASSWORD is not (both are needed)');
    assert.match(loadError({ NATS_TLS_CERT: '/c.pem' }).message, /NATS_TLS_CERT and NATS_TLS_KEY go together/);
  });
});

describe('config: secrets are never shown', () => {
  it('redacts values of variables named like secrets', () => {
    const s = defineConfig({
      NATS_PASSWORD: z.string().min(20),
      DB_SECRET: port(),
      MY_TOKEN: int(),
      NATS_NKEY_SEED: z.string().startsWith('SU'),
      TLS_KEY: natsServers(),
    });
    try {
      s.load({
        env: {
          NATS_PASSWORD: 'hunter2-short',
          DB_SECRET: 'topsecret',
          MY_TOKEN: 'tok-123',
          NATS_NKEY_SEED: 'SXABCDEF',
          TLS_KEY: 'keymaterial',
        },
      });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      for (const value of ['hunter2-short', 'topsecret', 'tok-123', 'SXABCDEF', 'keymaterial']) {
        assert.ok(!err.message.includes(value), `secret value leaked: ${err.message}`);
      }
      for (const name of ['NATS_PASSWORD', 'DB_SECRET', 'MY_TOKEN', 'NATS_NKEY_SEED', 'TLS_KEY']) {
        assert.ok(err.message.includes(`${name}=<redacted>`), `${name} not named: ${err.message}`);
      }
      assert.ok(!err.message.includes('\n'));
    }
  });

  it('redacts a secret field even when its own message would echo the value', () => {
    const err = loadError({ CUSTOM_SECRET: 'plain-value' });
    // CUSTOM_SECRET is secret by its name; the schema's message repeats the input.
    assert.ok(!err.message.includes('plain-value'), err.message);
    assert.match(err.message, /CUSTOM_SECRET=<redacted> is invalid: bad value <redacted>/);
  });

  it('redacts fields declared secret whatever their name', () => {
    const s = defineConfig({ ELASTIC_AUTH: secret().pipe(z.string().min(30)) });
    try {
      s.load({ env: { ELASTIC_AUTH: 'user:pass' } });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes('user:pass'), err.message);
      assert.match(err.message, /ELASTIC_AUTH=<redacted>/);
    }
  });
});
