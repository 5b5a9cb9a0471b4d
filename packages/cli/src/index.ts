// @assay/cli: the commands as functions, for tests and for embedding.
export * from './cli.ts';
export * from './io.ts';
export * from './input.ts';
export * from './nats.ts';
export * from './review.ts';
export * from './snapshot.ts';
export * from './snapshot-file.ts';
export * from './image-source.ts';
export * from './scan.ts';
export * from './report.ts';
export * from './vulndb.ts';
export * from './policy.ts';
