// Secret-scanning throughput over a real image filesystem: the cached Debian bookworm rootfs
// tarball (test/support/debian-rootfs.ts), streamed with tar-stream; every regular file under
// the analyzer's size limit goes through `required` and, when wanted, `analyze`. The baseline
// streams the same tarball and makes one `indexOf` pass over the same files' bytes, so the
// difference is the scanner's own cost. Best of two runs each; throughput is over all regular
// file bytes offered.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import tarStream from 'tar-stream';
import { DEFAULT_MAX_FILE_SIZE, type FileAnalyzer } from '../packages/inventory/src/analyzer.ts';
import { BUILTIN_ALLOW_RULES, secretAnalyzer } from '../packages/inventory/src/secrets/index.ts';
import { debianRootfsTar } from '../test/support/debian-rootfs.ts';

interface Run {
  ms: number;
  bytes: number;
  files: number;
  scanned: number;
  findings: number;
}

async function walk(tar: string, onFile: (path: string, content: Buffer, mode: number) => Promise<boolean>): Promise<Run> {
  const run: Run = { ms: 0, bytes: 0, files: 0, scanned: 0, findings: 0 };
  const extract = tarStream.extract();
  const start = performance.now();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      if (header.type !== 'file' || (header.size ?? 0) > DEFAULT_MAX_FILE_SIZE) {
        stream.on('end', next);
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        const content = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        run.files++;
        run.bytes += content.length;
        onFile(header.name.replace(/^\.\//, ''), content, header.mode ?? 0o644).then((hit) => {
          if (hit) run.findings++;
          next();
        }, reject);
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  await pipeline(createReadStream(tar), extract as unknown as Writable);
  await done;
  run.ms = performance.now() - start;
  return run;
}

const NEEDLE = Buffer.from('-----BEGIN');

async function baseline(tar: string): Promise<Run> {
  return walk(tar, async (_path, content) => content.indexOf(NEEDLE) >= 0);
}

async function secrets(tar: string, analyzer: FileAnalyzer, counter: { scanned: number; scannedBytes: number }): Promise<Run> {
  return walk(tar, async (path, content, mode) => {
    if (!analyzer.required(path, { size: content.length, mode })) return false;
    counter.scanned++;
    counter.scannedBytes += content.length;
    const r = await analyzer.analyze({ path, content, size: content.length, mode }, { layerDigest: 'sha256:bench' });
    return Boolean(r?.sensitiveFindings?.length);
  });
}

const tar = await debianRootfsTar();
const analyzer = secretAnalyzer();
const best = (a: Run, b: Run) => (a.ms <= b.ms ? a : b);
const mbps = (r: Run) => r.bytes / 1e6 / (r.ms / 1000);

// Worst case: no path is exempt (every builtin allow rule off), so every text file is scanned.
const everything = secretAnalyzer({ disableAllowRules: BUILTIN_ALLOW_RULES.flatMap((a) => (a.id ? [a.id] : [])) });

const c = { scanned: 0, scannedBytes: 0 };
const ca = { scanned: 0, scannedBytes: 0 };
const b1 = await baseline(tar);
const s1 = await secrets(tar, analyzer, c);
const a1 = await secrets(tar, everything, ca);
const b2 = await baseline(tar);
const s2 = await secrets(tar, analyzer, { scanned: 0, scannedBytes: 0 });
const a2 = await secrets(tar, everything, { scanned: 0, scannedBytes: 0 });
const b = best(b1, b2);
const s = best(s1, s2);
const a = best(a1, a2);
console.log(
  `files=${s.files} bytes=${s.bytes} default: scanned_files=${c.scanned} scanned_bytes=${c.scannedBytes} files_with_findings=${s.findings}`,
);
console.log(
  `no_allow_rules: scanned_files=${ca.scanned} scanned_bytes=${ca.scannedBytes} files_with_findings=${a.findings} ms=${a.ms.toFixed(0)} mb_per_s=${mbps(a).toFixed(1)}`,
);
console.log(`baseline_ms=${b.ms.toFixed(0)} secrets_ms=${s.ms.toFixed(0)}`);
// Last line: the figures, baseline first (name=value pairs).
console.log(`baseline_mb_per_s=${mbps(b).toFixed(1)} secrets_mb_per_s=${mbps(s).toFixed(1)}`);
