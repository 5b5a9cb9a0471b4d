// @assay/scan-engine: How an image is scanned: manifest, config, layers, analyzers, final view, checks, report (CycloneDX and SARIF beside it). No bus, no store.
export {};
