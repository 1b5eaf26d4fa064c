import { runCli } from '../cli';
import * as restore from './restoreCommand';

/**
 * `pg-dump-explorer restore …` (dist/cli/restore.cjs), which dist/cli.js runs for that command:
 * the CLI with the restore imported, not loaded with import() when it runs. A bundler defers a
 * module reached through import() by wrapping it, which turns its constants into variables that
 * V8 optimises less well: the archive's feed and row count, the hot loops of a big restore, took
 * about 0.3 s more CPU for 8,000,000 rows so. Nothing else in this bundle is imported on use.
 */
const elsewhere = (command: string) => () => Promise.reject(new Error(`${command} is not part of the restore's program`));
runCli({
  restore: () => Promise.resolve(restore),
  verify: elsewhere('verify'),
  copy: elsewhere('copy'),
  dump: elsewhere('dump'),
  dumpGlobals: elsewhere('dump-globals'),
  dumpCluster: elsewhere('dump-cluster'),
});
