// The Debian packages each runner needs beyond Node and npm, and making sure they are there, so
// that `npm ci` and `npm run test:all` are the whole set-up of a fresh Debian machine.
//
// ensureSystemPackages(runner) asks dpkg which are installed (and looks for their programs, which
// may come from elsewhere); when some are missing it installs them with apt-get when it runs as
// root, and otherwise answers one line naming them and the command that installs them. Without
// dpkg (not Debian) it names the programs that are missing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const PG_ROOT = '/usr/lib/postgresql';

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const onPath = (program) => (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && isExecutable(path.join(dir, program)));

/** Where the test harness looks for initdb and pg_ctl (test/support/pgServer.ts). */
function hasPgServer() {
  let dirs = process.env.PGDX_PG_BIN ? [process.env.PGDX_PG_BIN] : [];
  try {
    dirs = dirs.concat(fs.readdirSync(PG_ROOT).map((major) => path.join(PG_ROOT, major, 'bin')));
  } catch {
    // no Debian-style PostgreSQL
  }
  return dirs.some((dir) => isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'pg_ctl')));
}

/**
 * Every package a runner may need: what shows it is there on a system without dpkg, and the
 * variable that points the tests at another copy (then the package is not needed).
 */
export const PACKAGES = {
  // the throwaway servers, and the real pg_dump, pg_dumpall, pg_restore and psql
  postgresql: { program: 'initdb and pg_ctl', found: hasPgServer, override: 'PGDX_PG_BIN' },
  // compressed and packed test inputs, made and unpacked by the real tools
  lz4: { program: 'lz4', found: () => onPath('lz4') },
  zstd: { program: 'zstd', found: () => onPath('zstd') },
  zip: { program: 'zip', found: () => onPath('zip') },
  unzip: { program: 'unzip', found: () => onPath('unzip') },
  // the browser that shows code-server's workbench
  chromium: { program: 'chromium', found: () => ['/usr/bin/chromium', '/usr/bin/chromium-browser'].some(isExecutable) || onPath('chromium'), override: 'PGDX_CHROMIUM' },
  // code-server's first install (test/support/codeServer.ts) builds VS Code's native modules
  // with node-gyp (a C++ tool chain, pkg-config, Python; the Kerberos headers for `kerberos`)
  // and packs the system's ripgrep rather than download one.
  ripgrep: { program: 'rg', found: () => onPath('rg') },
  'libkrb5-dev': { program: 'krb5-config', found: () => onPath('krb5-config') },
  'build-essential': { program: 'make and c++', found: () => onPath('make') && onPath('c++') },
  'pkg-config': { program: 'pkg-config', found: () => onPath('pkg-config') },
  python3: { program: 'python3', found: () => onPath('python3') },
  // ps: the e2e scale figures read code-server's memory with it
  procps: { program: 'ps', found: () => onPath('ps') },
  // copy --jobs: the parallel copier (the integration tests and the bench run it)
  pgcopydb: { program: 'pgcopydb', found: () => onPath('pgcopydb') },
  // GNU time: the bench's peak memory
  time: { program: '/usr/bin/time', found: () => isExecutable('/usr/bin/time') },
};

const TESTS = ['postgresql', 'lz4', 'zstd', 'zip', 'unzip'];
const CODE_SERVER = ['chromium', 'ripgrep', 'libkrb5-dev', 'build-essential', 'pkg-config', 'python3'];
const union = (...lists) => [...new Set(lists.flat())];

/** What each runner needs: `npm test`, test:vscode, test:e2e, demo, bench, test:all, test:repeat. */
export const NEEDS = {
  test: [...TESTS, 'pgcopydb'],
  vscode: [...TESTS, ...CODE_SERVER],
  e2e: [...TESTS, ...CODE_SERVER, 'procps'],
  demo: [...TESTS, ...CODE_SERVER],
  bench: ['postgresql', 'time', 'pgcopydb'],
};
NEEDS.all = union(NEEDS.test, NEEDS.vscode, NEEDS.e2e);
NEEDS.repeat = union(NEEDS.vscode, NEEDS.e2e, NEEDS.bench);

/**
 * What to do about the `missing` packages (pure): nothing; install them (root, with apt-get);
 * or stop, with one line naming them and how to install them.
 */
export function decide(missing, { dpkg, root, aptGet }) {
  if (missing.length === 0) return { action: 'none' };
  const names = missing.join(' ');
  if (!dpkg) {
    const programs = missing.map((p) => `${PACKAGES[p]?.program ?? p} (${p})`).join(', ');
    return { action: 'stop', line: `missing: ${programs}; install them with the system's package manager (Debian's names in brackets)` };
  }
  const install = ['install', '-y', '--no-install-recommends', ...missing];
  if (root && aptGet) return { action: 'install', line: `installing Debian packages: ${names}`, install };
  return { action: 'stop', line: `missing Debian packages: ${names}; install them with: ${root ? '' : 'sudo '}apt-get install -y --no-install-recommends ${names}` };
}

/** This machine, as ensureSystemPackages sees it (tests pass a stand-in). */
export function thisSystem() {
  const dpkg = onPath('dpkg');
  return {
    dpkg,
    root: process.getuid?.() === 0,
    aptGet: onPath('apt-get'),
    // dpkg first; then the programs, which may come from elsewhere (a snap, a source build).
    installed: (pkg) => (dpkg && dpkgInstalled(pkg)) || PACKAGES[pkg].found(),
    aptGetRun,
    log: (line) => console.log(line),
  };
}

export function dpkgInstalled(pkg) {
  const r = spawnSync('dpkg', ['-s', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return /^Status: install ok installed$/m.test(r.stdout ?? '');
}

/**
 * Runs apt-get with no questions, its output kept back: undefined when it worked, else one line.
 * It waits for the package database when something else holds it (a fresh machine often runs
 * its own updates at first).
 */
function aptGetRun(args) {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status === 0) return undefined;
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').filter((l) => l.trim());
  const last = lines.filter((l) => /^E:/.test(l)).pop() ?? lines.pop() ?? r.error?.message ?? '';
  return `apt-get ${args[0]} failed (${r.signal ?? `exit ${r.status}`})${last ? `: ${last}` : ''}`;
}

/**
 * Makes sure the packages `runner` needs (a key of NEEDS) are installed, installing the missing
 * ones when it can. Returns undefined when they are all there, else the one line to print.
 */
export function ensureSystemPackages(runner, system = thisSystem()) {
  const wanted = NEEDS[runner].filter((pkg) => !(PACKAGES[pkg].override && process.env[PACKAGES[pkg].override]));
  const missing = wanted.filter((pkg) => !system.installed(pkg));
  const plan = decide(missing, system);
  if (plan.action === 'none') return undefined;
  if (plan.action === 'stop') return plan.line;
  system.log(plan.line);
  const failed = system.aptGetRun(['update']) ?? system.aptGetRun(plan.install);
  if (failed) return `${failed}; install them by hand: apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const still = missing.filter((pkg) => !system.installed(pkg));
  return still.length > 0 ? `apt-get did not install: ${still.join(' ')}` : undefined;
}
