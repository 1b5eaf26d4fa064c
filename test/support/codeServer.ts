/**
 * A real VS Code for the extension-host suite, the end-to-end test and the demo where a desktop
 * VS Code cannot be downloaded: code-server (VS Code's own server and web workbench), installed
 * once into a git-ignored cache folder, started on a free 127.0.0.1 port, and opened in Debian's
 * Chromium through playwright-core.
 *
 * code-server is pinned: 4.100.3 is VS Code 1.100.3, the last line that runs on Node 20. Its CLI
 * takes no `--extensionDevelopmentPath`; the workbench URL carries it in the `payload` parameter,
 * as `vscode-remote://` URIs whose authority is the server's host:port (workbenchUrl).
 *
 * Every server and browser started here is stopped by stopAllSync() when the process exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { projectRoot } from './fixtures';
import { freePort, withoutPgVars } from './pgServer';
import { until } from './poll';

export const CODE_SERVER_VERSION = '4.100.3';
/** The ripgrep release that code-server's `@vscode/ripgrep` dependency fetches in its postinstall. */
const RIPGREP = { packageVersion: '1.15.11', release: 'v13.0.0-10' };
const INSTALL_TIMEOUT_MS = 20 * 60_000;

export const codeServerDir = path.join(projectRoot, '.cache', `code-server-${CODE_SERVER_VERSION}`);
const packageDir = (root: string) => path.join(root, 'node_modules', 'code-server');
const MARKER = 'installed.json';

type Log = (line: string) => void;

