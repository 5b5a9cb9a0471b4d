// registry-watcher: the process. Everything else is in service.ts, importable without starting it.
import { runService } from '@assay/service-kit';
import { registryWatcherService } from './service.ts';

await runService(registryWatcherService);
