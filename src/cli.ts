import { parseArgs } from 'node:util';
import { withDump } from './core/archive';
import { copyRows } from './core/data/copyRows';
import { DumpError } from './core/errors';
import { detectDump } from './core/formats/detect';
import { findByQualifiedName } from './core/model/find';
import { readClusterDump } from './core/plain/clusterDump';
import { indexPlainDump } from './core/plain/indexer';
import { buildPlan } from './core/plan/closure';
import { planWarnings, writeRestoreList } from './core/plan/listFile';
import { listCommand } from './cli/listCommand';
import { EXIT_USAGE, runProgram, UsageError, write } from './cli/program';
import type { RestoreMode, Selection } from './core/plan/selection';
import type { RestoreCommandOptions } from './cli/restoreCommand';
import type { DumpFormat, DumpOptions } from './core/dump/types';

/**
 * The modules of the commands that talk to servers (node-postgres, the restore and dump engines):
 * imported on use by the whole CLI's bundle (src/cli/main.ts), so that the other commands do not
 * start them; a command's own bundle has its module imported already (src/cli/restoreMain.ts).
 */
export interface CommandModules {
  restore(): Promise<typeof import('./cli/restoreCommand')>;
  verify(): Promise<typeof import('./cli/verifyCommand')>;
  copy(): Promise<typeof import('./cli/copyCommand')>;
  dump(): Promise<typeof import('./cli/dumpCommand')>;
  dumpGlobals(): Promise<typeof import('./cli/dumpGlobalsCommand')>;
  dumpCluster(): Promise<typeof import('./cli/dumpClusterCommand')>;
}

let commands: CommandModules;

/** Runs the command line of this process. */
export function runCli(modules: CommandModules): void {
  commands = modules;
  runProgram(() => main(process.argv.slice(2)), USAGE);
}

/**
 * Command-line face of the core. Exit codes:
 *   0 success; 1 the input could not be read (one line on stderr);
 *   2 usage error; 3 listed, but some entries' data is missing or cut short;
 *   4 to 6 and 130 for restore and dump (src/cli/terminal.ts).
 */
