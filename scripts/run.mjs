#!/usr/bin/env node
// Entry point behind `npm start`, `npm test`, `npm run demo` and `npm run bench`.
// It must run on the machine's own (possibly older) Node, so it is plain JavaScript with no
// dependencies. It makes sure of, in order: Node 24 (from the npm registry package
// node-<platform>-<arch>, into .toolchain/), the project's npm dependencies, and the Debian
// packages of the real servers the command needs; then it runs the command under Node 24.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const self = fileURLToPath(import.meta.url);
const [command = 'help', ...args] = process.argv.slice(2);

// Debian packages of the real servers each command needs (binary to look for → package).
const SYSTEM_PACKAGES = {
  start: { 'nats-server': 'nats-server' },
  demo: { 'docker-registry': 'docker-registry', mmdebstrap: 'mmdebstrap', openssl: 'openssl' },
  test: {
    'nats-server': 'nats-server',
    'docker-registry': 'docker-registry',
    skopeo: 'skopeo',
    umoci: 'umoci',
    clamd: 'clamav-daemon',
    clamscan: 'clamav',
    mmdebstrap: 'mmdebstrap',
    rpm: 'rpm',
    openssl: 'openssl',
    // The console's browser tests drive Debian's Chromium (nothing downloaded).
    chromium: 'chromium',
  },
  bench: {
    'nats-server': 'nats-server',
    'docker-registry': 'docker-registry',
    skopeo: 'skopeo',
    umoci: 'umoci',
    mmdebstrap: 'mmdebstrap',
    openssl: 'openssl',
  },
};

// Installed when they can be (root with apt), else named in a warning: the stack starts without
// them (no local registry, no TLS webhook) and says so.
const OPTIONAL_PACKAGES = {
  start: { 'docker-registry': 'docker-registry', openssl: 'openssl' },
};

const COMMANDS = {
  start: () => run(process.execPath, ['scripts/local-stack.ts', ...args]),
  demo: () => run(process.execPath, ['scripts/demo.ts', ...args]),
  test: async () => {
    // The whole suite (CI) checks the formatting first: a file the formatter would change fails fast.
    if (args.length === 0) {
      const fmt = await run(process.execPath, [prettierPath(), '--check', '--log-level=warn', ...FORMATTED]);
      if (fmt !== 0) {
        log("formatting differs from Prettier's in the files above: run `npm run format`");
        return fmt;
      }
    }
    const tc = await run(process.execPath, [tscPath(), '--noEmit', '-p', 'tsconfig.json'], { quiet: false });
    if (tc !== 0) return tc;
    const files = args.length > 0 ? args : ['test/**/*.test.ts'];
    return run(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files]);
  },
  typecheck: () => run(process.execPath, [tscPath(), '--noEmit', '-p', 'tsconfig.json']),
  format: () => run(process.execPath, [prettierPath(), '--write', '--log-level=warn', ...FORMATTED]),
  'proto-gen': () => run(process.execPath, ['scripts/proto-gen.ts', ...args]),
  bench: () => {
    const [name, ...rest] = args;
    const available = existsSync(join(root, 'bench'))
      ? readdirSync(join(root, 'bench'))
          .filter((f) => f.endsWith('.bench.ts'))
          .map((f) => f.replace(/\.bench\.ts$/, ''))
      : [];
    if (!name || !available.includes(name)) {
      console.error(`assay: usage: npm run bench -- <name>; available: ${available.join(', ') || '(none)'}`);
      return 2;
    }
    return run(process.execPath, [`bench/${name}.bench.ts`, ...rest]);
  },
};

function log(msg) {
  process.stderr.write(`assay: ${msg}\n`);
}

// What Prettier formats: the TypeScript and the plain-JavaScript scripts (.prettierignore leaves
// out generated code). YAML, JSON and Markdown keep their hand-made layout.
const FORMATTED = ['**/*.ts', '**/*.mjs'];

function prettierPath() {
  return join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
}

function tscPath() {
  return join(root, 'node_modules', 'typescript', 'bin', 'tsc');
}

/** Runs a child to completion with inherited stdio; SIGINT/SIGTERM reach it, and we wait for it. */
function run(bin, argv, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(bin, argv, { cwd: root, stdio: 'inherit', env: opts.env ?? process.env });
    // The terminal sends Ctrl-C to the whole foreground group, child included: wait for it to
    // finish its own shutdown instead of dying first. A SIGTERM sent to us alone is passed on.
    const onInt = () => {};
    const onTerm = () => child.kill('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
    child.on('error', (err) => {
      log(`cannot run ${bin}: ${err.message}`);
      resolve(1);
    });
  });
}

