// @assay/kit: the primitives, each written once.
export { isObject } from './object.ts';
export { pause, sleep } from './sleep.ts';
export { Semaphore, type Release } from './semaphore.ts';
export { boundedMemo, TtlLru } from './lru.ts';
export { useColor } from './color.ts';
