// Store settings: defaults, the MongoDB connection string (multi-host, credentials never shown),
// and the cross-variable checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, defineConfig } from '@assay/config';
import { mongoHosts, storeChecks, storeSettings } from '@assay/store';

const spec = defineConfig(storeSettings({ dataDir: '/var/lib/assay' }), { checks: [storeChecks] });
const load = (env: Record<string, string>) => spec.load({ env, file: false });

describe('store settings', () => {
  it('defaults to SQLite under the data directory', () => {
    const c = load({});
    assert.equal(c.MONGO_URL, undefined);
    assert.equal(c.SQLITE_PATH, '/var/lib/assay/assay.db');
    assert.equal(c.MONGO_DB, 'assay');
    assert.equal(c.MONGO_MAX_POOL_SIZE, 20);
    assert.equal(c.MONGO_SERVER_SELECTION_TIMEOUT, 5000);
    assert.equal(defineConfig(storeSettings()).load({ env: {}, file: false }).SQLITE_PATH, 'data/assay.db');
  });

  it('accepts replica-set and SRV connection strings with options', () => {
    const url = 'mongodb://assay:pw@db-0.db:27017,db-1.db:27017,db-2.db:27017/assay?replicaSet=rs0&authSource=admin';
    const c = load({ MONGO_URL: url, MONGO_MAX_POOL_SIZE: '50', MONGO_SERVER_SELECTION_TIMEOUT: '2s', MONGO_TLS_CA: '/etc/ca.pem' });
    assert.equal(c.MONGO_URL, url);
    assert.equal(c.MONGO_MAX_POOL_SIZE, 50);
    assert.equal(c.MONGO_SERVER_SELECTION_TIMEOUT, 2000);
    assert.equal(mongoHosts(url), 'db-0.db:27017,db-1.db:27017,db-2.db:27017');
    assert.equal(
      load({ MONGO_URL: 'mongodb+srv://u:p@cluster0.example.net/?retryWrites=true' }).MONGO_URL,
      'mongodb+srv://u:p@cluster0.example.net/?retryWrites=true',
    );
    assert.equal(mongoHosts('mongodb+srv://u:p@cluster0.example.net/'), 'cluster0.example.net');
  });

  it('refuses a bad connection string without showing it', () => {
    assert.throws(
      () => load({ MONGO_URL: 'http://user:hunter2@db:27017' }),
      (err) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /MONGO_URL=<redacted> is not a MongoDB connection string/);
        assert.ok(!err.message.includes('hunter2'));
        return true;
      },
    );
    assert.throws(() => load({ MONGO_DB: 'a.b' }), /MONGO_DB="a\.b" is not a MongoDB database name/);
    assert.throws(() => load({ MONGO_MAX_POOL_SIZE: '0' }), /MONGO_MAX_POOL_SIZE="0" is not an integer \(1-1000\)/);
  });

  it('TLS files need MONGO_URL', () => {
    assert.throws(() => load({ MONGO_TLS_CA: '/etc/ca.pem' }), /MONGO_TLS_CA is set but MONGO_URL is not/);
  });
});
