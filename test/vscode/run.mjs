// `npm run test:vscode`: the extension-host suite (test/vscode/suite/*.test.ts) inside a real VS Code.
//
// Builds the extension and the suite (scripts/build-tests.mjs), starts a throwaway PostgreSQL
// server loaded with the `rich` fixture database, makes a workspace folder of fixture dumps, then
// runs the suite in one of two VS Codes:
//   - desktop VS Code through @vscode/test-electron, where it can be downloaded and shown;
//   - otherwise code-server (VS Code's own server and web workbench, test/support/codeServer.ts)
//     opened in headless Chromium, the suite given as the workbench's extensionTestsPath payload.
// PGDX_VSCODE_RUNNER=electron|code-server forces one (default: try the download for 20 s).
// The suite writes its results to the file named by PGDX_VSCODE_RESULTS; this script waits for it
// (PGDX_VSCODE_TIMEOUT seconds, default 600), prints one line per test and, last,
// `N passed, N failed`. The exit code is non-zero when a test failed or no results came.
// PGDX_VSCODE_GREP runs only the tests whose full title matches.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as buildTests } from '../../scripts/build-tests.mjs';
import { ensureSystemPackages } from '../../scripts/systemPackages.mjs';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { buildExtension, closeAll, extensionLogTail, installExitHandlers, openSession, summaryLine } = require('../support/vscodeHarness.ts');
const { CODE_SERVER_VERSION, ensureCodeServer, launchBrowser, startCodeServer, workbenchUrl } = require('../support/codeServer.ts');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS_ENV = 'PGDX_VSCODE_RESULTS';
const timeoutMs = Number(process.env.PGDX_VSCODE_TIMEOUT ?? 600) * 1000;
const counts = { passed: 0, failed: 0, skipped: 0 };
installExitHandlers(counts);

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const oneLine = (err) => String(err instanceof Error ? err.message : err).split('\n').find((l) => l.trim()) ?? String(err);

/** Desktop VS Code from @vscode/test-electron, or undefined (with the reason logged) when it cannot run here. */
async function desktopVsCode() {
  const wanted = process.env.PGDX_VSCODE_RUNNER;
  if (wanted === 'code-server') return undefined;
  if (wanted === undefined && process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.log('no display for a desktop VS Code: using code-server');
    return undefined;
  }
  const { downloadAndUnzipVSCode } = require('@vscode/test-electron');
  try {
    const executable = await Promise.race([
      downloadAndUnzipVSCode({ version: process.env.PGDX_VSCODE_VERSION ?? 'stable', cachePath: path.join(root, '.vscode-test'), timeout: 20_000 }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 20 s')), 20_000).unref()),
    ]);
    return executable;
  } catch (err) {
    if (wanted === 'electron') throw new Error(`PGDX_VSCODE_RUNNER=electron, but VS Code could not be downloaded: ${oneLine(err)}`);
    console.log(`VS Code could not be downloaded (${oneLine(err)}): using code-server ${CODE_SERVER_VERSION}`);
    return undefined;
  }
}

async function runInDesktop(executable, session, testsPath, resultsFile) {
  const { runTests } = require('@vscode/test-electron');
  const dataDir = path.join(session.tmp, 'vscode');
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: root,
      extensionTestsPath: testsPath,
      extensionTestsEnv: { ...session.env, [RESULTS_ENV]: resultsFile },
      launchArgs: [session.workspace, '--disable-workspace-trust', '--disable-extensions', '--user-data-dir', path.join(dataDir, 'user-data'), '--extensions-dir', path.join(dataDir, 'extensions')],
    });
  } catch (err) {
    // A failing test makes run() reject, and VS Code exit non-zero: the results file says which.
    if (!fs.existsSync(resultsFile)) throw err;
  }
}

async function runInCodeServer(session, testsPath, resultsFile) {
  const server = await startCodeServer({ folder: session.workspace, env: { ...session.env, [RESULTS_ENV]: resultsFile }, userDataDir: path.join(session.tmp, 'code-server') });
  const browser = await launchBrowser();
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(oneLine(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text().split('\n')[0]);
  });
  try {
    await page.goto(workbenchUrl(server, { extensionDevelopmentPath: root, extensionTestsPath: testsPath }));
    const deadline = Date.now() + timeoutMs;
    while (!fs.existsSync(resultsFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    if (!fs.existsSync(resultsFile)) {
      const log = fs.readFileSync(server.logFile, 'utf8').split('\n').filter((l) => l.trim()).slice(-15);
      throw new Error(`no results from the extension host within ${seconds(timeoutMs)}\n  code-server's log:\n    ${log.join('\n    ')}\n  browser errors:\n    ${pageErrors.slice(-10).join('\n    ') || '(none)'}\n  ${extensionLogTail(path.join(session.tmp, 'code-server', 'user-data')).replace(/\n/g, '\n    ')}`);
    }
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}

/** Prints the results like mocha's spec reporter: suites, one line per test, then the failures in full. */
function report(results) {
  let lastSuite = [];
  const failures = [];
  for (const t of results.tests) {
    const suite = t.titlePath.slice(0, -1);
    suite.forEach((title, depth) => {
      if (lastSuite[depth] !== title) console.log(`${'  '.repeat(depth + 1)}${title}`);
    });
    lastSuite = suite;
    const indent = '  '.repeat(suite.length + 1);
    const title = t.titlePath[t.titlePath.length - 1];
    if (t.state === 'passed') console.log(`${indent}✓ ${title} (${t.durationMs} ms)`);
    else {
      failures.push(t);
      console.log(`${indent}${failures.length}) ${title}`);
    }
  }
  for (const [i, t] of failures.entries()) {
    console.log(`\n  ${i + 1}) ${t.titlePath.join(' ')}:\n     ${(t.stack ?? t.error ?? '').split('\n').slice(0, 12).join('\n     ')}`);
  }
  counts.passed += results.passed;
  counts.failed += results.failed;
  counts.skipped += results.pending;
}

async function main() {
  const started = Date.now();
  const missing = ensureSystemPackages('vscode');
  if (missing) {
    console.log(missing);
    counts.failed += 1;
    return;
  }
  buildExtension();
  const testsPath = path.join(await buildTests(), 'index.js');
  const executable = await desktopVsCode();
  if (!executable) ensureCodeServer();
  const session = await openSession();
  const resultsFile = path.join(session.tmp, 'results.json');
  const ran = Date.now();
  if (executable) await runInDesktop(executable, session, testsPath, resultsFile);
  else await runInCodeServer(session, testsPath, resultsFile);
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  console.log(`\nVS Code ${results.vscodeVersion} (${executable ? 'desktop' : `code-server ${CODE_SERVER_VERSION}`}), extension host on Node ${results.nodeVersion}\n`);
  report(results);
  if (results.failed > 0) {
    const userData = path.join(session.tmp, executable ? 'vscode' : 'code-server', 'user-data');
    console.log(`\n${extensionLogTail(userData).replace(/^/gm, '  | ')}`);
  }
  console.log(`\nsuite ${seconds(results.durationMs)}; VS Code start to results ${seconds(Date.now() - ran)}; whole run ${seconds(Date.now() - started)}`);
}

try {
  await main();
} catch (err) {
  console.log(`test:vscode failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  counts.failed += 1;
} finally {
  await closeAll();
}
process.stdout.write(`${summaryLine(counts)}\n`);
process.exit(counts.failed > 0 ? 1 : 0);
