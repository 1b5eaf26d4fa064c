// `npm run test:e2e`: the browser end-to-end test. Builds the extension, starts a throwaway
// PostgreSQL server loaded with the `rich` fixture database, makes a workspace folder of fixture
// dumps, starts code-server on it (test/support/codeServer.ts) and opens the workbench in headless
// Chromium with the extension loaded as a development extension (installed.spec.ts opens a second
// one with the packaged .vsix installed instead); then runs the specs
// (test/e2e/*.spec.ts, mocha) that drive the UI through that page, and prints the scale figures
// (test/e2e/scale.ts; medians of 5 runs, checked against their targets) with the bench archives (bench/archives.mjs: the
// 90,000-entry one of `npm run bench`, and a schema of 10,000 tables; generated here when missing).
//
// Screenshots go to test-results/e2e/. The ones README shows are copied to media/screenshots/
// when missing there, or always with `--update-screenshots` (or PGDX_UPDATE_SCREENSHOTS=1).
// PATTERNs (`node test/e2e/run.mjs [--update-screenshots] [PATTERN ...]`) keep only spec files
// whose name contains one (`scale`: the scale figures alone). The last line of output is `N passed, N failed`.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from '../../scripts/systemPackages.mjs';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
// The sources load some modules on use (`await import()`), which goes through the ESM loader.
(await import('tsx/esm/api')).register();
const Mocha = require('mocha');
const { buildExtension, closeAll, extensionLogTail, installExitHandlers, openSession, packageExtension, summaryLine } = require('../support/vscodeHarness.ts');
const { ensureCodeServer, launchBrowser, startCodeServer, workbenchUrl } = require('../support/codeServer.ts');
const { README_SHOTS_DIR, e2e, screenshot, setContext, takenReadmeShots } = require('./context.ts');
const { waitForExplorer } = require('./workbench.ts');
const { measureScale } = require('./scale.ts');

