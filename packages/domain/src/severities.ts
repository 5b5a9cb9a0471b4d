// Vulnerability severities: what reports grade findings with and policies set thresholds in.

/** Vulnerability severities, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];
