// Bundles the tests that run inside VS Code's extension host: test/vscode/index.ts (the
// extensionTestsPath entry) and every test/vscode/suite/*.test.ts, each to out/test/vscode/,
// CommonJS for Node 20, with `vscode` (given by the extension host) and `mocha` (loaded from
// node_modules, as mocha finds its own reporters there) left external.
// `node scripts/build-tests.mjs`; test/vscode/run.mjs calls build() itself.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const outDir = path.join(root, 'out', 'test', 'vscode');

export async function build() {
  const suiteDir = path.join(root, 'test', 'vscode', 'suite');
  const suites = fs.readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(suiteDir, f));
  // A suite file removed from test/ must not keep running from a stale bundle.
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(root, 'test', 'vscode', 'index.ts'), ...suites],
    outbase: path.join(root, 'test', 'vscode'),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', 'pg-native'],
    logLevel: 'warning',
  });
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await build();