const e2eDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(e2eDir, '../..');
const shotsDir = path.join(root, 'test-results', 'e2e');
const args = process.argv.slice(2);
const updateShots = args.includes('--update-screenshots') || process.env.PGDX_UPDATE_SCREENSHOTS === '1';
const patterns = args.filter((a) => !a.startsWith('--'));
// The scale figures come with a whole run, or when asked for by the pattern `scale`.
const measure = patterns.length === 0 || patterns.includes('scale');
const counts = { passed: 0, failed: 0, skipped: 0 };
installExitHandlers(counts);

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
let mochaRunning = false;
// While mocha runs, its own listener turns an uncaught exception into the current test's failure.
process.on('unhandledRejection', (reason) => {
  if (mochaRunning) throw reason;
  console.log(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
});

async function runSpecs(files) {
  const mocha = new Mocha({ reporter: 'spec', timeout: 120_000 });
  for (const file of files) {
    mocha.files = [file];
    try {
      await mocha.loadFilesAsync();
    } catch (err) {
      const suite = Mocha.Suite.create(mocha.suite, path.relative(root, file));
      suite.addTest(new Mocha.Test('loads', () => {
        throw err;
      }));
    }
  }
  mocha.files = files;
  holdCleanupHooks(mocha.suite);
  mochaRunning = true;
  try {
    await new Promise((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', () => counts.passed++);
      runner.on('fail', (runnable) => {
        counts.failed++;
        shootFailure(runnable);
      });
      runner.on('pending', () => counts.skipped++);
    });
  } finally {
    mochaRunning = false;
    await failureShot;
  }
}

// A failed test or hook leaves a picture of the window as it was when it failed:
// test-results/e2e/failed-<title>.png. Taken at once, before any afterEach or after hook tidies
// the window up (those hooks wait for it: holdCleanupHooks). The extension's log follows it.
let failureShot = Promise.resolve();
function shootFailure(runnable) {
  // The window the spec drives now (some specs open a second one).
  let userDataDir;
  try {
    userDataDir = e2e().codeServer.userDataDir;
  } catch {
    // no window yet
  }
  const name = `failed-${runnable.fullTitle().replace(/[^\w.-]+/g, '-').slice(0, 100)}`;
  failureShot = failureShot.then(() => screenshot(name)).then(
    (file) => console.log(`    (screenshot: ${path.relative(root, file)})`),
    () => undefined,
  ).then(() => {
    if (userDataDir) console.log(indent(extensionLogTail(userDataDir), '    | '));
  });
}

const indent = (text, prefix) => text.split('\n').map((l) => prefix + l).join('\n');

/** Makes every afterEach and after hook of `suite` and its suites wait for the failure's screenshot first. */
function holdCleanupHooks(suite) {
  for (const hook of [...suite._afterEach, ...suite._afterAll]) {
    const fn = hook.fn;
    // Hooks taking a `done` callback are left as they are (none of the specs has one).
    if (typeof fn !== 'function' || fn.length > 0) continue;
    hook.fn = async function () {
      await failureShot;
      return fn.call(this);
    };
  }
  for (const child of suite.suites) holdCleanupHooks(child);
}

/** Copies the screenshots README shows into media/screenshots/ (new ones always; existing ones when asked). */
function publishScreenshots() {
  const shots = takenReadmeShots();
  const copied = [];
  for (const shot of shots) {
    const to = path.join(README_SHOTS_DIR, path.basename(shot));
    if (fs.existsSync(to) && !updateShots) continue;
    fs.mkdirSync(README_SHOTS_DIR, { recursive: true });
    fs.copyFileSync(shot, to);
    copied.push(path.relative(root, to));
  }
  const kept = shots.length - copied.length;
  console.log(`screenshots in ${path.relative(root, shotsDir)}/${copied.length ? `; updated ${copied.join(', ')}` : ''}${kept ? `; ${kept} README screenshot(s) left as they were (--update-screenshots replaces them)` : ''}`);
}

async function main() {
  const started = Date.now();
  const missing = ensureSystemPackages('e2e');
  if (missing) {
    console.log(missing);
    counts.failed += 1;
    return;
  }
  const files = fs
    .readdirSync(e2eDir)
    .filter((f) => f.endsWith('.spec.ts') && (patterns.length === 0 || patterns.some((p) => f.includes(p))))
    .sort()
    .map((f) => path.join(e2eDir, f));
  // The installed-extension spec needs the .vsix users get: packaged (production build) first,
  // then the development build the other specs load from the source tree.
  const vsix = files.some((f) => path.basename(f) === 'installed.spec.ts') ? packageExtension(path.join(root, '.cache', 'e2e', 'pg-dump-explorer.vsix')) : undefined;
  buildExtension();
  ensureCodeServer();
  // The scale figures open the 90,000-entry archive and tick a schema of 10,000 tables: those
  // archives are generated once when missing (about a minute, and 20 s), as `npm run bench` does.
  let wide;
  if (measure) {
    try {
      const { benchArchive, wideSchemaArchive } = await import('../../bench/archives.mjs');
      await benchArchive();
      wide = await wideSchemaArchive();
    } catch (err) {
      console.log(`scale: the bench archives could not be generated: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const session = await openSession({ workspaceFiles: ['rich.dump', 'rich.tar', 'rich-dir', 'rich.sql', 'rich.sql.gz', 'cluster.sql'] });
  fs.writeFileSync(path.join(session.workspace, 'notes.txt'), 'Not a dump: the Explorer offers PG Dump Explorer on dumps only.\n');
  fs.rmSync(shotsDir, { recursive: true, force: true });

  const codeServer = await startCodeServer({ folder: session.workspace, env: session.env, userDataDir: path.join(session.tmp, 'code-server') });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const opened = Date.now();
    await page.goto(workbenchUrl(codeServer, { extensionDevelopmentPath: root }));
    await waitForExplorer(page);
    console.log(`workbench of code-server on ${codeServer.origin} ready in ${seconds(Date.now() - opened)}`);
    setContext({ page, codeServer, session, shotsDir, vsix });
    await runSpecs(files);
    publishScreenshots();
    if (measure) {
      const { lines, failures } = await measureScale(wide);
      for (const line of lines) console.log(line);
      // Only a figure that could not be measured (the tree never showed, say) fails the run; a
      // target missed is said in its line: timings are measurements, not tests (see scale.ts).
      for (const failure of failures) console.log(`scale: FAILED: ${failure}`);
      counts.failed += failures.length;
    }
  } finally {
    await browser.close().catch(() => undefined);
    await codeServer.stop();
  }
  console.log(`whole run ${seconds(Date.now() - started)}`);
}

try {
  await main();
} catch (err) {
  console.log(`test:e2e failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  counts.failed += 1;
} finally {
  await closeAll();
}
process.stdout.write(`${summaryLine(counts)}\n`);
process.exit(counts.failed > 0 ? 1 : 0);
