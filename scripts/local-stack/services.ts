// The services the local stack runs, in start order, with their default health ports (from
// their definitions), and the settings each gets for the walkthrough. Its own module so the
// state file and the stack both name them without importing each other.
import { admissionService } from '@assay/admission';
import { auditService } from '@assay/audit';
import { policyService } from '@assay/policy';
import { registryWatcherService } from '@assay/registry-watcher';
import { scannerService } from '@assay/scanner';
import type { Secrets, TlsFiles } from './extras.ts';

export const SERVICES = [
  { name: 'registry-watcher', port: registryWatcherService.httpPort },
  { name: 'scanner', port: scannerService.httpPort },
  { name: 'policy', port: policyService.httpPort },
  { name: 'admission', port: admissionService.httpPort },
  { name: 'audit', port: auditService.httpPort },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

export interface ServiceEnvContext {
  readonly env: NodeJS.ProcessEnv;
  readonly secrets: Secrets;
  /** WATCHER_REGISTRIES / SCANNER_REGISTRIES JSON, when the local registry runs. */
  readonly registries: string | undefined;
  /** The webhook's certificate and port, when openssl is installed. */
  readonly tls: TlsFiles | undefined;
  readonly webhookPort: number | undefined;
}

/** Per-service settings for the walkthrough; absent pieces (no registry, no TLS) are left out. */
export function serviceEnv(name: ServiceName, c: ServiceEnvContext): Record<string, string> {
  const { env, secrets, registries, tls, webhookPort } = c;
  switch (name) {
    case 'registry-watcher':
      return { NOTIFICATION_TOKEN: secrets.notificationToken, ...(registries ? { WATCHER_REGISTRIES: registries } : {}) };
    case 'scanner':
      return registries ? { SCANNER_REGISTRIES: registries } : {};
    case 'policy':
      return { POLICY_API_TOKEN: secrets.policyApiToken, POLICY_API_USER: env.POLICY_API_USER ?? 'local' };
    case 'admission':
      return tls && webhookPort
        ? {
            ADMISSION_TLS_CERT: tls.serverCert,
            ADMISSION_TLS_KEY: tls.serverKey,
            ADMISSION_HOST: '127.0.0.1',
            ADMISSION_PORT: String(webhookPort),
          }
        : {};
    case 'audit':
      // Without ES_URL there is no Elasticsearch to deliver to: events stay in ASSAY_AUDIT.
      return env.ES_URL ? { AUDIT_ES_URL: env.ES_URL } : { AUDIT_ES_ENABLED: 'false' };
  }
}
