// Console area: policies (to be built).
import type { ConsoleArea } from './router.ts';

export const policyPages: ConsoleArea = (_router) => {};
