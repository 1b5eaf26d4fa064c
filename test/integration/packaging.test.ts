/**
 * What users install: the .vsix that `npm run package` writes (vsce, production bundles) and the
 * npm package of the command-line tool that `npm pack` writes, installed with
 * `npm install -g --prefix` into a temporary folder and run from there against the test server.
 *
 * Both packaging commands rebuild dist/ in production mode (minified, no source maps); the
 * development build `npm test` made is put back afterwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { open as openZip, type Entry } from 'yauzl';
import { fixturePath, pgTool, testEnv } from '../support/env';
import { clientEnv, projectRoot } from '../support/fixtures';
import { query } from '../support/pgServer';
import { dropCreatedDatabases, footprint, freshDatabase } from '../support/targetDb';

interface Ran {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

/** npm as a user runs it: none of the npm_* settings of the `npm test` that may have started us, no update check. */
function npm(args: string[], cwd: string): Promise<Ran> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return run('npm', args, { cwd, env: { ...env, npm_config_update_notifier: 'false' } });
}

const ok = (r: Ran, what: string) => assert.equal(r.code, 0, `${what} failed:\n${r.stderr}\n${r.stdout.toString()}`);

/** Every file of a zip (a .vsix) with its bytes. */
function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    openZip(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const files = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(files));
      zip.on('entry', (entry: Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (err2, stream) => {
          if (err2) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { name: string; version: string };

/** The webviews scripts/build.mjs bundles: webview/<name>/main.ts → dist/webview/<name>.js. */
const webviews = fs
  .readdirSync(path.join(projectRoot, 'webview'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(projectRoot, 'webview', d.name, 'main.ts')))
  .map((d) => d.name);

describe('packaging: what users install', function () {
  this.timeout(240_000);
  let tmp: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-pack-'));
  });

  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await dropCreatedDatabases();
    ok(await run(process.execPath, [path.join(projectRoot, 'scripts', 'build.mjs')], { cwd: projectRoot, env: process.env }), 'the development build');
  });

  describe('the .vsix of `npm run package`', () => {
    let files: Map<string, Buffer>;
    let names: string[];
    /** vsce names README and LICENSE readme.md and LICENSE.txt, CHANGELOG changelog.md. */
    const needed = [
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/readme.md',
      'extension/changelog.md',
      'extension/LICENSE.txt',
      'extension/dist/extension.js',
      'extension/dist/plainIndexWorker.js',
      'extension/dist/rowCounter.js',
      ...webviews.map((name) => `extension/dist/webview/${name}.js`),
      'extension/dist/webview/codicons/codicon.css',
      'extension/dist/webview/codicons/codicon.ttf',
      'extension/media/icon.png',
      'extension/media/dump.svg',
      'extension/media/webview.css',
      'extension/media/restore.css',
    ];

    before(async () => {
      const out = path.join(tmp, 'vsix');
      fs.mkdirSync(out);
      ok(await npm(['run', 'package', '--', '--out', out], projectRoot), 'npm run package');
      const vsix = path.join(out, `${manifest.name}-${manifest.version}.vsix`);
      assert.deepEqual(fs.readdirSync(out), [path.basename(vsix)]);
      files = await readZip(vsix);
      names = [...files.keys()].sort();
    });

    it('holds what the extension runs and what its page shows', () => {
      assert.ok(webviews.length >= 4, `webviews: ${webviews.join(', ')}`);
      assert.deepEqual(needed.filter((n) => !files.has(n)), [], `the .vsix holds:\n${names.join('\n')}`);
    });

    it('holds no sources, tests, fixtures, screenshots, source maps, libraries or the CLI; nothing but that', () => {
      const unwanted = names.filter(
        (n) =>
          /\.(ts|map|mjs)$/.test(n) ||
          /^extension\/(src|test|webview|scripts|bench)\//.test(n) ||
          /(^|\/)(node_modules|fixtures|\.cache|screenshots)\//.test(n) ||
          n === 'extension/media/icon.svg' ||
          n === 'extension/dist/cli.js',
      );
      assert.deepEqual(unwanted, []);
      assert.deepEqual(names.filter((n) => !needed.includes(n) && n !== '[Content_Types].xml'), []);
    });

    it('carries production bundles and a manifest that installs nothing', () => {
      for (const name of names.filter((n) => n.endsWith('.js'))) {
        assert.doesNotMatch(files.get(name)!.toString(), /sourceMappingURL/, `${name} points to a source map`);
      }
      // Minified: a development bundle keeps esbuild's `// src/...` module comments.
      assert.doesNotMatch(files.get('extension/dist/extension.js')!.toString(), /^\/\/ src\//m);
      const packaged = JSON.parse(files.get('extension/package.json')!.toString()) as Record<string, unknown>;
      assert.equal(packaged.dependencies, undefined);
      assert.equal(packaged.icon, 'media/icon.png');
      // README's relative screenshots point to the repository.
      assert.match(files.get('extension/readme.md')!.toString(), /\]\(https:\/\/github\.com\/pg-dump-explorer\/pg-dump-explorer\/raw\/HEAD\/media\/screenshots\/[\w-]+\.png\)/);
    });
  });

  describe('the CLI from `npm pack`, installed with `npm install -g`', () => {
    let bin: string;
    let tarball: string;

    before(async () => {
      const out = path.join(tmp, 'npm');
      fs.mkdirSync(out);
      ok(await npm(['pack', '--pack-destination', out], projectRoot), 'npm pack');
      tarball = path.join(out, `${manifest.name}-${manifest.version}.tgz`);
      assert.ok(fs.existsSync(tarball), `npm pack wrote ${fs.readdirSync(out).join(', ')}`);
      // Offline, with a cache of its own: the package depends on nothing.
      const prefix = path.join(tmp, 'prefix');
      ok(await npm(['install', '-g', '--prefix', prefix, '--offline', '--cache', path.join(tmp, 'npm-cache'), '--no-audit', '--no-fund', tarball], tmp), 'npm install -g');
      bin = path.join(prefix, 'bin', 'pg-dump-explorer');
    });

    it('the tarball holds the CLI (its launcher and the bundles it loads) and the documents, nothing else', async () => {
      const r = await run('tar', ['-tzf', tarball], { cwd: tmp, env: process.env });
      ok(r, 'tar -t');
      const names = r.stdout.toString().trim().split('\n').sort();
      // The CLI's bundle, and the listing's own.
      const chunks = names.filter((n) => n.startsWith('package/dist/cli/'));
      assert.deepEqual(
        names.filter((n) => !chunks.includes(n)),
        ['package/CHANGELOG.md', 'package/LICENSE', 'package/README.md', 'package/dist/cli.js', 'package/dist/rowCounter.js', 'package/package.json'],
      );
      assert.ok(chunks.includes('package/dist/cli/main.cjs'), chunks.join('\n'));
      assert.ok(chunks.includes('package/dist/cli/list.cjs'), chunks.join('\n'));
      assert.deepEqual(chunks.filter((n) => !/^package\/dist\/cli\/[\w-]+\.cjs$/.test(n)), [], 'only the bundles, no source maps');
    });

    it('list prints what pg_restore -l prints', async () => {
      const file = fixturePath('custom.dump');
      const ours = await run(bin, ['list', file], { cwd: tmp, env: clientEnv(testEnv().server) });
      const theirs = await pgTool('pg_restore', ['-l', file]);
      ok(ours, 'pg-dump-explorer list');
      assert.equal(theirs.exitCode, 0, theirs.stderr.toString());
      assert.ok(ours.stdout.equals(theirs.stdout), `listing differs:\n${ours.stdout.toString().slice(0, 2000)}`);
    });

    it('restore --table sales.order --with-deps --no-owner --no-privileges restores the table as it is in the source', async () => {
      const { server, database: source } = testEnv();
      const db = await freshDatabase('installed_cli');
      const r = await run(
        bin,
        ['restore', fixturePath('custom.dump'), '--dbname', `postgresql://${server.user}@${server.host}:${server.port}/${db}`, '--table', 'sales.order', '--with-deps', '--no-owner', '--no-privileges', '--yes'],
        { cwd: tmp, env: clientEnv(server) },
      );
      ok(r, 'pg-dump-explorer restore');
      assert.match(r.stderr, /rows: (\d+) of \1 tables hold what the archive has/);
      const restored = await footprint(db, 'sales."order"');
      const original = await footprint(source, 'sales."order"');
      for (const key of ['indexes', 'constraints', 'triggers', 'policies', 'row_security', 'defaults', 'rows']) {
        assert.deepEqual(restored[key], original[key], key);
      }
      assert.equal(restored.rows, 2000);
      // --no-privileges: the source grants SELECT to app_reader; --no-owner: its schema belongs to app_owner there.
      assert.match(String(original.acl), /app_reader=r/);
      assert.equal(restored.acl, null);
      const schemaOwner = async (d: string) => (await query<{ owner: string }>(server, d, "select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = 'sales'"))[0]?.owner;
      assert.equal(await schemaOwner(source), 'app_owner');
      assert.equal(await schemaOwner(db), server.user);
    });
  });
});
