#!/usr/bin/env node
// Launcher for `assay`: plain JavaScript so it runs on any Node. Node >= 24 runs the TypeScript
// entry point itself (it strips the types); an older Node hands over to the Node 24 that
// `npm start` / `npm test` brought into <repo>/.toolchain/ (scripts/run.mjs installs it there),
// and only without one says clearly what is missing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
let node = process.execPath;
if (!(major >= REQUIRED_MAJOR)) {
  // The path scripts/run.mjs installs the npm registry package node-<platform>-<arch> to.
  const toolchain = fileURLToPath(
    new URL(`../../../.toolchain/node${REQUIRED_MAJOR}/node_modules/node-${process.platform}-${process.arch}/bin/node`, import.meta.url),
  );
  if (!existsSync(toolchain)) {
    process.stderr.write(
      `assay: needs Node.js ${REQUIRED_MAJOR} or newer (this is ${process.version}); run it with Node ${REQUIRED_MAJOR} first on PATH, ` +
        `or run \`npm start\` or \`npm test\` once in the repository: they fetch Node ${REQUIRED_MAJOR} into .toolchain/, which assay then uses\n`,
    );
    process.exit(2);
  }
  node = toolchain;
}
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const child = spawn(node, ['--disable-warning=ExperimentalWarning', main, ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to us alone is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
child.on('error', (err) => {
  process.stderr.write(`assay: cannot start ${node}: ${err.message}\n`);
  process.exit(2);
});
