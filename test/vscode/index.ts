/**
 * The extension-host test entry (`extensionTestsPath`): VS Code loads this module in the extension
 * host and calls run(). It runs mocha (BDD) over every compiled `suite/*.test.js` beside it and
 * writes the results as JSON to the file named by PGDX_VSCODE_RESULTS: the harness
 * (test/vscode/run.mjs) cannot read the extension host's output, so that file is how it learns
 * what passed. run() rejects when a test failed, which is how `@vscode/test-electron` learns it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export const RESULTS_ENV = 'PGDX_VSCODE_RESULTS';

export interface TestResult {
  /** Suite titles and the test's own, outermost first. */
  titlePath: string[];
  state: 'passed' | 'failed';
  durationMs: number;
  /** First line of the error, and its stack, when it failed. */
  error?: string;
  stack?: string;
}

export interface Results {
  vscodeVersion: string;
  nodeVersion: string;
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  tests: TestResult[];
}

function writeResults(results: Results): void {
  const file = process.env[RESULTS_ENV];
  if (!file) return;
  // Written then renamed: the harness waits for the file and must never read half of it.
  fs.writeFileSync(`${file}.part`, `${JSON.stringify(results, null, 2)}\n`);
  fs.renameSync(`${file}.part`, file);
}

export async function run(): Promise<void> {
  const started = Date.now();
  const results: Results = { vscodeVersion: vscode.version, nodeVersion: process.version, passed: 0, failed: 0, pending: 0, durationMs: 0, tests: [] };
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  const grep = process.env.PGDX_VSCODE_GREP;
  if (grep) mocha.grep(grep);

  const suiteDir = path.join(__dirname, 'suite');
  const files = fs.readdirSync(suiteDir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(suiteDir, f));
  // File by file, so that one file that cannot load is one failed test, not a lost run.
  for (const file of files) {
    mocha.files = [file];
    try {
      await mocha.loadFilesAsync();
    } catch (err) {
      const suite = Mocha.Suite.create(mocha.suite, path.basename(file));
      suite.addTest(new Mocha.Test('loads', () => {
        throw err;
      }));
    }
  }
  mocha.files = [];

  try {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (test) => {
        results.passed++;
        results.tests.push({ titlePath: test.titlePath(), state: 'passed', durationMs: test.duration ?? 0 });
      });
      runner.on('fail', (test, err: unknown) => {
        results.failed++;
        const e = err instanceof Error ? err : new Error(String(err));
        results.tests.push({ titlePath: test.titlePath(), state: 'failed', durationMs: test.duration ?? 0, error: e.message, ...(e.stack ? { stack: e.stack } : {}) });
      });
      runner.on('pending', () => results.pending++);
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    results.failed++;
    results.tests.push({ titlePath: ['mocha run'], state: 'failed', durationMs: 0, error: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  }
  results.durationMs = Date.now() - started;
  writeResults(results);
  if (results.failed > 0) throw new Error(`${results.failed} extension-host test(s) failed`);
}
