import { runCli } from '../cli';

/**
 * The whole CLI (dist/cli/main.cjs): each command that talks to servers is imported when it runs.
 * dist/cli.js (src/cli/launcher.ts) runs `restore` from its own bundle instead (restoreMain.ts).
 */
runCli({
  restore: () => import('./restoreCommand'),
  verify: () => import('./verifyCommand'),
  copy: () => import('./copyCommand'),
  dump: () => import('./dumpCommand'),
  dumpGlobals: () => import('./dumpGlobalsCommand'),
  dumpCluster: () => import('./dumpClusterCommand'),
});
