// policy: the process. Everything else is in service.ts, importable without starting it.
import { runService } from '@assay/service-kit';
import { policyService } from './service.ts';

await runService(policyService);
