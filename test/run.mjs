// The one test entry: `node test/run.mjs [unit|integration] [PATTERN ...]`; PATTERNs keep only
// test files whose path contains one of them.
//
// Runs mocha on test/unit/**/*.test.ts, then test/integration/**/*.test.ts (TypeScript through
// tsx). Before the integration tests it starts one throwaway PostgreSQL server and builds (or
// reuses) the dump fixtures, and tells the tests where they are through a JSON file named by
// PGDX_TEST_ENV (see test/support/env.ts). The server is stopped whatever happens.
//
// The last line of output is always `N passed, N failed` (`, N skipped` when tests were pending);
// the exit code is non-zero when a test or the setup failed.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from '../scripts/systemPackages.mjs';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
// The sources load some modules on use (`await import()`), which goes through the ESM loader.
(await import('tsx/esm/api')).register();
const Mocha = require('mocha');
const { startServer, stopAllServers, stopAllServersSync } = require('./support/pgServer.ts');
const { buildFixtures } = require('./support/fixtures.ts');
const { TEST_ENV_VAR, writeTestEnv } = require('./support/env.ts');
const { embeddedServerBinDir } = require('./support/embeddedPostgres.ts');

const testDir = path.dirname(fileURLToPath(import.meta.url));
const LEVELS = {
  unit: { timeout: 20_000 },
  integration: { timeout: 60_000 },
};

const counts = { passed: 0, failed: 0, skipped: 0 };
let envFile;
let mochaRunning = false;

const summary = () => `${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
const oneLine = (err) => String(err instanceof Error ? err.message : err).split('\n').find((l) => l.trim()) ?? String(err);

/** `*.test.ts` under dir, depth first, in a stable order. */
function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function removeEnvFile() {
  if (envFile) fs.rmSync(path.dirname(envFile), { recursive: true, force: true });
  envFile = undefined;
}

function cleanupSync() {
  stopAllServersSync();
  removeEnvFile();
}

/** Ends the run from outside mocha's control: stop everything, count the cause as a failure. */
function abort(reason, code) {
  process.stdout.write(`\n${reason}\n`);
  cleanupSync();
  counts.failed += 1;
  process.stdout.write(`${summary()}\n`);
  process.exit(code);
}

process.on('exit', cleanupSync);
process.on('SIGINT', () => abort('interrupted (SIGINT)', 130));
process.on('SIGTERM', () => abort('terminated (SIGTERM)', 143));
// While mocha runs, its own listener turns an uncaught exception into the current test's failure.
process.on('uncaughtException', (err) => {
  if (!mochaRunning) abort(`uncaught exception: ${err instanceof Error ? err.stack : String(err)}`, 1);
});
// As mocha's own command line does: a rejection nobody handles fails the test that caused it.
process.on('unhandledRejection', (reason) => {
  throw reason;
});

async function setUpIntegration() {
  const started = Date.now();
  // Two majors: Debian's server with the fixtures, and an empty one of another major to restore into.
  const [server, secondServer] = await Promise.all([startServer(), startServer({ binDir: embeddedServerBinDir() })]);
  const fixtures = await buildFixtures(server);
  envFile = writeTestEnv(server, fixtures, secondServer);
  process.env[TEST_ENV_VAR] = envFile;
  const where = path.relative(process.cwd(), path.dirname(fixtures['custom.dump'])) || '.';
  console.log(`PostgreSQL ${server.version} on ${server.host}:${server.port} (${server.binDir}); fixtures in ${where}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`PostgreSQL ${secondServer.version} on ${secondServer.host}:${secondServer.port} (${secondServer.binDir}), the second major to restore into`);
}

async function runMocha(level, files) {
  const mocha = new Mocha({ reporter: 'spec', timeout: LEVELS[level].timeout });
  // File by file, so that one test file that cannot load is one failed test, not a lost run.
  for (const file of files) {
    mocha.files = [file];
    try {
      await mocha.loadFilesAsync();
    } catch (err) {
      const suite = Mocha.Suite.create(mocha.suite, path.relative(process.cwd(), file));
      suite.addTest(new Mocha.Test('loads', () => {
        throw err;
      }));
    }
  }
  mocha.files = files;
  mochaRunning = true;
  try {
    await new Promise((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', () => counts.passed++);
      runner.on('fail', () => counts.failed++);
      runner.on('pending', () => counts.skipped++);
    });
  } finally {
    mochaRunning = false;
  }
}

async function main() {
  const wanted = process.argv[2];
  if (wanted !== undefined && !(wanted in LEVELS)) {
    console.log(`usage: node test/run.mjs [${Object.keys(LEVELS).join('|')}] [PATTERN ...]`);
    counts.failed += 1;
    return;
  }
  const missing = ensureSystemPackages('test');
  if (missing) {
    console.log(missing);
    counts.failed += 1;
    return;
  }
  const patterns = process.argv.slice(3);
  const chosen = (file) => patterns.length === 0 || patterns.some((p) => file.includes(p));
  const levels = (wanted ? [wanted] : Object.keys(LEVELS)).map((level) => ({ level, files: testFiles(path.join(testDir, level)).filter(chosen) }));
  if (levels.some(({ level, files }) => level === 'integration' && files.length > 0)) {
    try {
      await setUpIntegration();
    } catch (err) {
      console.log(`test setup failed: ${oneLine(err)}`);
      counts.failed += 1;
      return;
    }
  }
  for (const { level, files } of levels) {
    if (files.length > 0) await runMocha(level, files);
  }
}

try {
  await main();
} catch (err) {
  console.log(`test run failed: ${err instanceof Error ? err.stack : String(err)}`);
  counts.failed += 1;
} finally {
  await stopAllServers();
  removeEnvFile();
}
process.stdout.write(`${summary()}\n`);
process.exit(counts.failed > 0 ? 1 : 0);
