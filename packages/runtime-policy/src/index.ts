// @assay/runtime-policy: pure functions the policy service and the admission webhook share, so
// admission decides from memory exactly as policy would.
export * from './globs.ts';
export * from './scope.ts';
export * from './exceptions.ts';
export * from './runtime.ts';
export * from './platforms.ts';
export * from './exemptions.ts';
export * from './image-text.ts';
