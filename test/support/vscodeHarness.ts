/**
 * What the runners that start a real VS Code share (test/vscode/run.mjs, test/e2e/run.mjs,
 * scripts/demo.mjs): the extension bundle, the throwaway PostgreSQL server loaded with the `rich`
 * fixture database, the TestEnv file the tests read (test/support/env.ts), a workspace folder of
 * fixture dumps, and the cleanup of all of it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TEST_ENV_VAR, writeTestEnv } from './env';
import { buildFixtures, projectRoot, type FixtureName } from './fixtures';
import { startServer, stopAllServers, stopAllServersSync, type PgServer } from './pgServer';
import { stopAllSync as stopCodeServersSync } from './codeServer';
import { fillWorkspace, type WorkspaceFile } from './workspace';

type Log = (line: string) => void;

/** Builds dist/ (extension, CLI, webview) with the project's own build script. Throws on failure. */
export function buildExtension(): void {
  const r = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'build.mjs')], { cwd: projectRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/build.mjs failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/**
 * Packages the extension as a user gets it (`npm run package`: the production bundles in a
 * .vsix) into `outFile`. The development build is made again afterwards by buildExtension().
 */
export function packageExtension(outFile: string): string {
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const r = spawnSync('npm', ['run', 'package', '--', '--out', outFile], { cwd: projectRoot, encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(outFile)) throw new Error(`npm run package failed (${r.error?.message ?? `exit ${r.status}`}):\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
  return outFile;
}

export interface Session {
  server: PgServer;
  fixtures: Record<FixtureName, string>;
  /** The TestEnv JSON file (its path goes in PGDX_TEST_ENV). */
  envFile: string;
  /** Temporary directory of this session: the workspace and whatever else the runner puts there. */
  tmp: string;
  /** The folder VS Code opens, holding copies of the fixtures. */
  workspace: string;
  /** Environment for VS Code's extension host: PGDX_TEST_ENV, and the server's PGHOST/PGPORT/PGUSER. */
  env: Record<string, string>;
  /** Stops the server and removes the temporary files. Idempotent. */
  close(): Promise<void>;
}

const sessions = new Set<Session>();

/**
 * Starts the server, loads `rich`, builds (or reuses) the fixtures, and makes the workspace.
 * `workspaceFiles` limits which fixture copies the workspace holds (all by default).
 */
export async function openSession(options: { workspaceFiles?: WorkspaceFile[]; log?: Log } = {}): Promise<Session> {
  const log = options.log ?? console.log;
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-vscode-'));
  let server: PgServer | undefined;
  try {
    server = await startServer();
    const fixtures = await buildFixtures(server);
    const envFile = writeTestEnv(server, fixtures);
    const workspace = fillWorkspace(path.join(tmp, 'dumps'), fixtures, options.workspaceFiles);
    let closed = false;
    const session: Session = {
      server,
      fixtures,
      envFile,
      tmp,
      workspace,
      env: { [TEST_ENV_VAR]: envFile, ...server.env },
      async close() {
        if (closed) return;
        closed = true;
        sessions.delete(session);
        await server?.stop();
        fs.rmSync(path.dirname(envFile), { recursive: true, force: true });
        fs.rmSync(tmp, { recursive: true, force: true });
      },
    };
    sessions.add(session);
    log(`PostgreSQL ${server.version} on ${server.host}:${server.port}; workspace of fixture dumps ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return session;
  } catch (err) {
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Stops every code-server, browser and PostgreSQL server of this process and removes temporary files. */
export async function closeAll(): Promise<void> {
  stopCodeServersSync();
  for (const s of [...sessions]) await s.close();
  await stopAllServers();
}

/** The same, synchronously: for `process.on('exit')`. */
export function closeAllSync(): void {
  stopCodeServersSync();
  stopAllServersSync();
  for (const s of [...sessions]) {
    fs.rmSync(path.dirname(s.envFile), { recursive: true, force: true });
    fs.rmSync(s.tmp, { recursive: true, force: true });
    sessions.delete(s);
  }
}

/**
 * The last `lines` lines of the extension's own log (its "PG Dump Explorer" output channel), as
 * the VS Code whose user data is under `userDataDir` wrote it; for a failure's report.
 */
export function extensionLogTail(userDataDir: string, lines = 60): string {
  const found: { file: string; mtime: number }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name === 'PG Dump Explorer.log') found.push({ file: p, mtime: fs.statSync(p).mtimeMs });
    }
  };
  try {
    walk(userDataDir);
  } catch {
    // no logs yet
  }
  const newest = found.sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest) return `(no extension log under ${userDataDir})`;
  const all = fs.readFileSync(newest.file, 'utf8').split('\n').filter((l) => l.trim());
  return `the extension's log (${all.length > lines ? `last ${lines} of ${all.length} lines` : `${all.length} lines`}):\n${all.slice(-lines).join('\n')}`;
}

/** `N passed, N failed` (`, N skipped` when some were pending): every runner's last line. */
export function summaryLine(counts: { passed: number; failed: number; skipped?: number }): string {
  return `${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
}

/**
 * Makes a runner end cleanly on Ctrl-C / SIGTERM and on a crash: everything stopped, the cause
 * counted as one failure, the summary line printed last. `counts` is the runner's live tally.
 */
export function installExitHandlers(counts: { passed: number; failed: number; skipped?: number }): void {
  const abort = (reason: string, code: number) => {
    process.stdout.write(`\n${reason}\n`);
    closeAllSync();
    counts.failed += 1;
    process.stdout.write(`${summaryLine(counts)}\n`);
    process.exit(code);
  };
  process.on('exit', closeAllSync);
  process.on('SIGINT', () => abort('interrupted (SIGINT)', 130));
  process.on('SIGTERM', () => abort('terminated (SIGTERM)', 143));
}