function npmCommand() {
  // npm is a script with `#!/usr/bin/env node`: with Node 24 first on PATH it runs under Node 24.
  return 'npm';
}

async function ensureNode24() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return null;
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = join(root, '.toolchain', `node${REQUIRED_MAJOR}`);
  const bin = join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(bin)) {
    log(
      `Node ${process.versions.node} is older than ${REQUIRED_MAJOR}; installing ${pkg}@${REQUIRED_MAJOR} from the npm registry into .toolchain/`,
    );
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'assay-toolchain', private: true }) + '\n');
    const r = spawnSync(
      npmCommand(),
      ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${REQUIRED_MAJOR}`],
      {
        cwd: prefix,
        stdio: 'inherit',
      },
    );
    if (r.status !== 0 || !existsSync(bin)) {
      log(`could not install ${pkg}@${REQUIRED_MAJOR} (npm exited ${r.status}); install Node ${REQUIRED_MAJOR} yourself and retry`);
      process.exit(1);
    }
  }
  return bin;
}

function depsFingerprint() {
  const h = createHash('sha256');
  const files = ['package.json', 'package-lock.json'];
  for (const dir of ['proto', 'packages', 'services']) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    if (existsSync(join(abs, 'package.json'))) files.push(join(dir, 'package.json'));
    for (const sub of readdirSync(abs).sort()) {
      if (existsSync(join(abs, sub, 'package.json'))) files.push(join(dir, sub, 'package.json'));
    }
  }
  for (const f of files) {
    const abs = join(root, f);
    h.update(f + '\0' + (existsSync(abs) ? readFileSync(abs) : '') + '\0');
  }
  h.update(process.versions.node.split('.')[0]);
  return h.digest('hex');
}

function ensureDependencies() {
  const stamp = join(root, 'node_modules', '.assay-deps');
  const want = depsFingerprint();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(tscPath())) return;
  const useCi = existsSync(join(root, 'package-lock.json')) && process.env.CI === 'true';
  log(`installing dependencies (npm ${useCi ? 'ci' : 'install'})`);
  const r = spawnSync(npmCommand(), [useCi ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    log(`npm ${useCi ? 'ci' : 'install'} failed (exit ${r.status})`);
    process.exit(1);
  }
  writeFileSync(stamp, depsFingerprint());
}

function hasBinary(name) {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin', '/usr/local/bin']);
  return dirs.some((d) => d && existsSync(join(d, name)));
}

function missingPackages(wanted) {
  return [
    ...new Set(
      Object.entries(wanted ?? {})
        .filter(([bin]) => !hasBinary(bin))
        .map(([, pkg]) => pkg),
    ),
  ];
}

function aptInstall(pkgs) {
  log(`installing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) log('apt-get update failed; trying the install anyway');
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  return r.status === 0;
}

function ensureSystemPackages(cmd) {
  const missing = missingPackages(SYSTEM_PACKAGES[cmd]);
  const optional = missingPackages(OPTIONAL_PACKAGES[cmd]);
  if (missing.length === 0 && optional.length === 0) return;
  const canInstall = typeof process.getuid === 'function' && process.getuid() === 0 && hasBinary('apt-get');
  if (!canInstall) {
    if (optional.length > 0)
      log(`optional Debian packages missing for \`npm ${cmd}\`: ${optional.join(' ')} (sudo apt-get install -y ${optional.join(' ')})`);
    if (missing.length === 0) return;
    log(`missing Debian packages for \`npm ${cmd}\`: ${missing.join(' ')}`);
    log(`install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  const all = [...missing, ...optional];
  // A failed optional package must not stop the command; a required one that is still missing does.
  if (!aptInstall(all) && missingPackages(SYSTEM_PACKAGES[cmd]).length > 0) {
    log(`apt-get install ${all.join(' ')} failed`);
    process.exit(1);
  }
}

async function main() {
  if (!(command in COMMANDS)) {
    log(`unknown command "${command}"; one of: ${Object.keys(COMMANDS).join(', ')}`);
    process.exit(2);
  }
  const node24 = await ensureNode24();
  if (node24) {
    const env = { ...process.env, PATH: `${dirname(node24)}:${process.env.PATH ?? ''}` };
    process.exit(await run(node24, [self, command, ...args], { env }));
  }
  ensureDependencies();
  ensureSystemPackages(command);
  process.exit(await COMMANDS[command]());
}

await main();
