// The services the local stack runs, in start order, with their default health ports (from
// their definitions). Its own module so the state file and the stack both name them without
// importing each other.
import { admissionService } from '@assay/admission';
import { auditService } from '@assay/audit';
import { policyService } from '@assay/policy';
import { registryWatcherService } from '@assay/registry-watcher';
import { scannerService } from '@assay/scanner';

export const SERVICES = [
  { name: 'registry-watcher', port: registryWatcherService.httpPort },
  { name: 'scanner', port: scannerService.httpPort },
  { name: 'policy', port: policyService.httpPort },
  { name: 'admission', port: admissionService.httpPort },
  { name: 'audit', port: auditService.httpPort },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];
