// Store settings, for services to spread into their configuration:
//   defineConfig({ ...commonSettings({ httpPort }), ...storeSettings({ dataDir }) }, { checks: [storeChecks] })
// MongoDB when MONGO_URL is set; otherwise the embedded SQLite file at SQLITE_PATH.
import { join } from 'node:path';
import { annotate, bool, durationMs, int, str, z, type ConfigProblem } from '@assay/config';

export const DEFAULT_DATA_DIR = 'data';

/** `mongodb://[user:password@]host[:port][,host…][/db][?options]` or `mongodb+srv://…`. */
export function mongoUrl() {
  const expected = 'a MongoDB connection string (mongodb://[user:password@]host[:port][,host2…][/db][?options], or mongodb+srv://…)';
  return annotate(
    z.string().transform((s, ctx): string => {
      const t = s.trim();
      if (!/^mongodb(\+srv)?:\/\/[^/?#\s]+(\/[^?#\s]*)?(\?\S*)?$/.test(t)) {
        ctx.addIssue({ code: 'custom', message: `is not ${expected}` });
        return z.NEVER;
      }
      return t;
    }),
    // The URL may carry a password: never shown in errors or logs.
    { expected, secret: true },
  );
}

export interface StoreSettingsOptions {
  /** Directory of the default SQLite file (`<dataDir>/assay.db`). */
  dataDir?: string;
}

export function storeSettings(opts: StoreSettingsOptions = {}) {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  return {
    MONGO_URL: mongoUrl()
      .optional()
      .describe('MongoDB connection string (credentials go here); when unset, the embedded SQLite store is used'),
    MONGO_DB: annotate(
      z.string().regex(/^[^/\\. "$*<>:|?]{1,63}$/, { error: 'is not a MongoDB database name (1-63 characters, none of /\\. "$*<>:|?)' }),
      { expected: 'a MongoDB database name' },
    )
      .default('assay')
      .describe('MongoDB database holding the Assay collections'),
    MONGO_TLS_CA: str('a file path').optional().describe('CA certificate file (PEM) to verify the MongoDB server; implies TLS'),
    MONGO_TLS_CERT_KEY: str('a file path')
      .optional()
      .describe('Client certificate and private key (one PEM file) for MongoDB TLS / X.509 authentication; implies TLS'),
    MONGO_MAX_POOL_SIZE: int({ min: 1, max: 1000 }).default(20).describe('Most connections per MongoDB server'),
    MONGO_WAIT_QUEUE_TIMEOUT: durationMs()
      .default(10_000)
      .describe('Longest an operation waits for a free pooled connection before failing'),
    MONGO_SERVER_SELECTION_TIMEOUT: durationMs()
      .default(5000)
      .describe('Longest an operation (and the start-up check) waits for a reachable MongoDB server'),
    SQLITE_PATH: str('a file path, or :memory:')
      .default(join(dataDir, 'assay.db'))
      .describe('SQLite database file used when MONGO_URL is unset (its directory is created)'),
    SQLITE_BUSY_TIMEOUT: durationMs().default(5000).describe('Longest a SQLite write waits for another connection holding the write lock'),
    STORE_ADOPT: bool()
      .default(false)
      .describe(
        "Make this service's store the deployment's store even though the bus records another " +
          '(a deliberate move to a new store; on policy, also lets it reconcile the policy buckets ' +
          'from this store, deleting what it lacks). Unset it again afterwards',
      ),
  };
}

export type StoreSettingsShape = ReturnType<typeof storeSettings>;
export type StoreConfig = { [K in keyof StoreSettingsShape]: z.output<StoreSettingsShape[K]> };

/** Cross-variable rules for the store settings. */
export function storeChecks(config: StoreConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.MONGO_URL === undefined) {
    for (const name of ['MONGO_TLS_CA', 'MONGO_TLS_CERT_KEY'] as const) {
      if (config[name] !== undefined) {
        problems.push({ variable: name, message: `${name} is set but MONGO_URL is not (TLS files apply to MongoDB only)` });
      }
    }
  }
  return problems;
}
