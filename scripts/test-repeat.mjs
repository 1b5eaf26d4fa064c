// `npm run test:repeat -- N [--busy K]`: do the VS Code suites pass every time? Runs
// `npm run test:vscode` and `npm run test:e2e` N times each, alternating (vscode 1, e2e 1,
// vscode 2, …), and never runs a failed one again. The first K runs of each go while the machine
// is busy: beside them the project's bench (bench/run.mjs, what `npm run bench` runs after its
// build) runs over and over in its own process group, and is stopped with SIGTERM when the busy
// runs are over (it then stops its PostgreSQL server and removes its directory).
//
// Before the first run, once, so that no timed run includes them: the Debian packages, the build,
// code-server's install, and the inputs the bench and the e2e scale figures generate (minutes
// the first time; cached in .cache/). The load runs the CLI from its own copy of dist/, because
// every suite run rebuilds dist/ at its start and a CLI started in that moment would fail.
//
// One line per run (suite, run, busy or quiet, the counts of the runner's last line
// `N passed, N failed`, duration, the titles of what failed); each run's whole output in
// test-results/repeat/<suite>-<n>.log, the load's in load-<n>.log. At the end a table and, last,
// the summed `N passed, N failed`. The exit code is non-zero when anything failed.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './systemPackages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'test-results', 'repeat');
const SUITES = ['vscode', 'e2e'];
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;
const USAGE = 'usage: npm run test:repeat -- N [--busy K]   (K of the N runs of each suite with the bench running beside them)';
const rel = (p) => path.relative(root, p);

let current;
let load;
let interrupted;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = `interrupted (${signal})`;
    // To the running suite's whole process group: npm passes no signal on to the script it runs.
    if (current) killGroup(current.pid, signal);
  });
}
// The load has a process group of its own: nothing else would stop it.
process.on('exit', () => load?.kill());

function parseArgs([n, flag, k, ...rest]) {
  const runs = Number(n);
  const busy = flag === undefined ? 0 : Number(k);
  const ok = Number.isInteger(runs) && runs >= 1 && (flag === undefined || flag === '--busy') && Number.isInteger(busy) && busy >= 0 && busy <= runs && rest.length === 0;
  return ok ? { runs, busy } : undefined;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already
  }
}

const lastLine = (file) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).pop() ?? '';

/** Runs a command with all its output in `logFile` (appended to with `append`); resolves with its exit status. */
function runLogged(cmd, args, logFile, { append = false, env = process.env } = {}) {
  return new Promise((resolve) => {
    const log = fs.createWriteStream(logFile, { flags: append ? 'a' : 'w' });
    // Through pipes rather than the file itself: 'close' then waits for every process holding
    // them, the runner behind npm included (after a signal npm may be gone first).
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    let done = false;
    const finish = (status) => {
      if (done) return;
      done = true;
      current = undefined;
      log.end(() => resolve(status));
    };
    child.on('error', (err) => {
      log.write(`${err.message}\n`);
      finish(1);
    });
    child.on('close', (code, signal) => finish(code ?? signal));
  });
}

/**
 * Once, before the timed runs: the build, code-server, the generated inputs (the plain dump only
 * when the bench will run), and the load's copy of dist/. Undefined, or one line saying what failed.
 */
async function prepare(busy) {
  const logFile = path.join(outDir, 'prepare.log');
  const inputs = ['bench', 'wide', ...(busy > 0 ? ['plain'] : [])];
  const steps = [
    ['the build', 'npm', ['run', 'build']],
    ['code-server', process.execPath, ['-e', "require('tsx/cjs/api').register(); require('./test/support/codeServer.ts').ensureCodeServer();"]],
    ['the generated inputs', process.execPath, ['bench/archives.mjs', ...inputs]],
  ];
  console.log(`preparing: the build, code-server, the generated inputs (${inputs.join(', ')}); output in ${rel(logFile)}`);
  for (const [what, cmd, args] of steps) {
    const status = await runLogged(cmd, args, logFile, { append: true });
    if (interrupted) return interrupted;
    if (status !== 0) return `preparing ${what} failed (exit status ${status}): ${lastLine(logFile)}`;
  }
  fs.cpSync(path.join(root, 'dist'), path.join(outDir, 'load-dist'), { recursive: true });
  return undefined;
}

