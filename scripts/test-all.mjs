// `npm run test:all`: every test level, one after the other, and their totals summed.
//
//   npm test              type-check, lint, build, unit and integration tests (real PostgreSQL)
//   npm run test:vscode   the extension-host suite inside a real VS Code
//   npm run test:e2e      the browser end-to-end test of the workbench
//
// First it makes sure the Debian packages of all three are installed (scripts/systemPackages.mjs:
// installed when running as root, else named with the command that installs them).
//
// Each runner ends its output with `N passed, N failed`; this script repeats nothing else and
// prints the sum as its own last line, whatever happens: a runner that stops before printing its
// totals, missing packages and an interrupt each count as one failure. The exit code is non-zero
// when anything failed.
import { spawn } from 'node:child_process';
import { ensureSystemPackages } from './systemPackages.mjs';

const RUNNERS = [
  ['npm', ['test']],
  ['npm', ['run', 'test:vscode']],
  ['npm', ['run', 'test:e2e']],
];
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;

let current;
let interrupted;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = `interrupted (${signal})`;
    // To the runner's whole process group: npm passes no signal on to the script it runs.
    killGroup(current, signal);
  });
}

function killGroup(child, signal) {
  try {
    if (child?.pid) process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
}

function runOne(cmd, args) {
  return new Promise((resolve) => {
    // A process group of its own, which a signal to this script is passed on to.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    current = child;
    let last;
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (SUMMARY.test(line.trim())) last = line.trim();
    });
    child.on('close', (code, signal) => {
      if (SUMMARY.test(pending.trim())) last = pending.trim();
      resolve({ code: code ?? signal, last });
    });
    child.on('error', () => resolve({ code: 1, last: undefined }));
  });
}

const total = { passed: 0, failed: 0, skipped: 0 };
let failedRunners = 0;
const missing = ensureSystemPackages('all');
if (missing) {
  process.stdout.write(`${missing}\n`);
  total.failed += 1;
}
for (const [cmd, args] of missing ? [] : RUNNERS) {
  if (interrupted) break;
  const label = `${cmd} ${args.join(' ')}`;
  process.stdout.write(`\n=== ${label}\n`);
  const { code, last } = await runOne(cmd, args);
  const m = last ? SUMMARY.exec(last) : null;
  if (!m) {
    process.stdout.write(`${label} stopped before its tests ran (exit status ${code})\n`);
    total.failed += 1;
    failedRunners += 1;
    continue;
  }
  total.passed += Number(m[1]);
  total.failed += Number(m[2]);
  total.skipped += Number(m[3] ?? 0);
  if (code !== 0) failedRunners += 1;
}
if (interrupted) {
  process.stdout.write(`${interrupted}\n`);
  total.failed += 1;
}
process.stdout.write(`\n${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}\n`);
process.exit(total.failed > 0 || failedRunners > 0 ? 1 : 0);