/** Runs a program to completion with a time limit; output goes to a log file. Throws with the log's tail. */
function runLogged(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; timeoutMs: number }): void {
  const out = fs.openSync(opts.logFile, 'a');
  try {
    const r = spawnSync(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', out, out], timeout: opts.timeoutMs, killSignal: 'SIGKILL' });
    if (r.status === 0) return;
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}${r.signal === 'SIGKILL' ? ' (time limit)' : ''}` : `exit ${r.status}`;
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${why}); last lines of ${opts.logFile}:\n${tail(opts.logFile, 25)}`);
  } finally {
    fs.closeSync(out);
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, program);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `@vscode/ripgrep` downloads a ripgrep binary in its postinstall unless its cache (under the
 * install's temporary directory) already holds the release archive: a tar.gz of the system's own
 * `rg` stands in for it, so the install needs no download beyond the npm registry.
 */
function seedRipgrepCache(tmpDir: string, log: Log): void {
  const rg = which('rg');
  const target = os.platform() === 'linux' ? { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[os.arch() as 'x64' | 'arm64'] : undefined;
  if (!rg || !target) {
    log(`no system ripgrep (or no known target for ${os.platform()}-${os.arch()}): code-server's install will try to download one`);
    return;
  }
  const cache = path.join(tmpDir, `vscode-ripgrep-cache-${RIPGREP.packageVersion}`);
  const stage = path.join(tmpDir, 'rg-stage');
  fs.mkdirSync(cache, { recursive: true });
  fs.mkdirSync(stage, { recursive: true });
  fs.copyFileSync(rg, path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  const r = spawnSync('tar', ['-czf', path.join(cache, `ripgrep-${RIPGREP.release}-${target}.tar.gz`), '-C', stage, 'rg'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('could not pack the system ripgrep for code-server\'s install');
}

/**
 * What code-server's own install scripts produce, with the package whose lifecycle script makes it.
 * A package manager that skips dependency install scripts (npm ≥ 11 can be set to) leaves these
 * out; ensureCodeServer then runs the scripts itself.
 */
function installProducts(root: string): { pkg: string; product: string }[] {
  const cs = packageDir(root);
  const vsc = path.join(cs, 'lib', 'vscode', 'node_modules');
  return [
    { pkg: path.join(root, 'node_modules', 'argon2'), product: 'lib/binding/napi-v3/argon2.node' },
    // code-server's postinstall: installs lib/vscode's and lib/vscode/extensions' dependencies.
    { pkg: cs, product: 'lib/vscode/node_modules.asar' },
    { pkg: path.join(vsc, 'node-pty'), product: 'build/Release/pty.node' },
    { pkg: path.join(vsc, 'kerberos'), product: 'build/Release/kerberos.node' },
    { pkg: path.join(vsc, 'native-watchdog'), product: 'build/Release/watchdog.node' },
    { pkg: path.join(vsc, '@vscode', 'spdlog'), product: 'build/Release/spdlog.node' },
    { pkg: path.join(vsc, '@vscode', 'ripgrep'), product: 'bin/rg' },
  ];
}

const missingProducts = (root: string) => installProducts(root).filter(({ pkg, product }) => !fs.existsSync(path.join(pkg, product)));

/** The environment of every install step: root may run install scripts, npx asks nothing, local Node headers. */
function installEnv(tmpDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmpDir, npm_config_unsafe_perm: 'true', npm_config_yes: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  // node-gyp downloads Node's headers unless told where an installed copy is.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  return env;
}

function removeAbandonedInstalls(): void {
  const parent = path.dirname(codeServerDir);
  if (!fs.existsSync(parent)) return;
  for (const name of fs.readdirSync(parent)) {
    const m = new RegExp(`^${path.basename(codeServerDir)}\\.tmp-(\\d+)$`).exec(name);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/**
 * The path of code-server's entry script (run it with this Node), installing code-server into
 * `.cache/code-server-<version>/` first when it is not there. The install is built under a
 * temporary name and renamed when complete, so a half-built one is never used.
 */
export function ensureCodeServer(log: Log = console.log): string {
  const entry = path.join(packageDir(codeServerDir), 'out', 'node', 'entry.js');
  if (fs.existsSync(path.join(codeServerDir, MARKER)) && fs.existsSync(entry)) return entry;
  if (!/^v20\./.test(process.version)) throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20; this is Node ${process.version}`);

  removeAbandonedInstalls();
  const tmpRoot = `${codeServerDir}.tmp-${process.pid}`;
  fs.rmSync(tmpRoot, { recursive: true, force: true });
  const tmpDir = path.join(tmpRoot, 'tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  const logFile = path.join(tmpRoot, 'install.log');
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(process.cwd(), codeServerDir)} (once; a few minutes; log: ${path.relative(process.cwd(), logFile)})`);
  try {
    seedRipgrepCache(tmpDir, log);
    const env = installEnv(tmpDir);
    runLogged('npm', ['install', '--prefix', tmpRoot, '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], { cwd: tmpRoot, env, logFile, timeoutMs: INSTALL_TIMEOUT_MS });

    // Lifecycle scripts the package manager skipped: run them as the package's own scripts.
    for (const { pkg } of missingProducts(tmpRoot)) {
      if (!fs.existsSync(path.join(pkg, 'package.json'))) continue;
      log(`running the install scripts of ${path.relative(tmpRoot, pkg)} (the package manager skipped them)`);
      for (const event of ['preinstall', 'install', 'postinstall']) {
        runLogged('npm', ['run-script', event, '--if-present'], { cwd: pkg, env, logFile, timeoutMs: INSTALL_TIMEOUT_MS });
      }
    }
    const missing = missingProducts(tmpRoot);
    if (missing.length > 0) {
      throw new Error(`code-server's install is incomplete, missing: ${missing.map(({ pkg, product }) => path.relative(tmpRoot, path.join(pkg, product))).join(', ')}; see ${logFile}`);
    }
    fs.writeFileSync(path.join(tmpRoot, MARKER), `${JSON.stringify({ version: CODE_SERVER_VERSION, node: process.version, seconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.rmSync(codeServerDir, { recursive: true, force: true });
    fs.renameSync(tmpRoot, codeServerDir);
  } catch (err) {
    // Keep the log, drop the rest.
    const kept = path.join(path.dirname(codeServerDir), `code-server-install-failed.log`);
    if (fs.existsSync(logFile)) fs.copyFileSync(logFile, kept);
    fs.rmSync(tmpRoot, { recursive: true, force: true });
    throw err instanceof Error ? new Error(err.message.split(logFile).join(kept), { cause: err }) : err;
  }
  log(`code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return entry;
}

export interface CodeServer {
  /** The server's process id, also its process group's: the extension host runs in that group. */
  pid: number;
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The folder the workbench opens. */
  folder: string;
  /** code-server's own output. */
  logFile: string;
  /** VS Code's user data (settings, state, the extension host's logs). */
  userDataDir: string;
  /** Stops the server and everything it started (its process group). Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The folder the workbench opens. */
  folder: string;
  /** Added to the server's environment (from which the caller's `PG*` variables are removed); the extension host inherits it. */
  env?: NodeJS.ProcessEnv;
  /** Where settings, state and logs go; a new temporary directory when omitted (removed on stop). */
  userDataDir?: string;
  /** Leave workspace trust on, so the window opens in Restricted Mode. */
  restricted?: boolean;
  /** User settings, over WORKBENCH_SETTINGS. */
  settings?: Record<string, unknown>;
  /** `.vsix` files installed into the server's extensions folder first, as `code-server --install-extension` does for a user. */
  install?: string[];
  log?: Log;
}

/** User settings of every workbench started here: no welcome pages or tips, stable rendering for screenshots. */
export const WORKBENCH_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'editor.cursorBlinking': 'solid',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
};

interface Stoppable {
  stopSync(): void;
}
const live = new Set<Stoppable>();

/** Stops every code-server and browser this process started. For `process.on('exit')` and signal handlers. */
export function stopAllSync(): void {
  for (const s of [...live]) s.stopSync();
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Starts code-server on a free 127.0.0.1 port and resolves once it answers HTTP. */
export async function startCodeServer(options: StartOptions): Promise<CodeServer> {
  const log = options.log ?? console.log;
  const entry = ensureCodeServer(log);
  const ownDataDir = options.userDataDir === undefined;
  const base = options.userDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-code-server-'));
  const userDataDir = path.join(base, 'user-data');
  const extensionsDir = path.join(base, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), `${JSON.stringify({ ...WORKBENCH_SETTINGS, ...options.settings }, null, 2)}\n`);
  const logFile = path.join(base, 'code-server.log');
  for (const vsix of options.install ?? []) {
    runLogged(process.execPath, [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix], { cwd: base, env: withoutPgVars(process.env), logFile, timeoutMs: 120_000 });
  }

  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      entry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.restricted ? [] : ['--disable-workspace-trust']),
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      options.folder,
    ];
    const out = fs.openSync(logFile, 'a');
    // Its own process group, so that stopping it also stops the extension host, pty host and watchers.
    const child = spawn(process.execPath, args, { env: { ...withoutPgVars(process.env), ...options.env }, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    let exited = child.exitCode !== null;
    const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => {
      exited = true;
      resolve();
    }));

    let stopped = false;
    const handle: Stoppable = {
      stopSync() {
        if (stopped) return;
        stopped = true;
        killGroup(child, 'SIGKILL');
        if (ownDataDir) fs.rmSync(base, { recursive: true, force: true });
        live.delete(handle);
      },
    };
    live.add(handle);
    const stop = async () => {
      if (stopped) return;
      killGroup(child, 'SIGTERM');
      // SIGKILL after a grace period: the server has exited once exitedPromise settles.
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
      // Children of the group that outlive the server (the extension host) go too.
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // none left
      }
      handle.stopSync();
    };

    const origin = `http://127.0.0.1:${port}`;
    const answered = await until('code-server to answer /healthz', async () => exited || (await httpStatus(`${origin}/healthz`)) === 200, { timeoutMs: 60_000, intervalMs: 250 }).catch(() => false);
    if (answered && !exited) return { pid: child.pid ?? 0, port, origin, folder: options.folder, logFile, userDataDir, stop };
    lastError = exited ? `code-server exited (${child.exitCode ?? child.signalCode})` : 'code-server did not answer within 60 s';
    if (!ownDataDir || attempt === 2) {
      const detail = tail(logFile, 15);
      await stop();
      throw new Error(`${lastError}; its log:\n${detail}`);
    }
    // A port taken between the check and the bind: try another.
    const ownLog = tail(logFile, 15);
    await stop();
    if (!/EADDRINUSE/.test(ownLog)) throw new Error(`${lastError}; its log:\n${ownLog}`);
  }
  throw new Error(lastError);
}

export interface Payload {
  /** The extension folder to load as a development extension. */
  extensionDevelopmentPath?: string;
  /** The compiled test entry (`export async function run()`), run in the extension host. */
  extensionTestsPath?: string;
}

/** The workbench URL opening `folder` with a development extension and, optionally, a test entry. */
export function workbenchUrl(server: Pick<CodeServer, 'port' | 'origin' | 'folder'>, payload: Payload): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p.split(path.sep).map(encodeURIComponent).join('/')}`;
  const entries: [string, string][] = [];
  if (payload.extensionDevelopmentPath) entries.push(['extensionDevelopmentPath', remote(path.resolve(payload.extensionDevelopmentPath))]);
  if (payload.extensionTestsPath) entries.push(['extensionTestsPath', remote(path.resolve(payload.extensionTestsPath))]);
  const query = [`folder=${encodeURIComponent(server.folder)}`];
  if (entries.length > 0) query.push(`payload=${encodeURIComponent(JSON.stringify(entries))}`);
  return `${server.origin}/?${query.join('&')}`;
}

/** Debian's Chromium unless PGDX_CHROMIUM names another; never a browser download. */
export function chromiumPath(): string {
  const chosen = process.env.PGDX_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)) ?? which('chromium');
  if (!chosen || !fs.existsSync(chosen)) throw new Error('no Chromium: install Debian\'s chromium package (or set PGDX_CHROMIUM to a Chromium executable)');
  return chosen;
}

/** Headless Chromium driven by playwright-core; closed by stopAllSync() at exit at the latest. */
export async function launchBrowser(options: { headless?: boolean } = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: options.headless ?? true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
  const handle: Stoppable = {
    stopSync() {
      live.delete(handle);
      // playwright keeps the browser in its own process; closing asynchronously is all it offers.
      void browser.close().catch(() => undefined);
    },
  };
  live.add(handle);
  browser.on('disconnected', () => live.delete(handle));
  return browser;
}
