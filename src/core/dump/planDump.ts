/**
 * The dump about to run, said before it starts: the source and its server version, the pg_dump
 * that can dump it (or one line saying none can, and what to install or set), the tables the
 * options select with their sizes, and the command line.
 */
import type { ResolvedConnection } from '../connections/resolve';
import { describeCommand } from '../process/run';
import { openServerSession, serverMajor } from '../server/session';
import { findToolForServer, formatToolVersion, type ToolCandidate } from '../tools/findTools';
import { compressionMethods, dumpArguments, filterPath, outputPath, partialPath } from './dumpArgs';
import { compilePatterns, selectTables, tableSizes } from './selection';
import type { DumpHooks, DumpOptions, DumpPlanView, DumpTarget } from './types';

/** `15.18` of the tool, for messages and the rules that depend on its major. */
export function toolFacts(tool: ToolCandidate): { major: number; version: string } {
  const v = tool.version;
  return { major: v?.major ?? 0, version: v ? formatToolVersion(v) : '?' };
}

function whyThisTool(tool: ToolCandidate, server: { major: number; version: string }, hooks: DumpHooks): string {
  const need = `the server runs PostgreSQL ${server.version}, so pg_dump ${server.major} or newer`;
  if (tool.source === 'configured') return `the configured one; ${need}`;
  if (hooks.toolPath) return `the configured ${hooks.toolPath} cannot be used (too old or not working); the newest found instead; ${need}`;
  return `the newest found; ${need}`;
}

/**
 * Connects, reads the server's version, picks pg_dump and selects the tables. Throws one
 * DumpError line when the connection fails, a pattern is refused or matches nothing pg_dump
 * would dump, an option does not suit the pg_dump found, or no pg_dump is new enough.
 * `target`: where the dump goes, for the command line (it writes to a temporary name beside it).
 * `sizesLater`: leave the sizes to runDump, which asks while pg_dump runs: pg_total_relation_size
 * of 10,000 tables takes the server about a second, which a command that starts pg_dump at once
 * need not wait for.
 */
export async function planDump(
  connection: ResolvedConnection,
  options: DumpOptions = {},
  hooks: DumpHooks = {},
  target?: DumpTarget,
  { sizesLater = false }: { sizesLater?: boolean } = {},
): Promise<DumpPlanView> {
  compilePatterns(options, connection.dbname); // a bad pattern is said before connecting
  const session = await openServerSession(connection, { applicationName: 'pg-dump-explorer dump' });
  try {
    const server = { major: serverMajor(session.serverVersionNum), version: session.serverVersion.split(' ')[0] || String(session.serverVersionNum) };
    const tool = await findToolForServer('pg_dump', server, {
      ...(hooks.toolPath ? { configuredPath: hooks.toolPath } : {}),
      ...(hooks.standardLocations === false ? { standardLocations: false } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.toolSetting ? { setting: hooks.toolSetting } : {}),
    });
    const facts = toolFacts(tool);
    const output = target ? outputPath(target.path, options) : undefined;
    const files = output ? { output: partialPath(output), filter: filterPath(output) } : { output: 'FILE', filter: 'FILTER' };
    const { args } = dumpArguments(options, facts, files);
    const selected = await selectTables(session.client, options, connection.dbname, session.serverVersionNum);
    const sizes = sizesLater ? undefined : await tableSizes(session.client, selected);
    const tables = sizes ? selected.map((t, i) => ({ ...t, bytes: sizes.bytes[i] ?? 0 })) : selected;
    return {
      where: session.where,
      serverVersion: server.version,
      tool,
      toolWhy: whyThisTool(tool, server, hooks),
      command: describeCommand(tool.path, [...args, ...connection.toToolArgs()]),
      compressionMethods: compressionMethods(facts.major),
      tables: tables.map(({ schema, name, bytes, data }) => ({ schema, name, bytes, data })),
      expectedBytes: tables.reduce((n, t) => n + (t.data ? t.bytes : 0), 0),
      sizes: sizes ? (sizes.exact ? 'exact' : 'estimated') : 'pending',
      ...(output ? { outputPath: output } : {}),
    };
  } finally {
    await session.close();
  }
}
