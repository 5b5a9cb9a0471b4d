// Console area: exceptions (to be built).
import type { ConsoleArea } from './router.ts';

export const exceptionPages: ConsoleArea = (_router) => {};
