// Console area: images (to be built).
import type { ConsoleArea } from './router.ts';

export const imagePages: ConsoleArea = (_router) => {};
