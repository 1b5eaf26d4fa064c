import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// scripts/systemPackages.mjs is plain JavaScript that the runners import before anything is
// built; its shape, as these tests use it.
interface System {
  dpkg: boolean;
  root: boolean;
  aptGet: boolean;
  installed(pkg: string): boolean;
  aptGetRun(args: string[]): string | undefined;
  log(line: string): void;
}
interface SystemPackages {
  NEEDS: Record<string, string[]>;
  PACKAGES: Record<string, { program: string; found(): boolean; override?: string }>;
  decide(missing: string[], system: Pick<System, 'dpkg' | 'root' | 'aptGet'>): { action: 'none' | 'install' | 'stop'; line?: string; install?: string[] };
  ensureSystemPackages(runner: string, system?: System): string | undefined;
  dpkgInstalled(pkg: string): boolean;
}

const modulePath = path.resolve(__dirname, '../../scripts/systemPackages.mjs');
let sp: SystemPackages;

/** A machine where `absent` are not installed until apt-get installs them (unless `aptInstalls` is false). */
function fakeSystem(absent: string[], options: Partial<System> & { aptInstalls?: boolean; aptFails?: string } = {}) {
  const missing = new Set(absent);
  const calls: string[][] = [];
  const logged: string[] = [];
  const system: System = {
    dpkg: true,
    root: true,
    aptGet: true,
    installed: (pkg) => !missing.has(pkg),
    aptGetRun(args) {
      calls.push(args);
      if (options.aptFails && args[0] === 'install') return options.aptFails;
      if (args[0] === 'install' && options.aptInstalls !== false) for (const pkg of args.slice(3)) missing.delete(pkg);
      return undefined;
    },
    log: (line) => logged.push(line),
    ...options,
  };
  return { system, calls, logged };
}

describe('system packages (scripts/systemPackages.mjs)', () => {
  before(async () => {
    sp = (await import(pathToFileURL(modulePath).href)) as SystemPackages;
  });

  it('knows every package a runner names, and what each runner needs beyond the unit tests', () => {
    for (const [runner, packages] of Object.entries(sp.NEEDS)) {
      for (const pkg of packages) assert.ok(sp.PACKAGES[pkg], `${runner} needs ${pkg}, which PACKAGES lacks`);
    }
    for (const pkg of ['postgresql', 'lz4', 'zstd', 'zip', 'unzip']) assert.ok(sp.NEEDS.test!.includes(pkg), pkg);
    for (const runner of ['vscode', 'e2e', 'demo']) {
      for (const pkg of ['chromium', 'ripgrep', 'libkrb5-dev']) assert.ok(sp.NEEDS[runner]!.includes(pkg), `${runner}: ${pkg}`);
    }
    assert.ok(sp.NEEDS.bench!.includes('time'));
    assert.deepEqual(sp.NEEDS.all, [...new Set([...sp.NEEDS.test!, ...sp.NEEDS.vscode!, ...sp.NEEDS.e2e!])]);
  });

  it('decides: nothing to do, install as root, or one line with the command', () => {
    assert.deepEqual(sp.decide([], { dpkg: true, root: false, aptGet: true }), { action: 'none' });
    assert.deepEqual(sp.decide(['chromium', 'ripgrep'], { dpkg: true, root: true, aptGet: true }), {
      action: 'install',
      line: 'installing Debian packages: chromium ripgrep',
      install: ['install', '-y', '--no-install-recommends', 'chromium', 'ripgrep'],
    });
    assert.deepEqual(sp.decide(['chromium', 'ripgrep'], { dpkg: true, root: false, aptGet: true }), {
      action: 'stop',
      line: 'missing Debian packages: chromium ripgrep; install them with: sudo apt-get install -y --no-install-recommends chromium ripgrep',
    });
    // root, but no apt-get to run: the command without sudo
    assert.match(sp.decide(['time'], { dpkg: true, root: true, aptGet: false }).line!, /: apt-get install -y --no-install-recommends time$/);
    // no dpkg: the programs looked for, with Debian's names
    assert.equal(sp.decide(['postgresql', 'ripgrep'], { dpkg: false, root: true, aptGet: false }).line, "missing: initdb and pg_ctl (postgresql), rg (ripgrep); install them with the system's package manager (Debian's names in brackets)");
  });

  it('as root installs what is missing (apt-get update, then install) after one line saying what', () => {
    const { system, calls, logged } = fakeSystem(['zstd', 'unzip']);
    assert.equal(sp.ensureSystemPackages('test', system), undefined);
    assert.deepEqual(calls, [['update'], ['install', '-y', '--no-install-recommends', 'zstd', 'unzip']]);
    assert.deepEqual(logged, ['installing Debian packages: zstd unzip']);
  });

  it('runs no apt-get when everything is there', () => {
    const { system, calls, logged } = fakeSystem([]);
    assert.equal(sp.ensureSystemPackages('e2e', system), undefined);
    assert.deepEqual([calls, logged], [[], []]);
  });

  it('not as root: installs nothing and answers one line naming the packages and the sudo command', () => {
    const { system, calls } = fakeSystem(['time'], { root: false });
    assert.equal(sp.ensureSystemPackages('bench', system), 'missing Debian packages: time; install them with: sudo apt-get install -y --no-install-recommends time');
    assert.deepEqual(calls, []);
  });

  it('answers one line when apt-get fails or leaves a package out', () => {
    const failing = fakeSystem(['chromium'], { aptFails: 'apt-get install failed (exit 100): E: Unable to locate package chromium' });
    const line = sp.ensureSystemPackages('vscode', failing.system);
    assert.equal(line, 'apt-get install failed (exit 100): E: Unable to locate package chromium; install them by hand: apt-get install -y --no-install-recommends chromium');
    const leaving = fakeSystem(['chromium'], { aptInstalls: false });
    assert.equal(sp.ensureSystemPackages('vscode', leaving.system), 'apt-get did not install: chromium');
  });

  it('does not ask for a package whose program the tests are pointed at (PGDX_CHROMIUM, PGDX_PG_BIN)', () => {
    const saved = process.env.PGDX_CHROMIUM;
    process.env.PGDX_CHROMIUM = '/opt/some/chromium';
    try {
      const { system } = fakeSystem(['chromium'], { root: false });
      assert.equal(sp.ensureSystemPackages('e2e', system), undefined);
    } finally {
      if (saved === undefined) delete process.env.PGDX_CHROMIUM;
      else process.env.PGDX_CHROMIUM = saved;
    }
  });

  it("reads dpkg's status of a package", function () {
    if (spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    assert.equal(sp.dpkgInstalled('dpkg'), true);
    assert.equal(sp.dpkgInstalled('pgdx-no-such-package'), false);
  });
});
