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
    // The CLI in chunks (ES modules, as esbuild splits only those): each command loads only the
    // code it runs, so `list` compiles neither node-postgres nor the restore and dump engines.
    // dist/cli.js (written below) is the program that loads dist/cli/main.mjs. Bundled CommonJS
    // libraries call require(), which an ES module has to be given.
    ...common,
    ...nodeDefines,
    entryPoints: { main: 'src/cli.ts' },
    outdir: 'dist/cli',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: '[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['pg-native'],
    banner: { js: "import { createRequire as __pgdxCreateRequire } from 'node:module'; const require = __pgdxCreateRequire(import.meta.url);" },
  },
  {
    // `list FILE`, the command that is mostly start-up, as one CommonJS file: dist/cli.js runs it
    // with require(), so that start loads neither the ES module loader nor the CLI's chunks.
    ...common,
    ...nodeDefines,
    entryPoints: ['src/cli/listMain.ts'],
    outfile: 'dist/cli/list.cjs',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
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

/**
 * dist/cli.js, package.json's "bin": CommonJS (the package has no "type"), it only loads the
 * chunked CLI, or for `list FILE` the listing's own bundle. A failure to load either is reported
 * in one line, like the CLI's own errors.
 */
function writeCliLauncher() {
  const launcher = `#!/usr/bin/env node
'use strict';
const args = process.argv.slice(2);
const fail = (err) => {
  process.stderr.write(\`pg-dump-explorer: error: cannot load the program: \${err && err.message}\\n\`);
  process.exitCode = 1;
};
// \`list FILE\` exactly has a program of its own (src/cli/listMain.ts); the whole CLI does the rest.
if (args.length === 2 && args[0] === 'list' && !args[1].startsWith('-')) {
  try {
    require('./cli/list.cjs');
  } catch (err) {
    fail(err);
  }
} else {
  import('./cli/main.mjs').catch(fail);
}
`;
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'cli.js'), launcher, { mode: 0o755 });
}

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
writeCliLauncher();
if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
