// `npm run demo`: try the extension by hand on a fresh machine.
//
// Starts a throwaway PostgreSQL server loaded with the `rich` sample database (as the tests do),
// makes a demo folder of sample dumps in every format (custom, uncompressed custom, directory,
// tar, plain .sql and .sql.gz, pg_dumpall, globals), and opens a real VS Code on it with the
// extension loaded: desktop VS Code (`code --extensionDevelopmentPath`) where `code` is on PATH,
// otherwise code-server on 127.0.0.1 with its URL printed. The server is ready to restore into:
// its address is in the PG* variables VS Code runs with and, as service `pgdx-demo`, in the
// pg_service.conf of the demo folder (PGSERVICEFILE). Ctrl-C stops everything.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './systemPackages.mjs';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
// The sources load some modules on use (`await import()`), which goes through the ESM loader.
(await import('tsx/esm/api')).register();
const { buildExtension, closeAll, openSession } = require('../test/support/vscodeHarness.ts');
const { ensureCodeServer, startCodeServer, workbenchUrl } = require('../test/support/codeServer.ts');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function hasDesktopCode() {
  return spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0 && Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY || process.platform !== 'linux');
}

async function main() {
  const missing = ensureSystemPackages('demo');
  if (missing) throw new Error(missing);
  buildExtension();
  const session = await openSession();
  const { server, workspace } = session;
  const serviceFile = path.join(workspace, 'pg_service.conf');
  fs.writeFileSync(serviceFile, `[pgdx-demo]\nhost=${server.host}\nport=${server.port}\nuser=${server.user}\ndbname=postgres\n`);
  const env = { ...server.env, PGDATABASE: 'postgres', PGSERVICEFILE: serviceFile };
  console.log(`demo folder: ${workspace}`);
  console.log(`PostgreSQL ${server.version} at ${server.host}:${server.port} (user ${server.user}; service pgdx-demo; sample database "rich")`);

  let stop;
  if (hasDesktopCode()) {
    const child = require('node:child_process').spawn('code', ['--wait', '--new-window', `--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit', env: { ...process.env, ...env } });
    stop = () => child.kill();
    console.log('VS Code opened; close its window or press Ctrl-C to stop');
    await new Promise((resolve) => child.on('exit', resolve));
  } else {
    ensureCodeServer();
    const codeServer = await startCodeServer({ folder: workspace, env });
    stop = () => codeServer.stop();
    console.log(`open ${workbenchUrl(codeServer, { extensionDevelopmentPath: root })}`);
    console.log('press Ctrl-C to stop');
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
  await stop?.();
  await closeAll();
}

main().then(
  () => process.exit(0),
  async (err) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    await closeAll();
    process.exit(1);
  },
);
