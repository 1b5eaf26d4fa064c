import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/**
 * dist/cli.js, the program package.json's "bin" names: it runs the CLI's bundle (dist/cli/main.cjs),
 * or for exactly `list FILE` the listing's own (dist/cli/list.cjs) and for `restore …` the
 * restore's (dist/cli/restore.cjs, see restoreMain.ts), through a V8 code cache.
 *
 * Most of a short command's time is Node compiling the bundle's 1.2 MB of JavaScript. The cache
 * keeps what V8 compiled in a run (after it, so that the functions the command ran are in it) and
 * hands it back on the next run of the same command: about 50 ms less before `pg_restore` starts.
 * Node 22's `module.enableCompileCache()` keeps only what is compiled when a file is loaded, and
 * Node 20 has none. The cache is a file per bundle, command, Node version and flags, in the
 * user's cache folder; V8 checks it and compiles afresh when it does not fit. Anything that goes
 * wrong with it only means no cache: `PG_DUMP_EXPLORER_CODE_CACHE=off` turns it off.
 */

const args = process.argv.slice(2);
// `list FILE` exactly has a program of its own (src/cli/listMain.ts), and so has `restore`
// (src/cli/restoreMain.ts); the whole CLI does the rest.
const listOnly = args.length === 2 && args[0] === 'list' && !args[1]!.startsWith('-');
const name = listOnly ? 'list' : args[0] === 'restore' ? 'restore' : 'main';
try {
  runBundle(path.join(__dirname, 'cli', `${name}.cjs`), listOnly ? 'list' : commandName(args[0]));
} catch (err) {
  process.stderr.write(`pg-dump-explorer: error: cannot load the program: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}

/** The command, as a part of a file name: the functions a run compiles depend on it. */
function commandName(arg: string | undefined): string {
  return arg && /^[a-z][a-z-]{0,30}$/.test(arg) ? arg : 'other';
}

/** Runs a CommonJS bundle as `require` would, compiled with the cache when there is one that fits. */
function runBundle(file: string, command: string): void {
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(file, command);
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      // none yet
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) { ${source.replace(/^#!.*/, '')}\n})`;
  const script = new vm.Script(wrapper, { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => saveCodeCache(script, cacheFile));
  const module = { exports: {}, filename: file, id: file, loaded: false };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
}

/**
 * Where this run's code cache is kept: named by the bundle (its name, path, size and time of change),
 * the command, Node's version and platform, and the flags V8 runs with, which V8's own check of
 * the cache does not fully cover. Undefined when there is no private folder for it.
 */
function codeCacheFile(file: string, command: string): string | undefined {
  if (/^(off|0|false|no)$/i.test(process.env.PG_DUMP_EXPLORER_CODE_CACHE ?? '')) return undefined;
  const dir = privateCacheFolder();
  if (!dir) return undefined;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  const flags = hash(`${process.execArgv.join(' ')}\n${process.env.NODE_OPTIONS ?? ''}`);
  // "main.restore.<where it is>.": a rebuild replaces its own caches, never another install's.
  const name = `${path.basename(file, '.cjs')}.${command}.${hash(file)}.${stat.size}-${Math.floor(stat.mtimeMs)}-${process.version}-${process.platform}-${process.arch}-${flags}.v8cache`;
  return path.join(dir, name);
}

/**
 * The user's cache folder for the code cache (XDG_CACHE_HOME or ~/.cache, ~/Library/Caches on
 * macOS, %LOCALAPPDATA% on Windows), made if missing. A code cache is code this process runs:
 * on POSIX it is used only in a folder that this user owns and nobody else may write to.
 */
function privateCacheFolder(): string | undefined {
  const home = os.homedir();
  const base =
    process.platform === 'win32'
      ? process.env.LOCALAPPDATA
      : process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME)
        ? process.env.XDG_CACHE_HOME
        : home
          ? path.join(home, process.platform === 'darwin' ? 'Library/Caches' : '.cache')
          : undefined;
  if (!base) return undefined;
  const dir = path.join(base, 'pg-dump-explorer', 'code-cache');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.platform === 'win32') return dir;
    const stat = fs.statSync(dir);
    const uid = process.getuid?.();
    return stat.isDirectory() && stat.uid === uid && (stat.mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the code V8 compiled in this run, whole or not at all (written aside, then renamed), and
 * removes the caches of the same command for other builds or Node versions.
 */
function saveCodeCache(script: vm.Script, cacheFile: string): void {
  const aside = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(aside, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(aside, cacheFile);
    const dir = path.dirname(cacheFile);
    const name = path.basename(cacheFile);
    // The bundle, the command and where the bundle is (names without dots).
    const sameCommand = name.split('.').slice(0, 3).join('.') + '.';
    for (const other of fs.readdirSync(dir)) if (other !== name && other.startsWith(sameCommand) && other.endsWith('.v8cache')) fs.rmSync(path.join(dir, other), { force: true });
  } catch {
    fs.rmSync(aside, { force: true });
  }
}

/** FNV-1a of a short text, in hex: enough to tell flag sets apart in a file name. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
