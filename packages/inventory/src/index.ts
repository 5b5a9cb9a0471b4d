// @assay/inventory: what is in an image — analyzers, OS detection, package parsers, purls.
export * from './analyzer.ts';
export * from './purl.ts';
export * from './os/index.ts';
export * from './ospkg/index.ts';
export * from './lang/index.ts';
export * from './default-analyzers.ts';
export * from './secrets/index.ts';
export * from './licences/index.ts';
export * from './base-image/index.ts';
export * from './checks/index.ts';
export * from './report-formats/index.ts';
