// Bundles the extension (CommonJS, `vscode` external), its plain-dump indexing worker, the CLI and one script per webview
// (webview/<name>/main.ts → dist/webview/<name>.js), and copies the codicon font the webviews
// use. `--production` (what the .vsix and the npm package ship): minified, no source maps.
// Type-checking is separate (`npm run typecheck`): esbuild only strips types.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

/**
 * For the bundles that run in Node (the extension host, the CLI): node-postgres tells a
 * Cloudflare Worker from Node by `navigator.userAgent`, and where there is no `navigator`
 * (Node 20) by constructing a fetch `Response`, which loads Node's whole fetch implementation:
 * about 25 ms of every start of the CLI. Node 21 and later answer with their own navigator; this
 * gives Node 20 the same answer. Nothing else in these bundles reads `navigator`.
 */
const nodeDefines = { define: { navigator: JSON.stringify({ userAgent: 'Node.js' }) } };

/** webview/<name>/main.ts for every folder but the shared code. */
const webviews = fs
  .readdirSync(path.join(root, 'webview'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'common' && fs.existsSync(path.join(root, 'webview', d.name, 'main.ts')))
  .map((d) => d.name);

const builds = [
  {
    ...common,
    ...nodeDefines,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'pg-native'],
  },
  {
    // A worker thread's script is a file of its own (worker_threads loads it by path).
    ...common,
    entryPoints: ['src/core/plain/indexWorker.ts'],
    outfile: 'dist/plainIndexWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // The row counter a restore starts beside pg_restore at the lowest CPU priority (a program of its own).
    ...common,
    entryPoints: ['src/core/data/rowCounterMain.ts'],
    outfile: 'dist/rowCounter.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // The CLI, one CommonJS file: dist/cli.js runs it through a V8 code cache (src/cli/launcher.ts),
    // so that a command starts without compiling it again.
    ...common,
    ...nodeDefines,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli/main.cjs',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['pg-native'],
  },
  {
    // `restore`, with its engine imported rather than loaded on use (src/cli/restoreMain.ts).
    ...common,
    ...nodeDefines,
    entryPoints: ['src/cli/restoreMain.ts'],
    outfile: 'dist/cli/restore.cjs',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['pg-native'],
  },
  {
    // `list FILE`, the command that is mostly start-up, as a CommonJS file of its own: the listing
    // and the archive readers, without node-postgres or the restore and dump engines.
    ...common,
    ...nodeDefines,
    entryPoints: ['src/cli/listMain.ts'],
    outfile: 'dist/cli/list.cjs',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // dist/cli.js, package.json's "bin" (the package has no "type": CommonJS).
    ...common,
    sourcemap: false,
    entryPoints: ['src/cli/launcher.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  ...webviews.map((name) => ({
    ...common,
    entryPoints: { [name]: `webview/${name}/main.ts` },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
  })),
];

/** The codicon font and stylesheet, which @vscode-elements/elements' icons need in the page. */
function copyCodicons() {
  const from = path.join(root, 'node_modules', '@vscode', 'codicons', 'dist');
  const to = path.join(root, 'dist', 'webview', 'codicons');
  fs.mkdirSync(to, { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(from, file), path.join(to, file));
}

// Nothing from an earlier build may linger in dist/: a webview removed from webview/, or the
// source maps of a development build beside a production one that is about to be packaged.
if (!watch) fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
copyCodicons();
if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  fs.chmodSync(path.join(root, 'dist', 'cli.js'), 0o755);
}
