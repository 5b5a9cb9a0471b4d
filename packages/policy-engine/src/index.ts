// @assay/policy-engine: How a scan report is judged: evaluation with one file per control, verdicts. No bus, no store.
export {};
