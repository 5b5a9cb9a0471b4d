#!/usr/bin/env node
// Launcher for `assay`: plain JavaScript so it runs on any Node and can say clearly when the Node
// is too old, then re-executes Node on the TypeScript entry point (Node >= 24 strips the types).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= REQUIRED_MAJOR)) {
  process.stderr.write(
    `assay: needs Node.js ${REQUIRED_MAJOR} or newer (this is ${process.version}); run it with Node ${REQUIRED_MAJOR} first on PATH\n`,
  );
  process.exit(2);
}
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', main, ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to us alone is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
child.on('error', (err) => {
  process.stderr.write(`assay: cannot start ${process.execPath}: ${err.message}\n`);
  process.exit(2);
});
