// scanner: the process. Everything else is in service.ts, importable without starting it.
import { runService } from '@assay/service-kit';
import { scannerService } from './service.ts';

await runService(scannerService);
