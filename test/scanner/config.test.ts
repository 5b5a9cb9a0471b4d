// The scanner's configuration: defaults, sizes with units, and one-line errors naming the
// variable (never echoing the registry list, which holds credentials).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '@assay/config';
import { createService } from '@assay/service-kit';
import { limitsFrom, scannerService } from '@assay/scanner';

function configError(env: Record<string, string>): string {
  try {
    createService(scannerService, { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('scanner: configuration', () => {
  test('defaults', () => {
    const c = createService(scannerService, { env: {} }).config;
    assert.equal(c.SCAN_CONCURRENCY, 2);
    assert.deepEqual(c.SCANNER_REGISTRIES, []);
    assert.equal(c.SCAN_MAX_LAYER_INFLATED, 8 * 1024 ** 3);
    assert.equal(c.SCAN_LAYER_CACHE, true);
  });

  test('sizes take units; limits follow the configuration', () => {
    const c = createService(scannerService, {
      env: { SCAN_MAX_LAYER_INFLATED: '512MiB', SCAN_MAX_FILE_SIZE: '1GB', SCAN_MAX_LAYER_ENTRIES: '5000' },
    }).config;
    const l = limitsFrom(c);
    assert.equal(l.maxInflatedBytes, 512 * 1024 * 1024);
    assert.equal(l.maxFileSize, 1e9);
    assert.equal(l.maxEntries, 5000);
  });

  test('bad values are named in one line', () => {
    assert.match(configError({ SCAN_CONCURRENCY: '0' }), /SCAN_CONCURRENCY/);
    assert.match(configError({ SCAN_MAX_LAYER_INFLATED: 'lots' }), /SCAN_MAX_LAYER_INFLATED.*size in bytes/);
    const msg = configError({
      SCANNER_REGISTRIES: JSON.stringify([{ name: 'r', url: 'http://10.0.0.1:5000', credentials: { username: 'u', password: 'hunter2' } }]),
    });
    assert.match(msg, /SCANNER_REGISTRIES.*plain HTTP: set insecure: true/);
    assert.ok(!msg.includes('hunter2'));
  });
});