const USAGE = `usage:
  pg-dump-explorer list FILE [--json]        what pg_restore -l prints (or every entry as JSON)
  pg-dump-explorer data FILE --table SCHEMA.NAME [--limit N]
                                             a table's rows as COPY text
  pg-dump-explorer plan FILE --table SCHEMA.NAME ... [--schema NAME ...]
                    [--data-only | --schema-only] [--with-deps] [--drop-dangling-fks]
                                             a pg_restore -L list that restores the tables
                                             and schemas with everything that belongs to them
  pg-dump-explorer index FILE [--json]       the objects of a plain SQL dump (.sql, .sql.gz, …):
                                             offset, length, type, schema, name and owner of
                                             each section, tab-separated (or JSON); for a
                                             pg_dumpall script, its globals and databases
  pg-dump-explorer restore FILE --dbname CONNINFO_OR_URI [--table SCHEMA.NAME ...]
                    [--schema NAME ...] [--data-only | --schema-only] [--with-deps]
                    [--drop-dangling-fks] [--no-owner] [--no-privileges] [--clean]
                    [--jobs N] [--no-freeze] [--yes]
                                             checks the target, restores the selection (all
                                             of the dump without one) in one transaction,
                                             then runs ANALYZE, fixes sequences and compares
                                             row counts with the dump; plain dumps (.sql,
                                             .sql.gz) take the same selection options;
                                             tables it creates are loaded with COPY FREEZE
                                             (custom archives) unless --no-freeze
  pg-dump-explorer restore CLUSTER.sql --roles-only --dbname CONNINFO_OR_URI [--tablespaces] [--yes]
                                             the roles of a pg_dumpall script (CREATE/ALTER
                                             ROLE, memberships) in one transaction; roles the
                                             target has already are left as they are
  pg-dump-explorer restore CLUSTER.sql --database NAME --dbname CONNINFO_OR_URI [selection…]
                                             one database of a pg_dumpall script (or the
                                             selection from it), as from a plain dump
                                             (CLUSTER_DIR for CLUSTER.sql: a folder of
                                             dump-cluster, its globals.sql and archives)
  pg-dump-explorer dump --dbname CONNINFO_OR_URI --file PATH
                    [--format custom|directory|tar|plain] [--compress METHOD[:LEVEL]]
                    [--jobs N] [--schema P]... [--exclude-schema P]... [--table P]...
                    [--exclude-table P]... [--exclude-table-data P]...
                    [--schema-only | --data-only] [--no-owner] [--no-privileges]
                    [--with-statistics | --no-statistics | --statistics-only] [--yes]
                                             pg_dump of the database with a pg_dump new
                                             enough for its server, with progress; written
                                             under a temporary name until it succeeds, then
                                             read back and checked; an existing PATH is
                                             replaced only after asking (or with --yes);
                                             plain with --compress gzip writes PATH.gz
  pg-dump-explorer dump-globals --dbname CONNINFO_OR_URI --file PATH [--roles-only]
                    [--no-role-passwords] [--yes]
                                             the roles and tablespaces of the server
                                             (pg_dumpall --globals-only); a user who may not
                                             read pg_authid gets them without passwords
  pg-dump-explorer dump-cluster --dbname CONNINFO_OR_URI --dir PATH [--jobs N] [--yes]
                                             a new folder: globals.sql, one custom archive
                                             per database (templates left out), manifest.json
  (--yes replaces what is at PATH, once the new dump is complete)
  pg-dump-explorer verify FILE [--server CONNINFO_OR_URI] [--jobs N] [--keep]
                    [--report PATH] [--json] [--server-bin DIR]
                                             the restore drill: the whole dump restored into
                                             a scratch database (on --server, dropped
                                             afterwards unless --keep; else on a throwaway
                                             local server from the PostgreSQL server programs
                                             here, or those in DIR), then every entry, each
                                             table's rows, objects by kind and sequences
                                             checked; report NAME.verify.md and .json beside
                                             the dump (or PATH); --json prints the JSON
  pg-dump-explorer copy --from CONN --to CONN [--table P]... [--schema P]... [--with-deps]
                    [--schema-only | --data-only] [--no-owner] [--no-privileges] [--clean]
                    [--jobs N] [--yes]
                                             copies the database (or the tables and schemas
                                             with what belongs to them) from one server to
                                             another, pg_dump piped into pg_restore, no file:
                                             checks the target, asks, copies in one
                                             transaction, then ANALYZE, sequences, and rows
                                             against the source in pg_dump's own snapshot;
                                             --jobs N (whole database) runs pgcopydb;
                                             CONN: a conninfo, URI, service=NAME or database

exit codes: 0 done; 1 the input or the target could not be read; 2 usage; 3 some entries'
data is missing; 4 the pre-flight check found blocking problems (nothing was changed), or for
dump: no pg_dump can dump the server (or do what was asked), or PATH exists and was not to be
replaced (nothing was written); 5 the restore failed (with one transaction, nothing was
changed), or the dump failed (nothing was written at PATH); 6 restored, but the checks after it
found differences, or dumped, but reading the dump back found a selected table missing or its
data incomplete; 130 cancelled (with one transaction, nothing was changed; a dump leaves
nothing at PATH). verify: 0 the dump restores cleanly; 1 the dump or the server could not be
reached, or no PostgreSQL server programs are installed (give --server); 4 no pg_restore here
can read the dump (nothing was verified); 6 it does not restore cleanly (the report names each
failed entry); 130 cancelled; the scratch database and a throwaway server are removed in
every case (unless --keep). copy: 4, 5, 6 and 130 as restore (5 also when pg_dump failed)`;

async function data(file: string, table: string, limit: number): Promise<number> {
  return withDump(file, async (opened) => {
    const hits = findByQualifiedName(opened.archive.entries, table, ['TABLE DATA']);
    if (hits.length === 0) {
      const defined = findByQualifiedName(opened.archive.entries, table, ['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE']);
      throw new DumpError(
        'missing-data',
        defined.length > 0
          ? `${table} is in the archive but has no data (a schema-only dump, or a table pg_dump did not dump data for)`
          : `no table ${table} in the archive; "list" shows what it holds`,
      );
    }
    if (hits.length > 1) throw new UsageError(`${table} matches tables in several schemas; write it as SCHEMA.NAME`);
    const encoding = opened.archive.stringEncoding;
    const lines: string[] = [];
    for await (const row of copyRows(opened.openData(hits[0]!), limit)) {
      lines.push(row);
      if (lines.length >= 1000) await write(Buffer.from(lines.splice(0).join('\n') + '\n', encoding));
    }
    if (lines.length > 0) await write(Buffer.from(lines.join('\n') + '\n', encoding));
    return 0;
  });
}

interface PlanOptions {
  tables: string[];
  schemas: string[];
  mode: RestoreMode;
  withDeps: boolean;
  dropDanglingForeignKeys: boolean;
}

