// Console area: decisions (to be built).
import type { ConsoleArea } from './router.ts';

export const decisionPages: ConsoleArea = (_router) => {};