/** The bench over and over, each run in a process group of its own, until stop(). */
function startLoad() {
  const cli = path.join(outDir, 'load-dist', 'cli.js');
  let child;
  let count = 0;
  let stopping = false;
  const self = { failed: undefined, kill: () => killGroup(child.pid, 'SIGTERM'), stop };
  function next() {
    count += 1;
    const logFile = path.join(outDir, `load-${count}.log`);
    const out = fs.openSync(logFile, 'w');
    child = spawn(process.execPath, [path.join('bench', 'run.mjs')], { cwd: root, env: { ...process.env, BENCH_CLI: cli }, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      if (code === 0) return next();
      // Not restarted: a bench that fails at once would only fail again.
      self.failed = `the load stopped: bench run ${count} failed (${signal ?? `exit status ${code}`}; ${rel(logFile)})`;
      console.log(self.failed);
    });
  }
  async function stop() {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killGroup(child.pid, 'SIGTERM');
      // A limit, not a wait: the bench stops its server and exits within seconds of SIGTERM.
      const limit = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 120_000);
      await exited;
      clearTimeout(limit);
    }
    killGroup(child.pid, 'SIGKILL'); // whatever of its group outlived it
    load = undefined;
    console.log(`load stopped after ${count} bench run(s) (${rel(path.join(outDir, 'load-*.log'))})`);
  }
  next();
  return self;
}

/** What a runner's output says: the counts of its last summary line, and the titles of what failed. */
function readRun(text, status) {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const titles = [];
  const numbered = new Set();
  for (const line of lines) {
    // mocha's spec reporter and test/vscode/run.mjs number each failure: `  1) title`, first in the listing.
    const m = /^\s+(\d+)\) (.+?):?$/.exec(line);
    if (m && !numbered.has(m[1])) {
      numbered.add(m[1]);
      titles.push(m[2]);
    }
    // A failure outside any test, in the runner's own words.
    if (/^(test:\w+ failed: |interrupted \(|terminated \(|missing |apt-get )/.test(line)) titles.push(line);
  }
  const last = lines.map((l) => l.trim()).filter((l) => SUMMARY.test(l)).pop();
  if (!last) return { passed: 0, failed: 1, titles: [...titles, `stopped before its tests ran (exit status ${status})`] };
  const [, passed, failed] = SUMMARY.exec(last);
  return { passed: Number(passed), failed: Number(failed), titles: Number(failed) > 0 ? titles : [] };
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function table(rows) {
  const head = ['suite', 'run', 'mode', 'passed', 'failed', 'duration'];
  const cells = rows.map((r) => [r.suite, String(r.run), r.mode, String(r.passed), String(r.failed), seconds(r.ms)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [head, ...cells].map((c) => c.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function main(total) {
  const args = parseArgs(process.argv.slice(2));
  if (!args) return USAGE;
  const missing = ensureSystemPackages('repeat');
  if (missing) return missing;
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const failedPrep = await prepare(args.busy);
  if (failedPrep) return failedPrep;

  console.log(`test:vscode and test:e2e ${args.runs} time(s) each, ${args.busy ? `the first ${args.busy} with the bench running beside them` : 'on a quiet machine'}; output in ${rel(outDir)}/`);
  const rows = [];
  for (let run = 1; run <= args.runs && !interrupted; run++) {
    if (run <= args.busy && !load) load = startLoad();
    for (const suite of SUITES) {
      if (interrupted) break;
      const logFile = path.join(outDir, `${suite}-${run}.log`);
      const started = Date.now();
      const status = await runLogged('npm', ['run', `test:${suite}`], logFile);
      const ms = Date.now() - started;
      const mode = run > args.busy ? 'quiet' : load?.failed ? 'busy (load stopped)' : 'busy';
      const result = readRun(fs.readFileSync(logFile, 'utf8'), status);
      rows.push({ suite, run, mode, ms, ...result });
      total.passed += result.passed;
      total.failed += result.failed;
      const failures = result.titles.length ? `; failed: ${result.titles.join(' | ')}` : '';
      console.log(`${suite} run ${run}/${args.runs} ${mode}: ${result.passed} passed, ${result.failed} failed in ${seconds(ms)}${failures}`);
    }
    if (run === args.busy && load) await load.stop();
  }
  if (load) await load.stop();
  fs.rmSync(path.join(outDir, 'load-dist'), { recursive: true, force: true });
  console.log(`\n${table(rows)}`);
  return interrupted;
}

const total = { passed: 0, failed: 0 };
let stopped;
try {
  stopped = await main(total);
} catch (err) {
  stopped = `test:repeat failed: ${err instanceof Error ? err.message : String(err)}`;
}
if (stopped) {
  console.log(stopped);
  total.failed += 1;
}
console.log(`\n${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed > 0 ? 1 : 0);
