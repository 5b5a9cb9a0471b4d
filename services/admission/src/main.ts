// admission: the process. Everything else is in service.ts, importable without starting it.
import { runService } from '@assay/service-kit';
import { admissionService } from './service.ts';

await runService(admissionService);
