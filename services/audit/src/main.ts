// audit: the process. Everything else is in service.ts, importable without starting it.
import { runService } from '@assay/service-kit';
import { auditService } from './service.ts';

await runService(auditService);