async function plan(file: string, o: PlanOptions): Promise<number> {
  return withDump(file, async (opened) => {
    const a = opened.archive;
    const p = buildPlan(a, { tables: o.tables, schemas: o.schemas, mode: o.mode, withDeps: o.withDeps, dropDanglingForeignKeys: o.dropDanglingForeignKeys });
    await write(Buffer.from(writeRestoreList(a, p), a.stringEncoding));
    for (const line of planWarnings(p)) process.stderr.write(`pg-dump-explorer: warning: ${line}\n`);
    if (p.entries.length === 0) process.stderr.write('pg-dump-explorer: warning: the plan is empty: nothing selected has entries of that mode\n');
    return 0;
  });
}

async function index(file: string, json: boolean): Promise<number> {
  const detected = await detectDump(file);
  if (detected.kind === 'cluster' || detected.kind === 'globals') return indexCluster(file, json);
  const idx = await indexPlainDump(file);
  if (json) {
    await write(JSON.stringify(idx, null, 2) + '\n');
    return 0;
  }
  // In batches: a dump of 100,000 objects would otherwise be one string of several MB.
  let batch = '';
  for (const e of idx.entries) {
    batch += `${e.offset}\t${e.length}\t${e.desc}\t${e.namespace ?? '-'}\t${e.tag}\t${e.owner ?? '-'}\n`;
    if (batch.length >= 1 << 16) {
      await write(batch);
      batch = '';
    }
  }
  if (batch !== '') await write(batch);
  return 0;
}

/** The parts of a pg_dumpall script: its globals (roles, tablespaces) and each database's byte range. */
async function indexCluster(file: string, json: boolean): Promise<number> {
  const cluster = await readClusterDump(file);
  if (json) {
    // Statements' text stays out: role statements may hold password hashes.
    const globals = { ...cluster.globals, statements: cluster.globals.statements.map(({ text: _text, ...rest }) => rest) };
    await write(JSON.stringify({ ...cluster, globals }, null, 2) + '\n');
    return 0;
  }
  const g = cluster.globals;
  const list = (xs: string[]) => (xs.length > 0 ? xs.join(', ') : '-');
  const memberships = g.statements.filter((x) => x.kind === 'membership').length;
  let out = `${g.offset}\t${g.length}\tGLOBALS\t-\troles: ${list(cluster.roles)}; memberships: ${memberships}; tablespaces: ${list(cluster.tablespaces)}\n`;
  for (const d of cluster.databases) out += `${d.offset}\t${d.length}\tDATABASE\t-\t${d.database}\n`;
  await write(out);
  return 0;
}

const FORMATS: Record<string, DumpFormat> = { custom: 'custom', c: 'custom', directory: 'directory', d: 'directory', tar: 'tar', t: 'tar', plain: 'plain', p: 'plain' };

