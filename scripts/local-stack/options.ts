// What `npm start` can be told: options of the local stack, and how the launcher reads them from
// its environment (ASSAY_* variables).

export interface LocalStackOptions {
  /** State directory (NATS store, users, state file); `<repo>/.assay` by default. ASSAY_STATE_DIR. */
  stateDir?: string;
  /** NATS client port: 4222 by default, any free one when busy; 0 = any free port. ASSAY_NATS_PORT. */
  natsPort?: number;
  /**
   * First service health port: service i gets base+i (any free port when busy); 0 = any free
   * port for every service. Default: each service's own default (8081..8085). ASSAY_BASE_PORT.
   */
  basePort?: number;
  /** How long services may take to report ready, in ms. ASSAY_READY_TIMEOUT_MS, default 60 s. */
  readyTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace for each child, in ms. ASSAY_STOP_GRACE_MS, default 10 s. */
  stopGraceMs?: number;
  /** Local registry port: 5000 (free one when busy; 0 = free, also the default with basePort 0). ASSAY_REGISTRY_PORT. */
  registryPort?: number;
  /** Admission webhook (HTTPS) port: 8443 (free one when busy; 0 = free, also with basePort 0). ASSAY_WEBHOOK_PORT. */
  webhookPort?: number;
  /** Environment passed on to the services (LOG_LEVEL, ASSAY_CONFIG_FILE…); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Where formatted lines go; stdout by default. */
  write?: (text: string) => void;
  /** Colours in the formatted lines. */
  color?: boolean;
}

/** Options from the launcher's environment. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalStackOptions {
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v.trim() === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}="${v}" is not a non-negative integer`);
    return n;
  };
  const opts: LocalStackOptions = { env };
  if (env.ASSAY_STATE_DIR) opts.stateDir = env.ASSAY_STATE_DIR;
  const natsPort = num('ASSAY_NATS_PORT');
  if (natsPort !== undefined) opts.natsPort = natsPort;
  const basePort = num('ASSAY_BASE_PORT');
  if (basePort !== undefined) opts.basePort = basePort;
  const readyTimeoutMs = num('ASSAY_READY_TIMEOUT_MS');
  if (readyTimeoutMs !== undefined) opts.readyTimeoutMs = readyTimeoutMs;
  const stopGraceMs = num('ASSAY_STOP_GRACE_MS');
  if (stopGraceMs !== undefined) opts.stopGraceMs = stopGraceMs;
  const registryPort = num('ASSAY_REGISTRY_PORT');
  if (registryPort !== undefined) opts.registryPort = registryPort;
  const webhookPort = num('ASSAY_WEBHOOK_PORT');
  if (webhookPort !== undefined) opts.webhookPort = webhookPort;
  return opts;
}
