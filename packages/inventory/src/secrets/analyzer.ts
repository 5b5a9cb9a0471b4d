// The secret file analyzer: every text file of a layer through the scanner. Skipped cheaply in
// `required` (called for every file): empty or over-size files, binary formats by extension,
// VCS metadata and lockfiles, and paths a global allow rule exempts. Skipped after reading:
// content with a NUL byte in its first 8 KiB (binaries), except key files by name.
import { type AnalysisFile, DEFAULT_MAX_FILE_SIZE, type FileAnalyzer, type LayerContext } from '../analyzer.ts';
import { compileSecretConfig, scanContent, type SecretScannerConfig } from './scanner.ts';

const SKIP_EXTS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.gif',
  '.bmp',
  '.ico',
  '.webp',
  '.svg',
  '.doc',
  '.docx',
  '.xls',
  '.pdf',
  '.bin',
  '.socket',
  '.deb',
  '.rpm',
  '.apk',
  '.zip',
  '.gz',
  '.gzip',
  '.tgz',
  '.bz2',
  '.xz',
  '.zst',
  '.lz4',
  '.7z',
  '.tar',
  '.jar',
  '.war',
  '.whl',
  '.egg',
  '.pyc',
  '.pyo',
  '.class',
  '.so',
  '.a',
  '.o',
  '.mo',
  '.woff',
  '.woff2',
  '.ttf',
  '.otf',
  '.mp3',
  '.mp4',
  '.wav',
  '.ogg',
  '.sqlite',
  '.db',
]);
// Lockfiles hold integrity hashes that look like secrets, never secrets (Trivy skips them too).
const SKIP_FILES = new Set([
  'go.mod',
  'go.sum',
  'package-lock.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'Pipfile.lock',
  'Gemfile.lock',
  'poetry.lock',
  'Cargo.lock',
  'composer.lock',
]);
const SKIP_DIR = /(^|\/)(\.git|node_modules)\//;
/** Key files are scanned even when they look binary (a PEM bundle with stray NULs). */
const KEY_FILE = /(\.(pem|key|p8|crt|cer)|(^|\/)id_(rsa|dsa|ecdsa|ed25519))$/i;
const BINARY_PROBE = 8 * 1024;

export const SECRET_ANALYZER_TYPE = 'secrets';
// 2: rules reviewed (boundaries, whole tokens), entropy gate, placeholder and documented-example allow rules.
export const SECRET_ANALYZER_VERSION = 2;

function extension(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

export function isBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_PROBE).includes(0);
}

export function secretAnalyzer(config?: SecretScannerConfig): FileAnalyzer {
  const scanner = compileSecretConfig(config);
  const maxFileSize = config?.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  return {
    kind: 'file',
    type: SECRET_ANALYZER_TYPE,
    version: SECRET_ANALYZER_VERSION,
    maxFileSize,
    required(path, info) {
      if (info.size === 0 || info.size > maxFileSize) return false;
      if (SKIP_EXTS.has(extension(path))) return false;
      if (SKIP_DIR.test(path) || SKIP_FILES.has(path.slice(path.lastIndexOf('/') + 1))) return false;
      return !scanner.allowsPath(path);
    },
    analyze(file: AnalysisFile, ctx: LayerContext) {
      if (file.content.length > maxFileSize) return undefined;
      if (isBinary(file.content) && !KEY_FILE.test(file.path)) return undefined;
      const findings = scanContent(file.path, file.content, scanner, ctx.layerDigest);
      return findings.length ? { sensitiveFindings: findings } : undefined;
    },
  };
}
