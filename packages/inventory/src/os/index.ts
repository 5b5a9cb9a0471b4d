// OS detection.
export { detectOs, osReleaseAnalyzer, parseOsRelease, type DetectedOs } from './release.ts';