/** The `dump` command's options, checked for what needs no server. */
function dumpCommandOptions(values: Record<string, string | boolean | string[] | undefined>) {
  const text = (name: string) => values[name] as string | undefined;
  const list = (name: string) => (values[name] as string[] | undefined) ?? [];
  const flag = (name: string) => values[name] === true;
  const dbname = text('dbname');
  const file = text('file');
  if (!dbname) throw new UsageError('dump needs --dbname CONNINFO_OR_URI (a database name, key=value pairs or a postgresql:// URI)');
  if (!file) throw new UsageError('dump needs --file PATH (a folder for --format directory)');
  const formatName = text('format') ?? 'custom';
  const format = FORMATS[formatName.toLowerCase()];
  if (!format) throw new UsageError(`--format takes custom, directory, tar or plain, not ${formatName}`);
  if (flag('data-only') && flag('schema-only')) throw new UsageError('--data-only and --schema-only cannot be used together');
  const statistics = (['with-statistics', 'no-statistics', 'statistics-only'] as const).filter(flag);
  if (statistics.length > 1) throw new UsageError(`--${statistics[0]} and --${statistics[1]} cannot be used together`);
  const jobs = text('jobs') === undefined ? undefined : Number(text('jobs'));
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs takes a whole number of at least 1, not ${text('jobs')}`);
  const compress = text('compress');
  const options: DumpOptions = {
    format,
    ...(compress !== undefined ? { compress } : {}),
    ...(jobs !== undefined ? { jobs } : {}),
    schemas: list('schema'),
    excludeSchemas: list('exclude-schema'),
    tables: list('table'),
    excludeTables: list('exclude-table'),
    excludeTableData: list('exclude-table-data'),
    content: flag('data-only') ? 'data-only' : flag('schema-only') ? 'schema-only' : 'all',
    noOwner: flag('no-owner'),
    noPrivileges: flag('no-privileges'),
    ...(statistics[0] ? { statistics: ({ 'with-statistics': 'with', 'no-statistics': 'without', 'statistics-only': 'only' } as const)[statistics[0]] } : {}),
  };
  return { dbname, file, options, yes: flag('yes') };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      table: { type: 'string', short: 't', multiple: true },
      schema: { type: 'string', short: 'n', multiple: true },
      'data-only': { type: 'boolean', short: 'a' },
      'schema-only': { type: 'boolean', short: 's' },
      'with-deps': { type: 'boolean' },
      'drop-dangling-fks': { type: 'boolean' },
      limit: { type: 'string' },
      dbname: { type: 'string', short: 'd' },
      'no-owner': { type: 'boolean', short: 'O' },
      'no-privileges': { type: 'boolean', short: 'x' },
      clean: { type: 'boolean', short: 'c' },
      jobs: { type: 'string', short: 'j' },
      yes: { type: 'boolean', short: 'y' },
      'no-freeze': { type: 'boolean' },
      'roles-only': { type: 'boolean' },
      database: { type: 'string' },
      tablespaces: { type: 'boolean' },
      file: { type: 'string', short: 'f' },
      dir: { type: 'string' },
      'no-role-passwords': { type: 'boolean' },
      format: { type: 'string', short: 'F' },
      compress: { type: 'string', short: 'Z' },
      'exclude-schema': { type: 'string', short: 'N', multiple: true },
      'exclude-table': { type: 'string', short: 'T', multiple: true },
      'exclude-table-data': { type: 'string', multiple: true },
      'with-statistics': { type: 'boolean' },
      'no-statistics': { type: 'boolean' },
      'statistics-only': { type: 'boolean' },
      server: { type: 'string' },
      'server-bin': { type: 'string' },
      keep: { type: 'boolean' },
      report: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, file, ...extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return values.help ? 0 : EXIT_USAGE;
  }
  if (command === 'dump-globals' || command === 'dump-cluster') return dumpFromServer(command, file, values);
  if (command === 'copy') {
    if (file) throw new UsageError(`copy takes no FILE argument (${file}): name the source with --from and the target with --to`);
    return copyFromServer(values);
  }
  if (command === 'dump') {
    if (file) throw new UsageError(`dump takes no FILE argument (${file}): write the dump's path after --file`);
    const { dumpCommand } = await commands.dump();
    return dumpCommand(dumpCommandOptions(values));
  }
  if (!file) throw new UsageError(`${command} needs a FILE`);
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  switch (command) {
    case 'list':
      return listCommand(file, values.json ?? false);
    case 'data': {
      if (!values.table?.[0]) throw new UsageError('data needs --table SCHEMA.NAME');
      if (values.table.length > 1) throw new UsageError('data takes one --table');
      const limit = values.limit === undefined ? Infinity : Number(values.limit);
      if (!Number.isInteger(limit) && limit !== Infinity) throw new UsageError(`--limit takes a whole number, not ${values.limit}`);
      if (limit < 0) throw new UsageError('--limit cannot be negative');
      return data(file, values.table[0], limit);
    }
    case 'plan': {
      const tables = values.table ?? [];
      const schemas = values.schema ?? [];
      if (tables.length === 0 && schemas.length === 0) throw new UsageError('plan needs --table SCHEMA.NAME or --schema NAME');
      if (values['data-only'] && values['schema-only']) throw new UsageError('--data-only and --schema-only cannot be used together');
      const mode: RestoreMode = values['data-only'] ? 'data-only' : values['schema-only'] ? 'definition-only' : 'definition-and-data';
      return plan(file, { tables, schemas, mode, withDeps: values['with-deps'] ?? false, dropDanglingForeignKeys: values['drop-dangling-fks'] ?? false });
    }
    case 'index':
      return index(file, values.json ?? false);
    case 'restore': {
      if (!values.dbname) throw new UsageError('restore needs --dbname CONNINFO_OR_URI (a database name, key=value pairs or a postgresql:// URI)');
      if (values['data-only'] && values['schema-only']) throw new UsageError('--data-only and --schema-only cannot be used together');
      const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs takes a whole number of at least 1, not ${values.jobs}`);
      const tables = values.table ?? [];
      const schemas = values.schema ?? [];
      const mode: RestoreMode = values['data-only'] ? 'data-only' : values['schema-only'] ? 'definition-only' : 'definition-and-data';
      const selection: Selection =
        tables.length === 0 && schemas.length === 0
          ? { sections: ['pre-data', 'data', 'post-data'], mode }
          : { tables, schemas, mode, withDeps: values['with-deps'] ?? false, dropDanglingForeignKeys: values['drop-dangling-fks'] ?? false };
      const options: RestoreCommandOptions = {
        dbname: values.dbname,
        selection,
        noOwner: values['no-owner'] ?? false,
        noPrivileges: values['no-privileges'] ?? false,
        clean: values.clean ?? false,
        jobs,
        freeze: !(values['no-freeze'] ?? false),
        yes: values.yes ?? false,
        rolesOnly: values['roles-only'] ?? false,
        tablespaces: values.tablespaces ?? false,
        ...(values.database !== undefined ? { database: values.database } : {}),
      };
      const { restoreCommand } = await commands.restore();
      return restoreCommand(file, options);
    }
    case 'verify': {
      const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs takes a whole number of at least 1, not ${values.jobs}`);
      if (values.keep && values.server === undefined) throw new UsageError('--keep needs --server: the throwaway server is removed after the drill, with its databases');
      const { verifyCommand } = await commands.verify();
      return verifyCommand(file, {
        ...(values.server !== undefined ? { server: values.server } : {}),
        ...(values.report !== undefined ? { report: values.report } : {}),
        ...(values['server-bin'] !== undefined ? { serverBin: values['server-bin'] } : {}),
        jobs,
        keep: values.keep ?? false,
        json: values.json ?? false,
      });
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

/** `copy --from CONN --to CONN [selection…]`. */
async function copyFromServer(v: {
  from?: string;
  to?: string;
  table?: string[];
  schema?: string[];
  'with-deps'?: boolean;
  'data-only'?: boolean;
  'schema-only'?: boolean;
  'no-owner'?: boolean;
  'no-privileges'?: boolean;
  clean?: boolean;
  jobs?: string;
  yes?: boolean;
}): Promise<number> {
  if (!v.from) throw new UsageError('copy needs --from CONN (the source: a conninfo, URI, service=NAME or database name)');
  if (!v.to) throw new UsageError('copy needs --to CONN (the target database: a conninfo, URI, service=NAME or database name)');
  if (v['data-only'] && v['schema-only']) throw new UsageError('--data-only and --schema-only cannot be used together');
  const jobs = v.jobs === undefined ? 1 : Number(v.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs takes a whole number of at least 1, not ${v.jobs}`);
  const tables = v.table ?? [];
  const schemas = v.schema ?? [];
  const mode: RestoreMode = v['data-only'] ? 'data-only' : v['schema-only'] ? 'definition-only' : 'definition-and-data';
  const selection: Selection = tables.length === 0 && schemas.length === 0 ? { sections: ['pre-data', 'data', 'post-data'], mode } : { tables, schemas, mode, withDeps: v['with-deps'] ?? false };
  const { copyCommand } = await commands.copy();
  return copyCommand({ from: v.from, to: v.to, selection, noOwner: v['no-owner'] ?? false, noPrivileges: v['no-privileges'] ?? false, clean: v.clean ?? false, jobs, yes: v.yes ?? false });
}

/** dump-globals and dump-cluster: they take no FILE, their output goes where --file / --dir say. */
async function dumpFromServer(
  command: 'dump-globals' | 'dump-cluster',
  extra: string | undefined,
  v: { dbname?: string; file?: string; dir?: string; jobs?: string; yes?: boolean; 'roles-only'?: boolean; 'no-role-passwords'?: boolean },
): Promise<number> {
  if (extra !== undefined) throw new UsageError(`unexpected argument: ${extra}`);
  if (!v.dbname) throw new UsageError(`${command} needs --dbname CONNINFO_OR_URI (a database name, key=value pairs or a postgresql:// URI)`);
  if (command === 'dump-globals') {
    if (!v.file) throw new UsageError('dump-globals needs --file PATH');
    const { dumpGlobalsCommand } = await commands.dumpGlobals();
    return dumpGlobalsCommand({ dbname: v.dbname, file: v.file, rolesOnly: v['roles-only'] ?? false, noRolePasswords: v['no-role-passwords'] ?? false, yes: v.yes ?? false });
  }
  if (!v.dir) throw new UsageError('dump-cluster needs --dir PATH (a folder that does not exist yet)');
  const jobs = v.jobs === undefined ? 1 : Number(v.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs takes a whole number of at least 1, not ${v.jobs}`);
  const { dumpClusterCommand } = await commands.dumpCluster();
  return dumpClusterCommand({ dbname: v.dbname, dir: v.dir, jobs, yes: v.yes ?? false });
}

