import { dumpCluster } from '../core/dump/cluster';
import { CancelledError } from '../core/process/run';
import { describeCandidate } from '../core/tools/findTools';
import { formatBytes, plural } from '../core/units';
import { connectionOf, EXIT_DUMP_FAILED, refuseToReplace } from './dumpGlobalsCommand';
import { cancelOnInterrupt, EXIT_CANCELLED } from './terminal';

/** `dump-cluster`: globals.sql and one custom archive per database, in a new folder. Messages go to stderr. */

export interface DumpClusterCommandOptions {
  dbname: string;
  dir: string;
  jobs: number;
  yes: boolean;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

export async function dumpClusterCommand(o: DumpClusterCommandOptions): Promise<number> {
  refuseToReplace(o.dir, o.yes);
  const connection = connectionOf(o.dbname);
  const interrupt = cancelOnInterrupt();
  try {
    const result = await dumpCluster(
      connection,
      o.dir,
      { jobs: o.jobs, overwrite: o.yes },
      {
        signal: interrupt.signal,
        onEvent: (e) => {
          if (e.kind === 'start') {
            say(`dumping the cluster at ${e.where} (PostgreSQL ${e.serverVersion.split(' ')[0]}): ${plural(e.databases.length, 'database')} (${e.databases.map((d) => `${d.name} ${formatBytes(d.bytes)}`).join(', ')})`);
            say(`with ${describeCandidate(e.pgDumpall)} and ${describeCandidate(e.pgDump)}${o.jobs > 1 ? `, ${o.jobs} databases at a time` : ''}`);
          } else if (e.kind === 'globals' && e.state === 'done') {
            say('globals.sql: roles and tablespaces done');
          } else if (e.kind === 'database' && e.state === 'done') {
            say(`[${e.done}/${e.total}] ${e.database} done`);
          }
        },
      },
    );
    for (const note of result.notes) say(`note: ${note}`);
    if (result.cancelled) {
      say(`cancelled: nothing was left at ${o.dir}`);
      return EXIT_CANCELLED;
    }
    if (!result.ok || !result.manifest) {
      for (const e of result.errors) say(`error: ${e}`);
      say(`the cluster dump failed: nothing was left at ${o.dir}`);
      return EXIT_DUMP_FAILED;
    }
    const archives = result.manifest.databases.reduce((n, d) => n + d.archiveBytes, 0);
    say(`wrote ${result.path}: globals.sql and ${plural(result.manifest.databases.length, 'archive')} (${formatBytes(archives)}) in ${(result.durationMs / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    // Cancelled before anything started (while the tools were asked for their versions).
    if (!(err instanceof CancelledError)) throw err;
    say(`cancelled: nothing was left at ${o.dir}`);
    return EXIT_CANCELLED;
  } finally {
    interrupt.dispose();
  }
}
